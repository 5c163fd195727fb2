#!/bin/bash
# A long-lived IPv6 UDP flow moves with the host's IPv6 address. A guest
# (SLAAC in the prefix) sends a datagram every 20 ms from one socket to a
# logger upstream, through NAT66. Then the uplink renumbers the way SLAAC
# and DHCPv6-PD hosts do: a new address appears on the same link and the
# old one is deprecated (preferred lifetime 0, still valid). New flows take
# the new address, but the kernel keeps the old flow's translation: only
# the daemon's sweep (uplink6.c) makes it start over. The control shows it:
# with the daemon stopped, the same change leaves the flow on the old
# address.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015
DN_NEEDS=${DN_NEEDS:-"socat"}
. "$(dirname "$0")/lib.sh"
dn_find_binaries
dn_topology

FLOW="$DN_LIB_DIR/udp_flow.py"
PORT=7779
SPORT=40000
LOG="$DN_DIR/udp6.log"
UP6_OLD=2001:db8:1::2
UP6_NEW=2001:db8:3::2
UP6_FAR=2001:db8:ffff::1
dn_h ip -6 addr add "$UP6_OLD/64" dev up0 nodad &&
	dn_in "$DN_UP" ip -6 addr add 2001:db8:1::1/64 dev up0 nodad &&
	dn_in "$DN_UP" ip -6 addr add 2001:db8:3::1/64 dev up0 nodad &&
	dn_in "$DN_UP" ip -6 addr add "$UP6_FAR/128" dev lo &&
	dn_h ip -6 route add default via 2001:db8:1::1 dev up0 ||
	dn_fail "upstream IPv6"

dn_start_defnetd
dn_guest g1
G1=$DN_GUEST_NS
guest6_default() { dn_in "$G1" ip -6 route show default dev eth0 | grep -q 'via fe80:'; }
guest6_addr() { dn_in "$G1" ip -6 -o addr show dev eth0 scope global -tentative | grep -q inet6; }
dn_assert_wait 8 "the guest has a SLAAC address" guest6_addr
dn_assert_wait 5 "the guest has an IPv6 default route" guest6_default

: >"$LOG"
dn_bg "$DN_UP" "$DN_DIR/logger.out" "$DN_PYTHON" "$FLOW" log "$PORT" "$LOG" 100 ::
dn_bg "$G1" "$DN_DIR/sender.out" "$DN_PYTHON" "$FLOW" send "$UP6_FAR" "$PORT" 20 90 "$SPORT"

last_src() { tail -n 1 "$LOG" | cut -d' ' -f2; }
last_is() { [ "$(last_src)" = "$1" ]; }
dn_assert_wait 5 "the flow arrives from the uplink's address $UP6_OLD" last_is "$UP6_OLD"

# renumber: the new address, then the old one deprecated; prints the
# moment of the deprecation.
renumber()
{
	dn_h ip -6 addr add "$UP6_NEW/64" dev up0 nodad || return 1
	"$DN_PYTHON" "$FLOW" at ip -n "$DN_HOST" -6 addr change "$UP6_OLD/64" dev up0 \
		preferred_lft 0 | head -n 1
}
t0=$(renumber) || dn_fail "renumbering the uplink"
ms=$("$DN_PYTHON" "$FLOW" first "$LOG" "$t0" "$UP6_NEW" 3) ||
	dn_fail "the flow did not move to $UP6_NEW"
dn_ok "the flow moved to $UP6_NEW in $ms ms"
sleep 0.3
dn_assert "... and stays there" last_is "$UP6_NEW"
dn_assert_grep "conntrack: [1-9][0-9]* guest IPv6 flows? moved to up0" "$DN_LOG" \
	"log: the daemon moved the flow"

# ------------------------------------------------ control: no daemon
# The last advertisement on stop takes the guest's learnt route away: a
# static one through the same router keeps the flow going.
ll=$(dn_in "$G1" ip -6 route show default dev eth0 | awk '{ print $3; exit }')
dn_in "$G1" ip -6 route add default via "$ll" dev eth0 metric 4096 ||
	dn_fail "a static default route in the guest"
dn_stop_defnetd
dn_assert "the table stays after the daemon stops" dn_h nft list table inet defnet
t0=$("$DN_PYTHON" "$FLOW" at ip -n "$DN_HOST" -6 addr change "$UP6_NEW/64" dev up0 \
	preferred_lft 0 | head -n 1) &&
	ip -n "$DN_HOST" -6 addr change "$UP6_OLD/64" dev up0 preferred_lft forever ||
	dn_fail "the reverse change"
sleep 1
dn_assert "without the daemon, the flow still arrives after the change" \
	"$DN_PYTHON" "$FLOW" first "$LOG" "$((t0 + 800000000))" "$UP6_NEW"
dn_assert_not "... never from $UP6_OLD" "$DN_PYTHON" "$FLOW" first "$LOG" "$t0" "$UP6_OLD"
dn_done
