#!/bin/bash
# The harness itself, without defnetd: the topology, the upstream services,
# the uplink preference, a guest on a bridge, and clean-up after a failing
# test (no namespace or process left behind).
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"

dn_topology
dn_ok "topology: namespaces $DN_HOST and $DN_UP"

dn_assert_eq "$(dn_echo_from "$DN_HOST" "$DN_UP0_PEER")" "$DN_UP0_HOST" "host reaches upstream over up0"
dn_assert_eq "$(dn_echo_from "$DN_HOST" "$DN_UP1_PEER")" "$DN_UP1_HOST" "host reaches upstream over up1"
dn_assert_eq "$(dn_h sysctl -n net.ipv4.ip_forward)" 0 "host ns starts with ip_forward=0"
dn_assert_eq "$(dn_in "$DN_UP" sysctl -n net.ipv4.ip_forward)" 1 "upstream forwards"

route=$(dn_h ip -4 route get "$DN_INTERNET")
case $route in
*"via $DN_UP0_PEER dev up0"*) dn_ok "the internet is via up0 (metric 100)" ;;
*) dn_fail "route to $DN_INTERNET: $route" ;;
esac

dn_assert "DNS over up0 answers www.$DN_ZONE" dn_dns_answers "$DN_HOST" "$DN_UP0_PEER"
dn_assert "DNS over up1 answers www.$DN_ZONE" dn_dns_answers "$DN_HOST" "$DN_UP1_PEER"
mx=$(dn_h dig +short +time=1 +tries=1 "@$DN_UP0_PEER" "$DN_ZONE" MX)
dn_assert_eq "$mx" "10 mail.$DN_ZONE." "MX of $DN_ZONE"
txt=$(dn_h dig +short +time=1 +tries=1 "@$DN_UP0_PEER" "txt.$DN_ZONE" TXT)
dn_assert_eq "$txt" "\"$DN_ZONE_TXT\"" "TXT of txt.$DN_ZONE"
rcode=$(dn_h dig +time=1 +tries=1 "@$DN_UP0_PEER" "nope.$DN_ZONE" A | sed -n 's/.*status: \([A-Z]*\).*/\1/p')
dn_assert_eq "$rcode" NXDOMAIN "unknown name in the zone"

dn_assert_eq "$(dn_echo_from "$DN_HOST")" "$DN_UP0_HOST" "echo service sees the up0 address"
dn_h ip route del default via "$DN_UP0_PEER" dev up0 || dn_fail "delete up0 default"
dn_assert_eq "$(dn_echo_from "$DN_HOST")" "$DN_UP1_HOST" "without up0's default route, up1 is used"
dn_h ip route add default via "$DN_UP0_PEER" dev up0 metric 100 || dn_fail "restore up0 default"

# A guest needs a bridge; defnetd makes it in the real tests.
dn_h ip link add "$DN_BRIDGE" type bridge && dn_h ip link set "$DN_BRIDGE" up ||
	dn_fail "test bridge"
dn_guest g1
port=$(dn_guest_port g1)
master=$(dn_h ip -j link show "$port" | dn_py -c 'import json,sys; print(json.load(sys.stdin)[0].get("master",""))')
dn_assert_eq "$master" "$DN_BRIDGE" "guest g1's port $port is enslaved"
dn_assert "guest g1 has eth0" dn_in "$DN_GUEST_NS" ip link show eth0

# dn_dhcp_guest against a DHCP server of the harness's own (dnsmasq on
# the test bridge), so the later DHCP tests rely on a helper that works.
dn_h ip addr add 10.99.0.1/24 dev "$DN_BRIDGE" || dn_fail "test bridge address"
dn_bg "$DN_HOST" "$DN_DIR/dhcpd.out" dnsmasq --keep-in-foreground \
	--conf-file=/dev/null --no-resolv --no-hosts --port=0 --user=root --group=root \
	--pid-file="$DN_DIR/dhcpd.pid" --bind-interfaces --interface="$DN_BRIDGE" \
	--dhcp-range=10.99.0.10,10.99.0.20,255.255.255.0,1h \
	--dhcp-option=option:router,10.99.0.1 --dhcp-leasefile="$DN_DIR/dhcpd.leases"
dn_assert "dhclient in guest g1 gets a lease" dn_dhcp_guest g1
ip4=$(dn_lease_value g1 new_ip_address)
case $ip4 in
10.99.0.1[0-9] | 10.99.0.20) dn_ok "lease recorded: $ip4" ;;
*) cat "$DN_DIR/dhclient-g1.log" >&2; dn_fail "lease address '$ip4'" ;;
esac
dn_assert_eq "$(dn_lease_value g1 new_routers)" 10.99.0.1 "lease: router"
dn_assert "guest g1 carries $ip4/24" \
	sh -c "ip -n '$DN_GUEST_NS' -4 -o addr show dev eth0 | grep -q ' $ip4/24 '"
dn_assert "guest g1's default route via 10.99.0.1" \
	sh -c "ip -n '$DN_GUEST_NS' route show default | grep -q 'via 10.99.0.1'"
dn_assert_not "no dhclient left running in g1" sh -c "ip netns pids '$DN_GUEST_NS' | grep -q ."

# Clean-up after a failure: a child test that builds the topology, starts
# a background process and fails must leave nothing behind.
child_out="$DN_DIR/child.out"
DN_NAME=harnesschild DN_NEEDS="$DN_NEEDS" DN_KEEP_FAILED= bash -c '
	. "$1/lib.sh"
	dn_topology
	dn_bg "$DN_HOST" /dev/null sleep 300
	echo "PIDS ${DN_PIDS[*]}"
	echo "DIR $DN_DIR"
	dn_fail "deliberate failure"' child "$DN_LIB_DIR" >"$child_out" 2>&1 &
child=$!
wait "$child"
child_rc=$?
dn_assert_eq "$child_rc" 1 "a failing test exits 1"
leftover=$(ip netns list | grep -c "^dn-harnesschild-$child-")
dn_assert_eq "$leftover" 0 "its namespaces are gone"
pids=$(sed -n 's/^PIDS //p' "$child_out")
[ -n "$pids" ] || { cat "$child_out" >&2; dn_fail "child did not report its PIDs"; }
for p in $pids; do
	dn_alive "$p" && dn_fail "its process $p still runs"
done
dn_ok "its processes ($pids) are gone"
dir=$(sed -n 's/^DIR //p' "$child_out")
dn_assert_not "its directory $dir is gone" test -e "$dir"

dn_done
