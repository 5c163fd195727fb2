#!/bin/bash
# NAT benchmark, in one run, on the test topology (tests/integration/lib.sh):
#   (a) TCP throughput guest -> upstream (iperf3, 5 s a run, client on
#       CPU 0 and server on CPU 1 so both modes place them alike) through
#       the daemon's NAT, against the same path without the daemon's table
#       (plain routing: the upstream routes the guest subnet back), runs
#       interleaved, RUNS of each; the ratio of the medians must be >= 0.9;
#   (b) the time from a default-route change to the first datagram of an
#       already-running UDP flow (one every 10 ms) arriving upstream with
#       the new uplink's source address, MOVES changes: to another
#       interface (up0 <-> up1), and on the same interface to a gateway on
#       its other subnet (which only the daemon moves); medians must be
#       under 100 ms;
#   (c) TCP throughput upstream -> guest through a port forward (iperf3 to
#       the host's uplink address, DNAT to the guest), against plain
#       routing to the guest's own address (no table), RUNS of each,
#       interleaved; the ratio of the medians must be >= 0.9; and the time
#       from a guest's new lease to the table pointing the forward at it
#       (the daemon logs it), MOVES leases; median under 10 ms;
#   (d) the same over IPv6: TCP upstream -> guest through the forward
#       (iperf3 to the host's uplink IPv6 address, dnat ip6 to the guest's
#       SLAAC address), against plain IPv6 routing to the guest's address
#       (no table; the upstream routes the prefix to the host), RUNS of
#       each, interleaved; the ratio of the medians must be >= 0.9.
#   (e) TCP throughput guest -> upstream from a guest with a DHCP lease,
#       with [Guard] SpoofProtection=yes against no (switched by reload),
#       RUNS of each, interleaved; the ratio of the medians must be >= 0.95.
# Run as root from the repository after building (ninja -C build):
#   bench/nat.sh [DEFNETD] [DEFNETCTL]      (RUNS=5 MOVES=10 by default;
#   SPOOF_ONLY=1: (e) alone)
# Needs iperf3 and python3. Exits 1 when a target is missed.
set -u -o pipefail
DN_NAME=benchnat
DEFNETD=${1:-${DEFNETD:-$(pwd)/build/daemon/defnetd}}
DEFNETCTL=${2:-${DEFNETCTL:-$(pwd)/build/daemon/defnetctl}}
DN_NEEDS="iperf3 socat"
DN_LOGLEVEL=info
# shellcheck source=../tests/integration/lib.sh
. "$(dirname "$0")/../tests/integration/lib.sh"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
dn_find_binaries

RUNS=${RUNS:-5}
MOVES=${MOVES:-10}
FLOW="$DN_REPO/tests/integration/udp_flow.py"
bench_own_dir natbench

DN_SERVICES=0 dn_topology
dn_start_defnetd
st="$DN_DIR/status.json"
dn_status_json "$st"
SUBNET=$(dn_json "$st" 'd["subnet"]')
GW=$(dn_json "$st" 'd["gateway"]')
dn_static_guest g1 "$SUBNET" "$GW" 10
G1=$DN_GUEST_NS
dn_in "$DN_UP" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.up0.rp_filter=0 \
	net.ipv4.conf.up1.rp_filter=0 || dn_fail "upstream rp_filter"


# ------------------------------------------------------- (a) throughput
dn_bg "$DN_UP" "$DN_DIR/iperf3-server.out" taskset -c 1 iperf3 -s -B "$DN_INTERNET"
dn_wait 5 dn_listening "$DN_UP" 5201 || dn_fail "iperf3 server"

# iperf_gbps: one 5 s TCP run from the guest (IPERF_NS, g1 by default),
# in Gbit/s received.
iperf_gbps() { bench_iperf_gbps "${IPERF_NS:-$G1}" "$DN_INTERNET"; }

# ------------------------------------------- (e) spoof protection on/off
# spoof_conf yes|no: the configuration, reloaded.
spoof_conf()
{
	{ dn_default_config; printf '[Guard]\nSpoofProtection=%s\n' "$1"; } | dn_config
	dn_ctl reload >/dev/null || dn_fail "reload with SpoofProtection=$1"
}

