#!/bin/bash
# IPv6 prefix: a ULA /64 with PREFIX::1 on the bridge, IPv6 forwarding on
# (uplinks with accept_ra=1 moved to 2), the same prefix after a restart,
# another one when the host routes part of it, none with IPv6=no.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015,SC2317
. "$(dirname "$0")/lib.sh"
dn_find_binaries
dn_topology

# The bridge's global IPv6 addresses, "ADDR/LEN" one a line.
dn_bridge6() { dn_h ip -6 -o addr show dev "$DN_BRIDGE" scope global | awk '{print $4}'; }

dn_h sysctl -qw net.ipv6.conf.up0.accept_ra=1 net.ipv6.conf.up1.accept_ra=0 ||
	dn_fail "accept_ra on the uplinks"
dn_start_defnetd
P=$(dn_state_prefix6)
dn_say "prefix P=$P"
dn_assert "P is a ULA /64" grep -Eq '^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{0,4}::/64$' <<<"$P"
dn_assert_eq "$(dn_bridge6)" "${P%::/64}::1/64" "bridge carries PREFIX::1/64"
dn_assert_eq "$(dn_h sysctl -n net.ipv6.conf.all.forwarding)" 1 "IPv6 forwarding on"
dn_assert_eq "$(dn_h sysctl -n net.ipv6.conf.up0.accept_ra)" 2 "up0: accept_ra 1 -> 2"
dn_assert_eq "$(dn_h sysctl -n net.ipv6.conf.up1.accept_ra)" 0 "up1: accept_ra 0 untouched"
dn_assert_grep "up0: accept_ra 1 -> 2" "$DN_LOG" "the change is logged"
dn_stop_defnetd || dn_fail "stop: exit $DN_DAEMON_RC"

dn_start_defnetd
dn_assert_eq "$(dn_state_prefix6)" "$P" "restart: the same prefix"
dn_assert_eq "$(dn_bridge6)" "${P%::/64}::1/64" "restart: the same gateway"
dn_stop_defnetd || dn_fail "stop: exit $DN_DAEMON_RC"

# The host routes part of P (a policy table): the next start moves off it.
dn_h ip -6 route add "${P%::/64}::/80" dev up1 table 100 || dn_fail "route in table 100"
dn_start_defnetd
Q=$(dn_state_prefix6)
dn_say "with part of P routed: Q=$Q"
dn_assert_ne "$Q" "$P" "a conflicting route moves the prefix"
dn_assert_eq "$(dn_bridge6)" "${Q%::/64}::1/64" "bridge: only the new gateway"
dn_assert_grep "conflicted6 $P" "$DN_STATE/subnet" "the conflict is remembered"

# A guest with an address in Q, to see what renumbering does to it.
dn_guest g1
G=$DN_GUEST_NS
# guest6_in PREFIX [FLAG]: the guest has an address in PREFIX (with FLAG).
guest6_in()
{
	dn_in "$G" ip -6 -o addr show dev eth0 scope global |
		grep " inet6 ${1%::/64}:" | grep -q -- "${2:-}"
}
dn_assert_wait 8 "the guest has a SLAAC address in Q" guest6_in "$Q"

# At run time too: a route over Q moves the guests to a third prefix.
dn_h ip -6 route add "${Q%::/64}::/96" dev up1 || dn_fail "route over Q"
prefix_moved() { local now; now=$(dn_state_prefix6); [ -n "$now" ] && [ "$now" != "$Q" ]; }
dn_assert_wait 5 "run time: the prefix moves off Q" prefix_moved
R=$(dn_state_prefix6)
dn_assert_ne "$R" "$P" "and not back to P"
dn_assert_eq "$(dn_bridge6)" "${R%::/64}::1/64" "bridge: the gateway of $R only"
dn_assert_wait 5 "the guest gets an address in $R" guest6_in "$R"
dn_assert_wait 5 "its address in Q is deprecated at once (advertised with lifetime 0)" \
	guest6_in "$Q" deprecated
dn_stop_defnetd || dn_fail "stop: exit $DN_DAEMON_RC"

dn_config <<EOF2
$(dn_default_config | sed "s/^\[Network\]$/[Network]\nIPv6=no/")
EOF2
dn_start_defnetd
dn_assert_eq "$(dn_bridge6)" "" "IPv6=no: no global address on the bridge"
dn_assert_eq "$(dn_state_prefix6)" "$R" "IPv6=no keeps the remembered prefix"
dn_stop_defnetd || dn_fail "stop: exit $DN_DAEMON_RC"

dn_config <<EOF2
$(dn_default_config | sed "s/^\[Network\]$/[Network]\nPrefix6=fd00:dead:beef:7::\/64/")
EOF2
dn_start_defnetd
dn_assert_eq "$(dn_bridge6)" "fd00:dead:beef:7::1/64" "a fixed Prefix6= is used"
dn_stop_defnetd || dn_fail "stop: exit $DN_DAEMON_RC"
dn_ok "every stop: exit 0"

dn_done
