#!/bin/bash
# Port forwards over IPv6: a forward is reachable at HOSTPORT on the host's
# IPv6 addresses too, and leads to the guest's stable address in the
# prefix (its EUI-64 one before any other), learned from the neighbour
# table by its lease's MAC: from upstream (DNAT only: the guest sees the
# upstream's address), from the host itself, from another guest (hairpin);
# the forward follows the guest's address as it appears, moves and goes;
# with IPv6=no nothing of it is in the table.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015,SC2016,SC2317
. "$(dirname "$0")/lib.sh"
dn_find_binaries
DN_SERVICES=0 dn_topology
P=fd00:dead:beef:7
cat >>"$DN_CONF" <<-CONF
[Network]
Subnet=10.99.0.0/24
Prefix6=$P::/64
[DHCP]
Pool=10.99.0.100-10.99.0.150
CONF
# The upstream side has IPv6 but no route to the guests' prefix: only
# conntrack's un-DNAT gets the answers back (RFC 3849 addresses).
UP6_HOST=2001:db8:1::2
UP6_PEER=2001:db8:1::1
dn_h ip -6 addr add "$UP6_HOST/64" dev up0 nodad &&
	dn_in "$DN_UP" ip -6 addr add "$UP6_PEER/64" dev up0 nodad &&
	dn_h ip -6 route add default via "$UP6_PEER" dev up0 ||
	dn_fail "upstream IPv6"
jlog="$DN_DIR/journal.jsonl"
dn_start_defnetd_journal "$jlog"

MAC_A=52:54:00:00:66:01
EUI_A=$P:5054:ff:fe00:6601   # RFC 4291 appendix A, from MAC_A
# v6_guest NAME HOSTNAME: a DHCPv4 guest with its SLAAC address (the DHCP
# helper's flush took the link-local one: a link bounce brings it back),
# a default route, and a ping that puts it in the host's neighbour table.
v6_guest()
{
	local ns
	ns=$(dn_guest_ns "$1")
	dn_dhcp_guest "$1" "$2" || dn_fail "guest $1: no lease"
	dn_in "$ns" ip link set eth0 down && dn_in "$ns" ip link set eth0 up ||
		dn_fail "guest $1: eth0 bounce"
	dn_wait 8 dn_guest6_has_addr "$ns" && dn_wait 5 dn_guest6_default "$ns" ||
		dn_fail "guest $1: no SLAAC address or default route"
	dn_ping6 "$ns" "$P::1" || dn_fail "guest $1 cannot reach the gateway"
}
dn_guest a
GA=$DN_GUEST_NS
ip -n "$GA" link set eth0 address "$MAC_A" || dn_fail "guest a: MAC"
v6_guest a vm1
dn_assert_eq "$(dn_guest6_addr "$GA")" "$EUI_A" "guest a: its SLAAC address is the EUI-64 one"
dn_guest b
GB=$DN_GUEST_NS
v6_guest b vm2

# The guest's service answers "ITS-ADDRESS PEER-ADDRESS", in canonical form.
dn_bg "$GA" "$DN_DIR/tcp6.out" socat TCP6-LISTEN:22,fork,reuseaddr 'SYSTEM:echo $SOCAT_SOCKADDR $SOCAT_PEERADDR'
dn_listening6() { [ -n "$(dn_in "$1" ss -Hltn6 "sport = :$2")" ]; }
dn_wait 5 dn_listening6 "$GA" 22 || dn_fail "guest service did not listen"
tcp6_from()
{
	dn_in "$1" timeout 5 socat -T 3 - "TCP6:[$2]:$3,connect-timeout=3" </dev/null 2>/dev/null |
		dn_py -c 'import ipaddress, sys
print(" ".join(str(ipaddress.ip_address(w.strip("[]"))) for w in sys.stdin.read().split()))'
}
fwd_field() { dn_ctl forward list --json | dn_py -c "import json,sys; print([f['$2'] for f in json.load(sys.stdin) if f['port'] == $1][0])"; }
addr6_is() { [ "$(fwd_field "$1" address6)" = "$2" ]; }
nft_table() { dn_h nft list table inet defnet; }

dn_assert "forward add tcp 2222 vm1 22" dn_ctl forward add tcp 2222 vm1 22
dn_assert_wait 5 "forward list: address6 is the guest's EUI-64 address" addr6_is 2222 "$EUI_A"
dn_assert_eq "$(fwd_field 2222 address)" "$(dn_lease_value a new_ip_address)" \
	"forward list: address is still the v4 one"