# spoof_part: sets spoof_on and spoof_off (Gbit/s of each run), their
# medians and spoof_ratio; leaves SpoofProtection=no.
spoof_part()
{
	dn_guest g2
	dn_dhcp_guest g2 || dn_fail "g2: no lease"
	IPERF_NS=$DN_GUEST_NS
	spoof_ratio=''
	spoof_conf yes
	compare spoof_on spoof_off "spoof_conf yes" "spoof_conf no" iperf_gbps iperf_gbps \
		spoof_ratio
	spoof_conf no
	unset IPERF_NS
	ok_spoof=$(awk -v r="$spoof_ratio" 'BEGIN { print (r >= 0.95) ? "yes" : "NO" }')
}

# shellcheck disable=SC2154 # compare() assigns the arrays and medians by name
spoof_report()
{
	printf '| TCP guest -> upstream, SpoofProtection=yes (median Gbit/s) | %s | %s (%s) | | |\n' \
		"$RUNS" "$spoof_on_med" "${spoof_on[*]}"
	printf '| TCP guest -> upstream, SpoofProtection=no (median Gbit/s) | %s | %s (%s) | | |\n' \
		"$RUNS" "$spoof_off_med" "${spoof_off[*]}"
	printf '| spoof protection yes / no | | %s | >= 0.95 | %s |\n' "$spoof_ratio" "$ok_spoof"
}

if [ "${SPOOF_ONLY:-0}" = 1 ]; then
	spoof_part
	printf '\n| measure | runs | result | target | met |\n| --- | --- | --- | --- | --- |\n'
	spoof_report
	dn_stop_defnetd
	[ "$ok_spoof" = yes ]
	exit
fi

# mode nat|plain: with the daemon's table (NAT), or plain routing (no
# table; the upstream routes the guest subnet to the host).
mode()
{
	if [ "$1" = nat ]; then
		ip -n "$DN_UP" route del "$SUBNET" 2>/dev/null
		[ -z "${PREFIX6:-}" ] || ip -n "$DN_UP" -6 route del "$PREFIX6" 2>/dev/null
		dn_start_defnetd
	else
		dn_stop_defnetd
		dn_h nft delete table inet defnet || dn_fail "delete the table"
		ip -n "$DN_UP" route replace "$SUBNET" via "$DN_UP0_HOST" || dn_fail "upstream route"
		[ -z "${PREFIX6:-}" ] || ip -n "$DN_UP" -6 route replace "$PREFIX6" via "$UP6_HOST" ||
			dn_fail "upstream IPv6 route"
	fi
}

# The ratios that compare() sets by name, for the report.
ratio=''
fwd_ratio=''
fwd6_ratio=''
compare nat plain "mode nat" "mode plain" iperf_gbps iperf_gbps ratio

# ------------------------------------------------- (b) route change -> flow
LOG="$DN_DIR/udp.log"
: >"$LOG"
dn_bg "$DN_UP" "$DN_DIR/logger.out" "$DN_PYTHON" "$FLOW" log 7779 "$LOG" 600
dn_bg "$G1" "$DN_DIR/sender.out" "$DN_PYTHON" "$FLOW" send "$DN_INTERNET" 7779 10 590 40000
last_is() { [ "$(tail -n 1 "$LOG" | cut -d' ' -f2)" = "$1" ]; }
dn_wait 5 last_is "$DN_UP0_HOST" || dn_fail "the UDP flow does not arrive"

# move WANT CMD...: prints the ms from CMD to the first datagram from WANT.
move()
{
	local want=$1 t0 ms
	shift
	t0=$("$DN_PYTHON" "$FLOW" at ip -n "$DN_HOST" "$@" | head -n 1) || return 1
	ms=$("$DN_PYTHON" "$FLOW" first "$LOG" "$t0" "$want" 5) || return 1
	sleep 0.3
	printf '%s\n' "$ms"
}

cross=()
for ((i = 1; i <= MOVES; i++)); do
	if ((i % 2)); then
		ms=$(move "$DN_UP1_HOST" route del default via "$DN_UP0_PEER" dev up0) || dn_fail "move $i"
	else
		ms=$(move "$DN_UP0_HOST" route add default via "$DN_UP0_PEER" dev up0 metric 100) ||
			dn_fail "move $i"
	fi
	cross+=("$ms")
done
((MOVES % 2)) && { dn_h ip route add default via "$DN_UP0_PEER" dev up0 metric 100; sleep 0.5; }

