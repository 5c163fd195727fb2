#!/bin/bash
# A hostile guest (issue 8): crafted and random packets from a guest
# namespace to every port defnetd listens on: DHCP (truncated, oversized,
# option lengths that lie, overload loops, IPv4/UDP headers that lie,
# requests, releases and declines aimed at another guest's lease), DNS over
# UDP and TCP (compression loops, labels over 63 bytes, counts that lie,
# lengths that lie, resets), mDNS to the group and to the gateway with IP
# TTL 1, 64 and 255, junk ARP, random bytes to each, and junk on the
# control socket. The daemon stays up, keeps every lease (the same MAC on
# the same address), and answers real clients afterwards: dhclient renews,
# the reserved guest gets its address, DNS and mDNS answer.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015,SC2016,SC2119,SC2317
DN_NEEDS="dnsmasq dig dhclient"
. "$(dirname "$0")/lib.sh"
# shellcheck source=dns_lib.sh
. "$DN_LIB_DIR/dns_lib.sh"
dn_find_binaries
DN_SERVICES=0 dn_topology
dns_start_upstream
SUBNET=172.20.48.0/20
GW=172.20.48.1
RES_MAC=52:54:00:00:00:07
RES_IP=172.20.48.50
EVIL=172.20.48.200
N=${DN_HOSTILE_N:-$((1500 - 1000 * DN_SLOW))}   # random messages per port
cat >>"$DN_CONF" <<-EOF
[Network]
Subnet=$SUBNET
[DHCP]
Pool=172.20.48.10-172.20.48.100
Reservation=$RES_MAC $RES_IP resvm
EOF
dn_start_defnetd
dns_setup

# Real guests first: two with leases, one with a reservation.
dn_guest g1
dn_guest g2
dn_guest res
ip -n "$DN_GUEST_NS" link set eth0 address "$RES_MAC" || dn_fail "res: MAC"
for g in g1 g2 res; do
	dn_assert "$g gets a lease (dhclient)" dn_dhcp_guest "$g"
done
dn_assert_eq "$(dn_lease_value res new_ip_address)" "$RES_IP" "res gets its reserved address"
G1_IP=$(dn_lease_value g1 new_ip_address)
dn_ctl leases --json >"$DN_DIR/leases-before.json" || dn_fail "leases --json"
before=$(dn_json "$DN_DIR/leases-before.json" 'sorted((l["mac"], l["ip"]) for l in d)')
dn_assert_eq "$(dn_json "$DN_DIR/leases-before.json" 'len(d)')" 3 "three leases before"

# Every port it listens on is one this test attacks.
ports=$(dn_h ss -Htulnp | grep -F "pid=$DN_DAEMON_PID," | awk '{n = $5; sub(/.*:/, "", n); print $1 "/" n}' | LC_ALL=C sort -u | tr '\n' ' ')
dn_assert_eq "$ports" "tcp/53 udp/53 udp/5353 udp/547 udp/67 " \
	"defnetd listens on DHCP, DNS, mDNS and DHCPv6 (all attacked here)"

dn_guest evil
E=$DN_GUEST_NS
ip -n "$E" addr add "$EVIL/20" dev eth0 && ip -n "$E" route add default via "$GW" ||
	dn_fail "evil: address"
dn_wait 5 dns_answers_local "$E" || dn_fail "evil gets no DNS answer"
hostile() { dn_in "$E" env HOSTILE_VICTIM="$G1_IP" "$DN_PYTHON" "$DN_LIB_DIR/hostile.py" "$@"; }
alive() { dn_alive "$DN_DAEMON_PID" || dn_fail "defnetd died during the $1 attack"; }

