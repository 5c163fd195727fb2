#!/bin/bash
# A long-lived UDP flow moves with the uplink. A guest sends a datagram
# every 20 ms from one socket to a logger upstream; only routes change (no
# address is removed, no link goes down), so the kernel's flush on address
# removal and link down cannot move the flow. Each move is timed from the
# route change to the first datagram from the new uplink's address; after
# it, nothing more comes from the old one.
#
# Two kinds of move:
#   - to another interface (up0 <-> up1). The kernel itself also kills a
#     masqueraded entry whose output interface changed, on its next packet
#     (nf_nat_oif_changed, dropping that packet); the daemon's sweep gets
#     there first or at the same time.
#   - on the same interface, to a gateway on another subnet of it (up0
#     carries 198.51.100.0/24 and 198.18.0.0/24, RFC 2544's test range).
#     Masquerade would now pick the other address, but the kernel keeps the
#     old entry: only the daemon moves the flow. The control shows it: with
#     the daemon stopped (its table stays), the same change leaves the flow
#     on the old address.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015
DN_NEEDS=${DN_NEEDS:-"socat"}
. "$(dirname "$0")/lib.sh"
dn_find_binaries
DN_SERVICES=0 dn_topology
dn_start_defnetd

FLOW="$DN_LIB_DIR/udp_flow.py"
PORT=7779
SPORT=40000
LOG="$DN_DIR/udp.log"
MOVES=${UPLINK_UDP_MOVES:-4}

st="$DN_DIR/status.json"
dn_status_json "$st"
SUBNET=$(dn_json "$st" 'd["subnet"]')
GW=$(dn_json "$st" 'd["gateway"]')
dn_static_guest g1 "$SUBNET" "$GW" 10
G1=$DN_GUEST_NS

# The old address arriving on the other link must be logged, not dropped,
# for the control to mean anything.
dn_in "$DN_UP" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.up0.rp_filter=0 \
	net.ipv4.conf.up1.rp_filter=0 || dn_fail "upstream rp_filter"

: >"$LOG"
dn_bg "$DN_UP" "$DN_DIR/logger.out" "$DN_PYTHON" "$FLOW" log "$PORT" "$LOG" 100
dn_bg "$G1" "$DN_DIR/sender.out" "$DN_PYTHON" "$FLOW" send "$DN_INTERNET" "$PORT" 20 90 "$SPORT"

# last_src: the source address of the newest datagram.
last_src() { tail -n 1 "$LOG" | cut -d' ' -f2; }
last_is() { [ "$(last_src)" = "$1" ]; }

dn_assert_wait 5 "the flow arrives from up0's address" last_is "$DN_UP0_HOST"

# route_change EXPECTED CMD...: runs CMD (in the host namespace), waits for
# the flow to come from EXPECTED, prints the ms it took.
route_change()
{
	local want=$1 t0 ms
	shift
	t0=$("$DN_PYTHON" "$FLOW" at ip -n "$DN_HOST" "$@" | head -n 1) || return 1
	ms=$("$DN_PYTHON" "$FLOW" first "$LOG" "$t0" "$want" 3) || return 1
	# Some datagrams later, none from anything else.
	sleep 0.3
	awk -v t="$t0" -v ms="$ms" -v want="$want" \
		'$1 >= t + (ms + 60) * 1e6 && $2 != want { bad++ } END { exit bad > 0 }' "$LOG" ||
		return 2
	printf '%s\n' "$ms"
}

times=()
for ((n = 1; n <= MOVES; n++)); do
	if ((n % 2)); then
		ms=$(route_change "$DN_UP1_HOST" route del default via "$DN_UP0_PEER" dev up0) ||
			dn_fail "move $n: the flow did not move to up1 (rc $?)"
		dn_ok "move $n: the flow moved to up1 in $ms ms"
	else
		ms=$(route_change "$DN_UP0_HOST" route add default via "$DN_UP0_PEER" dev up0 metric 100) ||
			dn_fail "move $n: the flow did not move back to up0 (rc $?)"
		dn_ok "move $n: the flow moved back to up0 in $ms ms"
	fi
	times+=("$ms")
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
dn_say "route change to first datagram from the new uplink: ${times[*]} ms (median $median)"
# The issue's budget is 100 ms; the bound here leaves room for a loaded CI.
dn_assert "median move time $median ms is under 500 ms" \
	awk -v m="$median" 'BEGIN { exit !(m < 500) }'

# ------------------------------------- same interface, another gateway
ALT_HOST=198.18.0.2
ALT_PEER=198.18.0.1
ip -n "$DN_HOST" addr add "$ALT_HOST/24" dev up0 &&
	ip -n "$DN_UP" addr add "$ALT_PEER/24" dev up0 || dn_fail "second subnet on up0"
dn_assert_wait 5 "before the same-interface move: the flow on up0's first address" \
	last_is "$DN_UP0_HOST"
ms=$(route_change "$ALT_HOST" route replace default via "$ALT_PEER" dev up0 metric 100) ||
	dn_fail "same interface: the flow did not move to $ALT_HOST (rc $?)"
dn_ok "same interface, gateway $ALT_PEER: the flow moved to $ALT_HOST in $ms ms"
dn_assert_wait 5 "log: uplink now up0 via $ALT_PEER" grep -q "uplink now up0 via $ALT_PEER" "$DN_LOG"
dn_assert_grep "conntrack: [1-9][0-9]* guest flows? moved to up0" "$DN_LOG" \
	"log: the daemon moved the flow"
dn_status_json "$st"
dn_assert "status: flows_moved counts it" \
	dn_py -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["uplink"]["flows_moved"] < 1)' "$st"
dn_assert_eq "$(dn_json "$st" 'd["uplink"]["masquerade_address"]')" "$ALT_HOST" \
	"status: the masquerade address"
ms=$(route_change "$DN_UP0_HOST" route replace default via "$DN_UP0_PEER" dev up0 metric 100) ||
	dn_fail "same interface: the flow did not move back to $DN_UP0_HOST (rc $?)"
dn_ok "same interface, gateway $DN_UP0_PEER: the flow moved back in $ms ms"

# --------------------------------------------------- control: no daemon
dn_stop_defnetd
dn_assert "the table stays after the daemon stops" dn_h nft list table inet defnet
dn_assert "... and the flow still arrives from $DN_UP0_HOST" last_is "$DN_UP0_HOST"
t0=$("$DN_PYTHON" "$FLOW" at ip -n "$DN_HOST" route replace default via "$ALT_PEER" dev up0 metric 100 |
	head -n 1)
sleep 1
dn_assert_not "without the daemon, the same change leaves the flow on $DN_UP0_HOST" \
	"$DN_PYTHON" "$FLOW" first "$LOG" "$t0" "$ALT_HOST"
dn_assert "... where it still arrives" last_is "$DN_UP0_HOST"
dn_done