ALT_HOST=198.18.0.2
ALT_PEER=198.18.0.1
ip -n "$DN_HOST" addr add "$ALT_HOST/24" dev up0 &&
	ip -n "$DN_UP" addr add "$ALT_PEER/24" dev up0 || dn_fail "second subnet on up0"
dn_wait 5 last_is "$DN_UP0_HOST" || dn_fail "the UDP flow is not on up0"
same=()
for ((i = 1; i <= MOVES; i++)); do
	if ((i % 2)); then
		ms=$(move "$ALT_HOST" route replace default via "$ALT_PEER" dev up0 metric 100) ||
			dn_fail "same-interface move $i"
	else
		ms=$(move "$DN_UP0_HOST" route replace default via "$DN_UP0_PEER" dev up0 metric 100) ||
			dn_fail "same-interface move $i"
	fi
	same+=("$ms")
done
cross_med=$(printf '%s\n' "${cross[@]}" | median)
same_med=$(printf '%s\n' "${same[@]}" | median)

# ------------------------------------------------- (c) a port forward
FWD_PORT=15201
G1_IP=$(dn_subnet_host "$SUBNET" 10)
dn_bg "$G1" "$DN_DIR/iperf3-guest.out" taskset -c 1 iperf3 -s -p 5202
dn_wait 5 dn_listening "$G1" 5202 || dn_fail "iperf3 server in the guest"
dn_ctl forward add tcp "$FWD_PORT" "$G1_IP" 5202 >/dev/null || dn_fail "forward add"

# inbound_gbps ADDR PORT: one 5 s TCP run from upstream, Gbit/s received.
inbound_gbps()
{
	dn_in "$DN_UP" timeout 30 taskset -c 0 iperf3 -c "$1" -p "$2" -t 5 -J \
		>"$DN_DIR/iperf-in.json" 2>&1 || { cat "$DN_DIR/iperf-in.json" >&2; return 1; }
	dn_json "$DN_DIR/iperf-in.json" '"%.2f" % (d["end"]["sum_received"]["bits_per_second"] / 1e9)'
}

through_forward() { inbound_gbps "$DN_UP0_HOST" "$FWD_PORT"; }
routed_to_guest() { inbound_gbps "$G1_IP" 5202; }
compare fwd routed "mode nat" "mode plain" through_forward routed_to_guest fwd_ratio

# Lease -> rule: a guest by MAC takes a new address MOVES times (a
# reservation each time, then a fresh DORA); the daemon logs the time from
# the lease event to the replaced table.
dn_guest lm
LM_MAC=52:54:00:00:77:01
ip -n "$DN_GUEST_NS" link set eth0 address "$LM_MAC" || dn_fail "guest lm: MAC"
dn_ctl forward add tcp 2299 "$LM_MAC" 22 >/dev/null || dn_fail "forward add by MAC"
for ((i = 1; i <= MOVES; i++)); do
	dn_ctl reserve "$LM_MAC" "$(dn_subnet_host "$SUBNET" $((100 + i)))" >/dev/null ||
		dn_fail "reserve $i"
	rm -f "$DN_DIR/dhclient-lm.leases"
	dn_dhcp_guest lm || dn_fail "lease $i"
done
follow=()
while read -r us; do follow+=("$(awk -v u="$us" 'BEGIN { printf "%.2f", u / 1000 }')"); done < <(
	sed -n 's/.*the table follows the guests, \([0-9]*\) us after.*/\1/p' "$DN_LOG" | tail -n "$MOVES")
follow_med=$(printf '%s\n' "${follow[@]}" | median)

# ------------------------------------------- (d) a port forward over IPv6
# RFC 3849 addresses upstream; the guest's SLAAC address in the prefix.
UP6_HOST=2001:db8:1::2
UP6_PEER=2001:db8:1::1
FWD6_PORT=15202
dn_h ip -6 addr add "$UP6_HOST/64" dev up0 nodad &&
	dn_in "$DN_UP" ip -6 addr add "$UP6_PEER/64" dev up0 nodad &&
	dn_h ip -6 route add default via "$UP6_PEER" dev up0 || dn_fail "upstream IPv6"
