#!/bin/bash
# The auto subnet persists: chosen once (Q, with the preferred P blocked),
# kept after the block is gone, and left only when a route conflicts
# with it.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
dn_find_binaries
dn_topology

dn_subnet_now()
{
	local f="$DN_DIR/status-$DN_RUN.json"
	dn_status_json "$f"
	dn_json "$f" 'd["subnet"]'
}

# dn_bridge_has ADDR/LEN: the bridge carries that address.
dn_bridge_has()
{
	dn_h ip -4 -o addr show dev "$DN_BRIDGE" | grep -q " $1 "
}

dn_start_defnetd
P=$(dn_subnet_now)
dn_say "preferred subnet P=$P"
dn_stop_defnetd || dn_fail "stop: exit $DN_DAEMON_RC"
rm -rf "${DN_STATE:?}"/*

block=$(dn_subnet_part "$P" 24 0)
dn_h ip route add "$block" via "$DN_UP1_PEER" dev up1 table 100 &&
	dn_h ip rule add pref 1000 lookup 100 || dn_fail "install $block in table 100"
dn_start_defnetd
Q=$(dn_subnet_now)
dn_say "with $block routed: Q=$Q"
dn_assert_ne "$Q" "$P" "blocked P is not chosen"
dn_assert_eq "$(dn_state_subnet)" "$Q" "state file: subnet $Q"
dn_stop_defnetd || dn_fail "stop: exit $DN_DAEMON_RC"
dn_ok "stop: exit 0"

dn_h ip route del "$block" table 100 || dn_fail "remove the block"
dn_say "removed $block: P is free again"
dn_start_defnetd
dn_assert_eq "$(dn_subnet_now)" "$Q" "restart: still Q (persisted), not P"
dn_assert_eq "$(dn_state_subnet)" "$Q" "state file still says $Q"
dn_stop_defnetd || dn_fail "stop: exit $DN_DAEMON_RC"

conflict=$(dn_subnet_part "$Q" 22 1)
dn_h ip route add "$conflict" via "$DN_UP0_PEER" dev up0 || dn_fail "route $conflict"
dn_say "route $conflict (main table) now conflicts with Q"
dn_start_defnetd
R=$(dn_subnet_now)
dn_say "R=$R"
dn_assert_ne "$R" "$Q" "a conflicting route moves the subnet off Q"
dn_assert_not "$R does not overlap $conflict" dn_overlap "$R" "$conflict"
dn_assert_eq "$(dn_state_subnet)" "$R" "state file: subnet $R"
gwR="$(dn_subnet_host "$R" 1)/20"
gwQ="$(dn_subnet_host "$Q" 1)/20"
dn_assert "bridge carries the new gateway $gwR" dn_bridge_has "$gwR"
dn_assert_not "bridge no longer carries the old gateway $gwQ" dn_bridge_has "$gwQ"
dn_stop_defnetd || dn_fail "stop: exit $DN_DAEMON_RC"

dn_start_defnetd
dn_assert_eq "$(dn_subnet_now)" "$R" "restart: R is kept"
dn_stop_defnetd || dn_fail "stop: exit $DN_DAEMON_RC"
dn_ok "every stop: exit 0"

dn_done