out=$(hostile dhcp eth0 "$EVIL" "$GW" 8 "$N") || dn_fail "hostile dhcp: $out"
alive DHCP
dn_ok "DHCP: $out packets (crafted, lying headers, random)"
out=$(hostile dns "$EVIL" "$GW" 53 "$N") || dn_fail "hostile dns: $out"
alive DNS
dn_ok "DNS: $out packets and connections"
out=$(hostile mdns eth0 "$EVIL" "$GW" 5353 "$N") || dn_fail "hostile mdns: $out"
alive mDNS
dn_ok "mDNS: $out packets (TTL 1, 64, 255)"
# DHCPv6: Information-requests with random options, and random bytes, to
# All_DHCP_Relay_Agents_and_Servers on the bridge.
out=$(dn_in "$E" "$DN_PYTHON" - "$N" <<-'EOF'
import os, random, socket, struct, sys, time
n = int(sys.argv[1])
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
idx = socket.if_nametoindex("eth0")
for i in range(40):
    try:
        s.sendto(b"\x0b\0\0\0", ("ff02::1:2", 547, 0, idx)); break
    except OSError:
        time.sleep(0.25)   # the link-local address is still tentative
sent = 0
for i in range(n):
    if i % 2:
        m = os.urandom(random.randint(0, 600))
    else:
        m = bytes([11]) + os.urandom(3)
        for _ in range(random.randint(0, 8)):
            v = os.urandom(random.randint(0, 40))
            m += struct.pack("!HH", random.choice([1, 2, 3, 6, 8, 23, 24, 25, random.randint(0, 65535)]),
                             random.choice([len(v), random.randint(0, 65535)])) + v
    s.sendto(m, ("ff02::1:2", 547, 0, idx)); sent += 1
print(sent)
EOF
) || dn_fail "hostile dhcp6: $out"
alive DHCPv6
dn_ok "DHCPv6: $out packets (crafted options, random bytes)"
out=$(hostile arp eth0 806 "$N") || dn_fail "hostile arp: $out"
alive ARP
dn_ok "ARP: $out frames"
out=$(dn_h "$DN_PYTHON" "$DN_LIB_DIR/hostile.py" control "$DN_RUNTIME/control" 7 200) ||
	dn_fail "hostile control: $out"
alive control
dn_ok "control socket: $out junk requests and idle connections"

# Afterwards: still up, every lease kept, real clients served.
dn_assert_wait $((5 + 25 * DN_SLOW)) "status answers" dn_ctl status --json
dn_ctl leases --json >"$DN_DIR/leases-after.json" || dn_fail "leases --json"
after=$(dn_json "$DN_DIR/leases-after.json" 'sorted((l["mac"], l["ip"]) for l in d if l["mac"] in [m for m, _ in '"$before"'])')
dn_assert_eq "$after" "$before" "every lease kept (same MAC, same address)"
for g in g1 g2 res; do
	old=$(dn_lease_value "$g" new_ip_address)
	dn_assert "$g renews (dhclient)" dn_dhcp_guest "$g"
	dn_assert_eq "$(dn_lease_value "$g" new_ip_address)" "$old" "$g keeps $old"
done
dn_guest g3
dn_assert "a new guest gets a lease" dn_dhcp_guest g3
dn_assert_eq "$(dns_dig "$E" +short "www.$DN_ZONE" A)" "$DN_ZONE_WWW" "DNS forwarding answers"
dn_assert_eq "$(dns_dig "$E" +tcp +short "www.$DN_ZONE" A)" "$DN_ZONE_WWW" "DNS over TCP answers"
ans=$(dn_in "$(dn_guest_ns g1)" "$DN_PYTHON" "$DN_LIB_DIR/mdns_client.py" legacy resvm.local eth0 \
	--bind "$G1_IP" --timeout 3 | sed -n 2p)
dn_assert_eq "$(awk '{print $1, $2}' <<<"$ans")" "1 $RES_IP" "mDNS answers resvm.local (type 1, A)"
dn_assert_eq "$(dn_ctl status >/dev/null && echo ok)" ok "control socket answers"
n=$(grep -c 'control: .*connections open' "$DN_LOG")
[ "$n" -le 2 ] || dn_fail "the control connection limit was logged $n times"
dn_ok "the control connection limit was logged at most once per interval ($n)"
dn_stop_defnetd || dn_fail "defnetd exited with $DN_DAEMON_RC"
dn_ok "defnetd stopped cleanly"
dn_done
