#!/bin/bash
# A guest with a static address inside the pool is never offered to another
# guest: the ARP probe before an address is first offered finds it; the
# address is skipped and logged. The pool (three addresses) then serves
# the other two and nothing more: no live lease is taken from anyone.
# Then a squatter on the first address of a new pool, there before the
# start: the quick probes of the start-up reserve find it, and the first
# client after the start is offered another address.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
dn_find_binaries
DN_SERVICES=0 dn_topology
cat >>"$DN_CONF" <<-EOF
[Network]
Subnet=10.98.0.0/24
[DHCP]
Pool=10.98.0.10-10.98.0.12
RateLimit=off
RateLimitPerPort=off
EOF
dn_start_defnetd
dn_guest st
dn_guest c
ip -n "$(dn_guest_ns st)" addr add 10.98.0.11/24 dev eth0 || dn_fail "static address"
client() { dn_in "$(dn_guest_ns c)" timeout 30 "$DN_PYTHON" "$DN_LIB_DIR/dhcp_client.py" eth0 "$@"; }

got=""
for i in 1 2; do
	out=$(client "52:54:00:00:44:0$i" dora)
	case $out in
	"ACK "*) got="$got ${out#ACK }" ;;
	*) dn_fail "client $i: $out" ;;
	esac
done
dn_assert_eq "$got" " 10.98.0.10 10.98.0.12" "two clients, around the static guest"
dn_assert_grep "10\.98\.0\.11 (answered an ARP probe|is used by a host without a lease)" "$DN_LOG" \
	"the address in use is logged"
dn_assert_eq "$(client 52:54:00:00:44:03 dora)" TIMEOUT "a third client: nothing left, nothing taken"
dn_assert_grep "the pool is exhausted" "$DN_LOG" "exhaustion is logged"
dn_assert_eq "$(dn_ctl leases --json | dn_py -c 'import json,sys; print(sorted(l["ip"] for l in json.load(sys.stdin)))')" \
	"['10.98.0.10', '10.98.0.12']" "the two leases are intact"

dn_stop_defnetd || dn_fail "defnetd stopped with $DN_DAEMON_RC"
sed -i 's/^Pool=.*/Pool=10.98.0.20-10.98.0.40/' "$DN_CONF"
dn_guest sq
ip -n "$(dn_guest_ns sq)" addr add 10.98.0.20/24 dev eth0 || dn_fail "squatter address"
dn_start_defnetd
out=$(client 52:54:00:00:44:04 dora)
case $out in
"ACK 10.98.0.20") dn_fail "the squatter's address was given out" ;;
"ACK "*) dn_ok "first client after the start: ${out#ACK }" ;;
*) dn_fail "first client after the start: $out" ;;
esac
dn_assert_grep "10\.98\.0\.20 answered an ARP probe" "$DN_LOG" \
	"the start-up probe found the squatter"
dn_done
