#!/bin/bash
# Subnet=auto: a /20 in 172.16.0.0/12. Learn the preferred one (P) on a
# clean start; then, with a route into P in a table other than main (a
# policy-routing VPN's way), a fresh start must pick another /20 clear of
# it; and with a host address inside that second choice as well, a third.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
dn_find_binaries
dn_topology

# dn_subnet_now: the daemon's subnet, from status --json.
dn_subnet_now()
{
	local f="$DN_DIR/status-$DN_RUN.json"
	dn_status_json "$f"
	dn_json "$f" 'd["subnet"]'
}

dn_assert_in_auto_range()
{
	dn_py -c 'import ipaddress as i,sys; n=i.ip_network(sys.argv[1]); sys.exit(0 if n.prefixlen == 20 and n.subnet_of(i.ip_network("172.16.0.0/12")) else 1)' "$1" ||
		dn_fail "$1 is not a /20 inside 172.16.0.0/12"
	dn_ok "$1 is a /20 inside 172.16.0.0/12"
}

dn_start_defnetd
P=$(dn_subnet_now)
dn_say "preferred subnet P=$P"
dn_assert_in_auto_range "$P"
dn_assert_eq "$(dn_json "$DN_DIR/status-$DN_RUN.json" 'd["subnet_mode"]')" auto "subnet_mode auto"
dn_assert_grep "$P" "$DN_LOG" "log names the subnet $P"
dn_assert_eq "$(dn_state_subnet)" "$P" "state file: subnet $P"
dn_stop_defnetd || dn_fail "stop: exit $DN_DAEMON_RC"

# The same machine, a clean state: the same choice (derived, not random).
rm -rf "${DN_STATE:?}"/*
dn_start_defnetd
dn_assert_eq "$(dn_subnet_now)" "$P" "clean state again: P again"
dn_stop_defnetd || dn_fail "stop: exit $DN_DAEMON_RC"

# A route into P in table 100, used through a policy rule.
rm -rf "${DN_STATE:?}"/*
block=$(dn_subnet_part "$P" 24 5)
dn_h ip route add "$block" via "$DN_UP1_PEER" dev up1 table 100 &&
	dn_h ip rule add pref 1000 lookup 100 || dn_fail "install $block in table 100"
dn_say "route $block in table 100 (+ rule pref 1000)"
dn_start_defnetd
Q=$(dn_subnet_now)
dn_say "with P blocked: Q=$Q"
dn_assert_in_auto_range "$Q"
dn_assert_ne "$Q" "$P" "a route in table 100 into P moves the choice"
dn_assert_not "$Q does not overlap $block" dn_overlap "$Q" "$block"
gw=$(dn_subnet_host "$Q" 1)
dn_assert_wait 5 "bridge carries $gw" sh -c "ip netns exec '$DN_HOST' ip -4 -o addr show dev '$DN_BRIDGE' | grep -q ' $gw/20 '"
dn_stop_defnetd || dn_fail "stop: exit $DN_DAEMON_RC"

# A host address inside Q, on an uplink: Q is out too.
rm -rf "${DN_STATE:?}"/*
hostaddr=$(dn_subnet_host "$Q" 77)
dn_h ip addr add "$hostaddr/32" dev up1 || dn_fail "address $hostaddr on up1"
dn_say "host address $hostaddr/32 on up1"
dn_start_defnetd
R=$(dn_subnet_now)
dn_say "with P routed and an address in Q: R=$R"
dn_assert_in_auto_range "$R"
dn_assert_not "$R does not overlap $block" dn_overlap "$R" "$block"
dn_assert_not "$R does not contain $hostaddr" dn_overlap "$R" "$hostaddr/32"
dn_stop_defnetd || dn_fail "stop: exit $DN_DAEMON_RC"
dn_ok "stopped cleanly"

dn_done
