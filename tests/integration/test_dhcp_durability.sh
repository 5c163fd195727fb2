#!/bin/bash
# Durability: while perfdhcp runs, defnetd is killed with SIGKILL at random
# moments, ROUNDS times (the first argument, or DN_KILL_ROUNDS; 20 by
# default, as issue 8 asks), and started again; the store loads every time
# (no lease file set aside, the count of leases never goes down); every
# address perfdhcp saw ACKed (captured with tcpdump on the client's side)
# is in `defnetctl leases` afterwards, for the same MAC: an ACK is sent
# only after the flush that makes it durable.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015,SC2119
DN_NEEDS="perfdhcp tcpdump"
. "$(dirname "$0")/lib.sh"
ROUNDS=${1:-${DN_KILL_ROUNDS:-20}}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] && [ "$ROUNDS" -le 1000 ] || dn_fail "bad number of rounds: $ROUNDS"
RANDOM=$$
dn_find_binaries
DN_SERVICES=0 dn_topology
dn_perfdhcp_setup 96 9 20000

# Replies to the relay come to its port 67.
dn_bg "$DN_GUEST_NS" "$DN_DIR/tcpdump.out" tcpdump -i eth0 -n -U -B 8192 -w "$DN_DIR/acks.pcap" \
	udp dst port 67 and src host 10.96.0.1
tcpdump_pid=$DN_BG_PID
dn_wait 5 grep -q "listening on" "$DN_DIR/tcpdump.out" || dn_fail "tcpdump did not start"
# A kill every 0.2 to 2 s: the storm lasts as long as the rounds take.
period=$((ROUNDS * 2 + 4))
dn_bg "$DN_GUEST_NS" "$DN_DIR/perfdhcp.out" timeout $((period + 30)) perfdhcp -4 -r 500 \
	-p "$period" -W 1000000 -M "$DN_DIR/macs" -l "$DN_RELAY_IP" 10.96.0.1
perf_pid=$DN_BG_PID
loaded=0
for ((round = 1; round <= ROUNDS; round++)); do
	ms=$((200 + RANDOM % 1800))
	sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
	dn_alive "$perf_pid" || dn_fail "round $round: the perfdhcp storm ended before the rounds did"
	kill -KILL "$DN_DAEMON_PID"
	wait "$DN_DAEMON_PID" 2>/dev/null
	DN_DAEMON_PID=""
	dn_start_defnetd
	n=$(sed -n 's/.*DHCP: \([0-9]*\) leases\{0,1\} loaded from.*/\1/p' "$DN_LOG" | head -n 1)
	[ -n "$n" ] || dn_fail "round $round: no 'leases loaded' line"
	! grep -q 'was not a lease file' "$DN_LOG" || dn_fail "round $round: the lease file was set aside"
	[ "$n" -ge "$loaded" ] || dn_fail "round $round: $n leases loaded, $loaded before the kill"
	dn_ok "round $round: SIGKILL after ${ms} ms, restarted, $n leases loaded ($((n - loaded)) more)"
	loaded=$n
done
wait "$perf_pid"
sleep 1
dn_kill "$tcpdump_pid" 5
dn_ctl leases --json >"$DN_DIR/leases.json" || dn_fail "leases --json"

out=$(dn_py - "$DN_DIR/acks.pcap" "$DN_DIR/leases.json" <<-'EOF'
import json, struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"), "not a pcap file"
link = struct.unpack("<I", data[20:24])[0]
acked, pos = {}, 24
while pos + 16 <= len(data):
    incl = struct.unpack("<I", data[pos + 8:pos + 12])[0]
    frame = data[pos + 16:pos + 16 + incl]
    pos += 16 + incl
    ip = frame[14:] if link == 1 else frame[16:]
    ihl = (ip[0] & 15) * 4
    d = ip[ihl + 8:]
    if len(d) < 243 or d[0] != 2:
        continue
    i, mtype = 240, 0
    while i + 1 < len(d) and d[i] != 255:
        if d[i] == 0:
            i += 1
            continue
        if d[i] == 53:
            mtype = d[i + 2]
        i += 2 + d[i + 1]
    if mtype == 5:
        acked[":".join("%02x" % b for b in d[28:34])] = ".".join(str(b) for b in d[16:20])
leases = {l["mac"]: l["ip"] for l in json.load(open(sys.argv[2]))}
missing = [(m, ip) for m, ip in acked.items() if leases.get(m) != ip]
print("%d ACKed, %d leases, %d missing %s" % (len(acked), len(leases), len(missing), missing[:5]))
sys.exit(1 if missing or len(acked) < 1000 else 0)
EOF
) || dn_fail "ACKed but not in the store: $out"
dn_ok "every ACKed address is in the store: $out"
dn_done
