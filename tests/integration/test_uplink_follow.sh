#!/bin/bash
# The NAT follows the host: a guest reaches the upstream's TCP service
# masqueraded as the wired uplink (up0); when the default route moves to up1
# new flows come from up1's address; a policy-routing "VPN" (a rule for the
# guest subnet and a table of its own) takes over and traffic follows it,
# though the host's own route stays on up0. Each change is logged ("uplink
# now IFACE via GW") and shown by `defnetctl status`.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
dn_find_binaries
dn_topology
dn_start_defnetd

st="$DN_DIR/status.json"
dn_status_json "$st"
SUBNET=$(dn_json "$st" 'd["subnet"]')
GW=$(dn_json "$st" 'd["gateway"]')
VPN_TABLE=1234

# guest_static NAME N: a guest with the subnet's Nth address (no DHCP).
guest_static()
{
	local ip
	dn_guest "$1"
	ip=$(dn_subnet_host "$SUBNET" "$2")
	ip -n "$DN_GUEST_NS" addr add "$ip/${SUBNET#*/}" dev eth0 &&
		ip -n "$DN_GUEST_NS" route add default via "$GW" || dn_fail "guest $1: address $ip"
}
guest_static g1 10
G1=$DN_GUEST_NS

# uplink_is "IFACE GW": status --json's uplink (a command for dn_wait).
uplink_is()
{
	dn_ctl status --json >"$DN_DIR/uplink.json" 2>/dev/null &&
		[ "$(dn_json "$DN_DIR/uplink.json" \
			'd["uplink"]["interface"] + " " + (d["uplink"]["gateway"] or "-") if d["uplink"] else "none"')" = "$1" ]
}

# seen_as ADDR: the echo service sees a new connection from the guest as ADDR.
seen_as() { [ "$(dn_echo_from "$G1")" = "$1" ]; }

log_count() { grep -c -- "$1" "$DN_LOG"; }

# ------------------------------------------------------------ wired
dn_assert_wait 5 "status: uplink up0 via $DN_UP0_PEER" uplink_is "up0 $DN_UP0_PEER"
dn_assert_grep "uplink now up0 via $DN_UP0_PEER" "$DN_LOG" "log: uplink now up0 via $DN_UP0_PEER"
dn_assert_eq "$(dn_echo_from "$G1")" "$DN_UP0_HOST" "the service sees the wired uplink's address"
dn_assert_eq "$(dn_json "$DN_DIR/uplink.json" 'd["uplink"]["addresses"]')" "[\"$DN_UP0_HOST\"]" \
	"status: the uplink's addresses"

# ----------------------------------------------- the default route moves
dn_h ip route del default via "$DN_UP0_PEER" dev up0 || dn_fail "delete up0's default route"
dn_assert_wait 5 "status: uplink up1 via $DN_UP1_PEER" uplink_is "up1 $DN_UP1_PEER"
dn_assert_wait 5 "log: uplink now up1 via $DN_UP1_PEER" \
	grep -q "uplink now up1 via $DN_UP1_PEER" "$DN_LOG"
dn_assert_eq "$(dn_echo_from "$G1")" "$DN_UP1_HOST" "new flows come from up1's address"
dn_assert_eq "$(dn_json "$DN_DIR/uplink.json" 'd["uplink"]["changes"]')" 1 "status: one change"

dn_h ip route add default via "$DN_UP0_PEER" dev up0 metric 100 || dn_fail "restore up0's route"
dn_assert_wait 5 "status: back on up0" uplink_is "up0 $DN_UP0_PEER"
dn_assert_eq "$(dn_echo_from "$G1")" "$DN_UP0_HOST" "back on up0: new flows from up0's address"

# A lower metric on up1 wins, with up0's route still there.
dn_h ip route add default via "$DN_UP1_PEER" dev up1 metric 50 || dn_fail "up1 metric 50"
dn_assert_wait 5 "metric 50 on up1: uplink up1" uplink_is "up1 $DN_UP1_PEER"
dn_assert_eq "$(dn_echo_from "$G1")" "$DN_UP1_HOST" "metric change: new flows from up1"
dn_h ip route del default via "$DN_UP1_PEER" dev up1 metric 50 || dn_fail "drop metric 50"
dn_assert_wait 5 "metric 50 gone: uplink up0" uplink_is "up0 $DN_UP0_PEER"

# ------------------------------------------------------ a policy "VPN"
# What wg-quick and OpenVPN do with policy routing: a table of their own
# with a default route, and a rule that sends the traffic to it.
n_before=$(log_count "uplink now up1")
dn_h ip route add default via "$DN_UP1_PEER" dev up1 table "$VPN_TABLE" &&
	dn_h ip rule add from "$SUBNET" lookup "$VPN_TABLE" pref 1000 ||
	dn_fail "VPN rule and table"
dn_assert_wait 5 "VPN rule: uplink up1 (the guests' route)" uplink_is "up1 $DN_UP1_PEER"
host_route=$(dn_h ip -o route get "$DN_INTERNET" | sed -n 's/.* dev \([^ ]*\).*/\1/p')
dn_assert_eq "$host_route" up0 "the host's own route stays on up0"
dn_assert_eq "$(dn_echo_from "$G1")" "$DN_UP1_HOST" "guest traffic follows the VPN's table"
dn_assert_eq "$(log_count "uplink now up1")" $((n_before + 1)) "log: the VPN's uplink, once"

dn_h ip rule del from "$SUBNET" lookup "$VPN_TABLE" pref 1000 || dn_fail "VPN rule down"
dn_assert_wait 5 "VPN down: uplink up0" uplink_is "up0 $DN_UP0_PEER"
dn_assert_eq "$(dn_echo_from "$G1")" "$DN_UP0_HOST" "VPN down: new flows from up0 again"

# -------------------------------------------------------- no way out
dn_h ip route del default via "$DN_UP0_PEER" dev up0 &&
	dn_h ip route del default via "$DN_UP1_PEER" dev up1 || dn_fail "delete default routes"
dn_assert_wait 5 "no default route: uplink none" uplink_is none
dn_assert_grep "no uplink" "$DN_LOG" "log: no uplink"
txt="$DN_DIR/status.txt"
dn_ctl status >"$txt" || dn_fail "status (text)"
dn_assert_grep "^uplink: +none" "$txt" "text status: uplink none"
dn_h ip route add default via "$DN_UP0_PEER" dev up0 metric 100 || dn_fail "restore up0"
dn_assert_wait 5 "route back: uplink up0" uplink_is "up0 $DN_UP0_PEER"
dn_ctl status >"$txt" || dn_fail "status (text)"
dn_assert_grep "^uplink: +up0 via $DN_UP0_PEER$" "$txt" "text status: uplink up0 via $DN_UP0_PEER"

dn_stop_defnetd
dn_assert_eq "$DN_DAEMON_RC" 0 "SIGTERM: exit 0"
dn_done
