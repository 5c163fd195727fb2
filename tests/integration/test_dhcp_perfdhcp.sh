#!/bin/bash
# Load: perfdhcp (a relay agent, so every answer goes to giaddr, port 67)
# drives 3,000 full exchanges at 300 a second with random MACs: no exchange
# is dropped, and the leases listed afterwards hold distinct addresses.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015
DN_NEEDS="perfdhcp"
. "$(dirname "$0")/lib.sh"
dn_find_binaries
DN_SERVICES=0 dn_topology
dn_perfdhcp_setup 97 7 3000
dn_in "$DN_GUEST_NS" timeout 60 perfdhcp -4 -r 300 -n 3000 -W 2000000 -M "$DN_DIR/macs" \
	-l "$DN_RELAY_IP" 10.97.0.1 >"$DN_DIR/perfdhcp.out" 2>&1
stat()
{
	sed -n "/Statistics for: $1/,/^\$/p" "$DN_DIR/perfdhcp.out" | sed -n "s/^$2: //p" | head -n 1
}
dn_assert_eq "$(stat DISCOVER-OFFER 'sent packets')" 3000 "3000 DISCOVERs sent"
dn_assert_eq "$(stat DISCOVER-OFFER drops)" 0 "no OFFER dropped"
dn_assert_eq "$(stat REQUEST-ACK 'received packets')" 3000 "3000 ACKs"
dn_assert_eq "$(stat REQUEST-ACK drops)" 0 "no ACK dropped"
# perfdhcp draws from the list with replacement: one lease per MAC drawn.
dn_ctl leases --json >"$DN_DIR/leases.json" || dn_fail "leases --json"
out=$(dn_py - "$DN_DIR/leases.json" "$DN_DIR/macs" <<-'EOF'
import json, sys
leases = json.load(open(sys.argv[1]))
macs = set(open(sys.argv[2]).read().split())
ips = [l["ip"] for l in leases]
ok = len(leases) >= 1000 and all(l["mac"] in macs for l in leases) and len(set(ips)) == len(ips)
print("%d leases, distinct addresses, all of listed MACs" % len(leases) if ok else "bad: %r" % leases[:3])
sys.exit(0 if ok else 1)
EOF
) || dn_fail "$out"
dn_ok "$out"
dn_done