dn_status_json "$st"
P6=$(dn_json "$st" 'd["ipv6"]["prefix"]')
GW6=${P6%::/64}::1
dn_wait 8 dn_guest6_has_addr "$G1" || dn_fail "g1: no SLAAC address"
G1_IP6=$(dn_guest6_addr "$G1")
G1_MAC=$(dn_in "$G1" cat /sys/class/net/eth0/address) || dn_fail "g1: MAC"
# Plain mode stops the daemon, whose last advertisement takes the guest's
# default route: a static one stays behind the advertised one.
dn_in "$G1" ip -6 route add default via "$GW6" dev eth0 metric 2048 || dn_fail "g1: IPv6 route"
# By MAC: g1 has a static IPv4 address, no lease; its IPv6 address is
# found by its MAC alone.
dn_ctl forward add tcp "$FWD6_PORT" "$G1_MAC" 5202 >/dev/null || dn_fail "forward add (IPv6)"
fwd6_ready()
{
	dn_ping6 "$G1" "$GW6" && [ "$(dn_ctl forward list --json | dn_py -c \
		"import json,sys; print([f['address6'] for f in json.load(sys.stdin) if f['port'] == $FWD6_PORT][0])")" = "$G1_IP6" ]
}
through_forward6() { dn_wait 5 fwd6_ready || return 1; inbound_gbps "$UP6_HOST" "$FWD6_PORT"; }
routed6_to_guest() { inbound_gbps "$G1_IP6" 5202; }
PREFIX6=$P6
compare fwd6 routed6 "mode nat" "mode plain" through_forward6 routed6_to_guest fwd6_ratio

spoof_part

# ------------------------------------------------------------------ report
ok_ratio=$(awk -v r="$ratio" 'BEGIN { print (r >= 0.9) ? "yes" : "NO" }')
ok_cross=$(awk -v m="$cross_med" 'BEGIN { print (m < 100) ? "yes" : "NO" }')
ok_same=$(awk -v m="$same_med" 'BEGIN { print (m < 100) ? "yes" : "NO" }')
ok_fwd=$(awk -v r="$fwd_ratio" 'BEGIN { print (r >= 0.9) ? "yes" : "NO" }')
ok_follow=$(awk -v m="$follow_med" 'BEGIN { print (m < 10) ? "yes" : "NO" }')
ok_fwd6=$(awk -v r="$fwd6_ratio" 'BEGIN { print (r >= 0.9) ? "yes" : "NO" }')
# shellcheck disable=SC2154 # compare() assigns the arrays and medians by name
cat <<EOF

| measure | runs | result | target | met |
| --- | --- | --- | --- | --- |
| TCP guest -> upstream through NAT (median Gbit/s) | $RUNS | $nat_med (${nat[*]}) | | |
| TCP guest -> upstream, plain routing (median Gbit/s) | $RUNS | $plain_med (${plain[*]}) | | |
| NAT / plain | | $ratio | >= 0.9 | $ok_ratio |
| route change -> UDP flow on the new uplink, other interface (median ms) | $MOVES | $cross_med (${cross[*]}) | < 100 | $ok_cross |
| route change -> UDP flow on the new uplink, same interface (median ms) | $MOVES | $same_med (${same[*]}) | < 100 | $ok_same |
| TCP upstream -> guest through a port forward (median Gbit/s) | $RUNS | $fwd_med (${fwd[*]}) | | |
| TCP upstream -> guest, plain routing (median Gbit/s) | $RUNS | $routed_med (${routed[*]}) | | |
| forward / plain | | $fwd_ratio | >= 0.9 | $ok_fwd |
| guest's new lease -> forward's rule in place (median ms) | ${#follow[@]} | $follow_med (${follow[*]}) | < 10 | $ok_follow |
| TCP upstream -> guest through a port forward over IPv6 (median Gbit/s) | $RUNS | $fwd6_med (${fwd6[*]}) | | |
| TCP upstream -> guest, plain IPv6 routing (median Gbit/s) | $RUNS | $routed6_med (${routed6[*]}) | | |
| forward / plain, IPv6 | | $fwd6_ratio | >= 0.9 | $ok_fwd6 |
EOF
spoof_report
dn_stop_defnetd
[ "$ok_ratio$ok_cross$ok_same$ok_fwd$ok_follow$ok_fwd6$ok_spoof" = yesyesyesyesyesyesyes ] || exit 1
exit 0
