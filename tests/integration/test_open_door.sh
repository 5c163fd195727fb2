#!/bin/bash
# Not an open door (issue 8). Every UDP and TCP socket defnetd listens on
# is bound to the bridge; from the uplink side (with a route to the guest subnet) DNS,
# DHCP and mDNS requests get nothing and no TCP port is open; the control
# socket refuses an unprivileged user even when its file is opened to
# everyone by mistake. The forwarder (RFC 5452): upstream queries carry
# random IDs (never the guest's) from source ports that change; answers
# with the wrong ID, another name, type or class, or no question are
# dropped (the guest gets the real answer, never the spoofed one); a blind
# spoofer flooding the uplink address with forged answers gets nothing in.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015,SC2016,SC2119,SC2317
DN_NEEDS="dig tcpdump setpriv"
. "$(dirname "$0")/lib.sh"
# shellcheck source=dns_lib.sh
. "$DN_LIB_DIR/dns_lib.sh"
dn_find_binaries
DN_SERVICES=0 dn_topology
UPLOG="$DN_DIR/upstream.log"
dn_bg "$DN_UP" "$DN_DIR/upstream.out" "$DN_PYTHON" "$DN_LIB_DIR/upstream_dns.py" \
	"$DN_UP0_PEER" "$UPLOG" --spoof --silent race
printf 'nameserver %s\n' "$DN_UP0_PEER" >"$DN_DIR/resolv.conf"
up_listening() { [ -n "$(dn_in "$DN_UP" ss -Hlnu "sport = :53")" ]; }
dn_wait 5 up_listening || dn_fail "the scripted upstream did not start: $(cat "$DN_DIR/upstream.out")"
cat >>"$DN_CONF" <<-EOF
[Network]
Subnet=172.20.48.0/20
[DHCP]
Reservation=52:54:00:00:00:01 172.20.48.50 vm1
EOF
dn_start_defnetd
dns_setup
dns_static_guest g1 10
g=$DN_GUEST_NS
dn_ok "guest g1 at $DNS_GUEST_IP, gateway $DNS_GW"

# ------------------------------------------------------------ listeners
socks=$(dn_h ss -Htulnp | grep -F "pid=$DN_DAEMON_PID," | awk '{print $1, $5}')
[ -n "$socks" ] || dn_fail "no sockets of defnetd found by ss"
while read -r proto addr; do
	case $addr in
	*"%$DN_BRIDGE:"*) ;;
	*) dn_fail "defnetd listens on $proto $addr, not bound to $DN_BRIDGE" ;;
	esac
done <<<"$socks"
dn_ok "every UDP/TCP socket of defnetd is bound to $DN_BRIDGE: $(tr '\n' ' ' <<<"$socks")"
ports=$(awk '{sub(/.*:/, "", $2); print $1 "/" $2}' <<<"$socks" | LC_ALL=C sort -u | tr '\n' ' ')
dn_assert_eq "$ports" "tcp/53 udp/53 udp/5353 udp/547 udp/67 " \
	"defnetd's ports are DNS, DHCP, mDNS and DHCPv6, no more"
# Packet sockets: ARP on the bridge; DHCP requests and mDNS responses as
# each interface receives them ("*:*"; the daemon names the bridge port a
# request came in on, and serves the bridge's ports only: see the uplink
# side below; mDNS responses only ever silence a name, and only from the
# lease holder's own bridge port); and the gratuitous ARP sender, protocol
# 0 and bound nowhere ("[0]:*"), to which the kernel delivers nothing.
pkt=$(dn_h ss -H -0 -p | grep -F "pid=$DN_DAEMON_PID," | awk '{print $4}' | LC_ALL=C sort | tr '\n' ' ')
dn_assert_eq "$pkt" "*:* *:* [0]:* arp:$DN_BRIDGE " \
	"its packet sockets: DHCP requests and mDNS responses (every interface), ARP on $DN_BRIDGE, a sender"
unix=$(dn_h ss -Hxlp | grep -F "pid=$DN_DAEMON_PID," | awk '{print $5}' | LC_ALL=C sort -u | tr '\n' ' ')
dn_assert_eq "$unix" "$DN_RUNTIME/control " "its one listening unix socket is the control socket"

# ------------------------------------------------- from the uplink side
ip -n "$DN_UP" route add "$DNS_SUBNET" via "$DN_UP0_HOST" || dn_fail "route in upstream ns"
dn_bg "$DN_UP" "$DN_DIR/tcpdump.out" tcpdump -i any -n -U -w "$DN_DIR/up.pcap" \
	"(udp and (src port 53 or src port 67 or src port 5353 or src port 547) and not src host $DN_UP0_PEER and not src host $DN_UP1_PEER) or (tcp and src port 53 and tcp[13] & 2 != 0)"