dn_assert_grep "dnat ip6 to \[$EUI_A\]:22" <(nft_table) "the table: dnat ip6 to the guest"
dn_assert_eq "$(tcp6_from "$DN_UP" "$UP6_HOST" 2222)" "$EUI_A $UP6_PEER" \
	"from upstream over IPv6: the guest answers and sees the upstream's own address"
dn_assert_eq "$(tcp6_from "$DN_HOST" "$UP6_HOST" 2222)" "$EUI_A $UP6_HOST" \
	"from the host: its own uplink IPv6 address"
dn_assert_eq "$(tcp6_from "$DN_HOST" "$P::1" 2222)" "$EUI_A $P::1" \
	"from the host: its own ULA address on the bridge"
dn_assert_eq "$(tcp6_from "$GB" "$UP6_HOST" 2222)" "$EUI_A $P::1" \
	"from another guest to the host's uplink IPv6 address (hairpin)"
dn_assert_eq "$(tcp6_from "$DN_UP" "$UP6_HOST" 2223)" "" "no other port is opened"
dn_assert_eq "$(tcp6_from "$DN_HOST" ::1 2222)" "" "::1 is not forwarded (no route_localnet for IPv6)"

# A second address: the EUI-64 one stays the target while it lives.
NEW_A=$P::66:1
dn_in "$GA" ip -6 addr add "$NEW_A/64" dev eth0 nodad || dn_fail "guest a: second address"
dn_ping6 "$GA" "$P::1" "$NEW_A" || dn_fail "guest a: ping from $NEW_A"
has_neigh() { dn_h ip -6 neigh show dev "$DN_BRIDGE" | grep -q "^$1 .*lladdr"; }
dn_wait 5 has_neigh "$NEW_A" || dn_fail "the host did not learn $NEW_A"
sleep 0.3
dn_assert_eq "$(fwd_field 2222 address6)" "$EUI_A" "a newer address does not take the forward"
# The EUI-64 address goes: the guest drops it, the host's entry goes (as
# it would once its probes failed): the forward moves to the other one.
dn_in "$GA" ip -6 addr del "$EUI_A/64" dev eth0 || dn_fail "guest a: drop $EUI_A"
dn_h ip -6 neigh del "$EUI_A" dev "$DN_BRIDGE" || dn_fail "neigh del $EUI_A"
dn_assert_wait 5 "the forward follows the guest to $NEW_A" addr6_is 2222 "$NEW_A"
dn_assert_eq "$(tcp6_from "$DN_UP" "$UP6_HOST" 2222)" "$NEW_A $UP6_PEER" \
	"from upstream: the guest's new address answers"
journal_has() {
	dn_py - "$jlog" "$@" <<-'PY'
	import json, sys
	want = dict(zip(("MESSAGE_ID", "DEFNET_EVENT", "DEFNET_PORT", "DEFNET_IP6"), sys.argv[2:]))
	for line in open(sys.argv[1]):
	    e = json.loads(line)
	    if all(e.get(k) == v for k, v in want.items()):
	        sys.exit(0)
	sys.exit(1)
	PY
}
dn_assert_wait 3 "journal: forward-retarget with its MESSAGE_ID and DEFNET_IP6" \
	journal_has 3763659f70b144f6a99cadf0239e768d forward-retarget 2222 "$NEW_A"
dn_assert "journal: forward-add with its MESSAGE_ID" \
	journal_has c296708c577941f892043fc8d9e05dcb forward-add 2222
# No IPv6 address left: the v6 rule goes, the v4 one stays.
dn_h ip -6 neigh del "$NEW_A" dev "$DN_BRIDGE" || dn_fail "neigh del $NEW_A"
dn_assert_wait 5 "no IPv6 address: address6 null" addr6_is 2222 None
dn_assert_no_grep "dnat ip6" <(nft_table) "the table: no dnat ip6 without an address"
dn_assert_grep "dnat ip to $(dn_lease_value a new_ip_address):22" <(nft_table) \
	"the table: the IPv4 rule stays"
dn_stop_defnetd || dn_fail "stop: exit $DN_DAEMON_RC"

# IPv6=no: nothing IPv6 in the table, address6 null for a guest with one.
sed -i "s/^\[Network\]$/[Network]\nIPv6=no/" "$DN_CONF" || dn_fail "IPv6=no"
dn_start_defnetd
dn_assert_eq "$(fwd_field 2222 address6)" None "IPv6=no: address6 null"
dn_assert_no_grep "ip6" <(nft_table) "IPv6=no: no ip6 in the table"
dn_assert_grep "dnat ip to" <(nft_table) "IPv6=no: the IPv4 forward is there"
dn_done