tcpdump_pid=$DN_BG_PID
dn_wait 5 grep -q "listening on" "$DN_DIR/tcpdump.out" || dn_fail "tcpdump did not start"
for dst in "$DNS_GW" "$DN_UP0_HOST"; do
	dn_assert_not "DNS over UDP to $dst from the uplink: no answer" \
		dn_in "$DN_UP" dig +time=1 +tries=1 "@$dst" "www.$DN_ZONE" A
	dn_assert_not "DNS over TCP to $dst from the uplink: no answer" \
		dn_in "$DN_UP" dig +tcp +time=1 +tries=1 "@$dst" "www.$DN_ZONE" A
done
out=$(dn_in "$DN_UP" "$DN_PYTHON" - "$DN_UP0_PEER" "$DN_UP0_HOST" "$DNS_GW" <<-'EOF'
import socket, struct, sys, time
src, host, gw = sys.argv[1:4]
def dhcp(mtype, giaddr="0.0.0.0"):
    m = struct.pack("!BBBBIHH", 1, 1, 6, 1 if giaddr != "0.0.0.0" else 0, 0x5151, 0, 0x8000)
    m += b"\0" * 12 + socket.inet_aton(giaddr) + b"\x02\x99\0\0\0\1".ljust(16, b"\0")
    return m + b"\0" * 192 + b"\x63\x82\x53\x63" + bytes([53, 1, mtype, 255]) + b"\0" * 60
def mdns(legacy):
    q = b"\x03vm1\x05local\0\x00\x01\x00\x01"
    return struct.pack("!HHHHHH", 7 if legacy else 0, 0, 1, 0, 0, 0) + q
n = 0
b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
b.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
b.setsockopt(socket.SOL_SOCKET, 25, b"up0")
b.bind(("0.0.0.0", 68))
for _ in range(3):
    b.sendto(dhcp(1), ("255.255.255.255", 67)); n += 1
    b.sendto(dhcp(3), ("255.255.255.255", 67)); n += 1
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r.bind((src, 67))
for dst in (host, gw):
    r.sendto(dhcp(1, src), (dst, 67)); n += 1
    r.sendto(dhcp(8, src), (dst, 67)); n += 1
m = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
m.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
m.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
m.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(src))
m.bind((src, 5353))
l = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
l.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(src))
l.bind((src, 0))
for dst in ("224.0.0.251", host, gw):
    m.sendto(mdns(False), (dst, 5353)); n += 1
    l.sendto(mdns(True), (dst, 5353)); n += 1
l.settimeout(1.5)
try:
    print("ANSWERED", l.recvfrom(4096)[1])
except socket.timeout:
    print("sent", n)
EOF
) || dn_fail "uplink-side DHCP/mDNS sender: $out"
dn_assert_eq "${out%% *}" sent "DHCP and mDNS from the uplink side: no answer to the sender ($out)"

# Every TCP port of the host's addresses, from the uplink side.
open=$(dn_in "$DN_UP" "$DN_PYTHON" - "$DN_UP0_HOST" "$DNS_GW" <<-'EOF'
import errno, resource, select, socket, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
found = []
for host in sys.argv[1:]:
    for base in range(1, 65536, 2000):
        socks = {}
        for port in range(base, min(base + 2000, 65536)):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.connect_ex((host, port))
            socks[s.fileno()] = (s, port)
        pending = dict(socks)
        p = select.poll()
        for fd in pending:
            p.register(fd, select.POLLOUT)
        left = len(pending)
        while left:
            ev = p.poll(2000)
            if not ev:
                break
            for fd, _ in ev:
                s, port = pending.pop(fd)
                p.unregister(fd)
                left -= 1
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                    found.append("%s:%d" % (host, port))
        for s, _ in socks.values():
            s.close()
print(" ".join(found))
EOF
) || dn_fail "TCP scan"
dn_assert_eq "$open" "" "no TCP port of $DN_UP0_HOST or $DNS_GW is open from the uplink side (65,535 each)"
sleep 0.5
dn_kill "$tcpdump_pid" 5
n=$(tcpdump -n -r "$DN_DIR/up.pcap" 2>/dev/null | wc -l)
[ "$n" = 0 ] || { tcpdump -n -r "$DN_DIR/up.pcap" 2>/dev/null | head >&2; dn_fail "replies from the daemon's ports reached the uplink side"; }
dn_ok "nothing from ports 53, 67, 5353 or 547 (and no SYN-ACK from 53) reached the uplink side"

# --------------------------------------------------- the control socket
err="$DN_DIR/nobody.err"
dn_h setpriv --reuid=65534 --regid=65534 --clear-groups \
	timeout 10 "$DEFNETCTL" --socket "$DN_RUNTIME/control" status >/dev/null 2>"$err"
dn_assert_eq "$?" 1 "an unprivileged user's defnetctl: exit 1"
dn_assert_grep '[Pp]ermission denied|EACCES' "$err" "refused by the socket's mode ($(head -n 1 "$err"))"
# The file's mode opened by mistake: the daemon's own check refuses.
chmod 0666 "$DN_RUNTIME/control" || dn_fail "chmod the control socket"
reply=$(dn_h setpriv --reuid=65534 --regid=65534 --clear-groups "$DN_PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
try:
    s.sendall(b"leases --json\n")
except OSError:
    pass  # refused at once, before it was read: fine
out = b""
while True:
    try:
        d = s.recv(4096)
    except ConnectionResetError:
        break  # it closed without reading the request: fine
    if not d:
        break
    out += d
print(out.decode(errors="replace").replace("\n", "|"))' "$DN_RUNTIME/control" 2>&1) ||
	dn_fail "unprivileged client: $reply"
chmod 0660 "$DN_RUNTIME/control"
dn_assert_eq "$reply" "error: permission denied|" "socket opened to all by mistake: the daemon refuses uid 65534, says nothing else"
dn_assert_grep 'control: refused uid 65534' "$DN_LOG" "the refusal is logged"
dn_assert_eq "$(dn_ctl status --json >/dev/null && echo ok)" ok "root still gets its answer"

# ------------------------------------------------------------- RFC 5452
: >"$UPLOG.before"
cp "$UPLOG" "$UPLOG.before"
n_q=$((2200 - 1000 * DN_SLOW))
answers=$(dns_py "$g" "$DNS_GW" query "idq-{i}.$DN_ZONE" A --id 4242 --count "$n_q")
dn_assert_eq "$(grep -c '^4242 0 1$' <<<"$answers")" "$n_q" "$n_q answers to the guest's ID 4242"
stats=$(grep ' idq-' "$UPLOG" | dn_py -c '
import collections, sys
rows = [l.split() for l in sys.stdin]
ids = [int(r[1]) for r in rows]
ports = collections.Counter(r[0] for r in rows)
print(len(rows), len(set(ids)), ids.count(4242), len(ports), max(ports.values()))')
read -r seen distinct guest nports most <<<"$stats"
dn_assert_eq "$seen" "$n_q" "the upstream saw each query once"
dn_assert_eq "$guest" 0 "no upstream query carried the guest's ID"
[ "$distinct" -ge $((n_q * 95 / 100)) ] || dn_fail "upstream IDs repeat: $distinct distinct of $n_q"
dn_ok "upstream IDs are random: $distinct distinct of $n_q"
[ "$nports" -ge $((n_q / 1000 + 1)) ] && [ "$most" -le 1000 ] ||
	dn_fail "source ports: $nports distinct, one used $most times"
dn_ok "source ports change: $nports ports, at most $most queries each"

# ------------------------------------------------------------- spoofing
for i in 1 2 3; do
	a=$(dns_dig "$g" +short "spoof-$i.$DN_ZONE" A)
	dn_assert_eq "$a" "$DN_ZONE_WWW" "spoof-$i: the real answer, after five forged ones"
	rc=$(dns_rcode "$g" "spoofonly-$i.$DN_ZONE" A)
	dn_assert_eq "$rc" SERVFAIL "spoofonly-$i: only forged answers: SERVFAIL"
done
out=$(dns_dig "$g" "spoofonly-9.$DN_ZONE" A)
! grep -q '6\.6\.6\.6' <<<"$out" || dn_fail "a forged answer reached the guest: $out"
dn_ok "no forged address reached the guest"
# A blind spoofer: forged answers to every port of the uplink address, with
# random IDs, while a query waits on a silent upstream.
dn_in "$g" dig +time=4 +tries=1 "@$DNS_GW" "race-1.$DN_ZONE" A >"$DN_DIR/race.out" 2>&1 &
race_pid=$!
sleep 0.2
dn_in "$DN_UP" "$DN_PYTHON" - "$DN_UP0_PEER" "$DN_UP0_HOST" "race-1.$DN_ZONE" <<-'EOF' || dn_fail "spoofer"
import random, socket, struct, sys, time
src, dst, name = sys.argv[1:4]
q = b"".join(bytes([len(x)]) + x.encode() for x in name.split(".")) + b"\0\x00\x01\x00\x01"
# Forged as from the real upstream's address and port 53 (a raw socket:
# the header is ours; UDP checksum 0, none).
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
r = random.Random(5452)
end = time.monotonic() + 1.0
n = 0
while time.monotonic() < end and n < 40000:
    m = struct.pack("!HHHHHH", r.randrange(65536), 0x8180, 1, 1, 0, 0) + q
    m += b"\xc0\x0c\x00\x01\x00\x01" + struct.pack("!IH", 60, 4) + b"\x06\x06\x06\x06"
    udp = struct.pack("!HHHH", 53, r.randrange(1024, 65536), 8 + len(m), 0) + m
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    try:
        s.sendto(ip + udp, (dst, 0))
        n += 1
    except OSError:
        pass
print("forged", n)
EOF
wait "$race_pid"
! grep -q '6\.6\.6\.6' "$DN_DIR/race.out" || dn_fail "a blind spoofer got in: $(cat "$DN_DIR/race.out")"
dn_assert_grep 'status: SERVFAIL' "$DN_DIR/race.out" "blind spoofing: the guest got SERVFAIL, not a forged address"
dn_assert_eq "$(dns_dig "$g" +short "www.$DN_ZONE" A)" "$DN_ZONE_WWW" "still answering"
dn_stop_defnetd || dn_fail "defnetd exited with $DN_DAEMON_RC"
dn_ok "defnetd stopped cleanly"
dn_done
