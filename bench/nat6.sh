#!/bin/bash
# IPv6 benchmark, in one run, on the test topology (tests/integration/lib.sh):
#   (a) TCP throughput guest -> upstream over IPv6 (iperf3, 5 s a run,
#       client on CPU 0, server on CPU 1) through NAT66, against the same
#       path without the daemon's table (plain routing: the upstream routes
#       the guests' prefix back), runs interleaved, RUNS of each; the ratio
#       of the medians must be >= 0.9;
#   (b) the time from the host losing its IPv6 default route to the
#       guest's default route (learnt from the advertisements) being gone,
#       and from the route coming back to the guest's being there again,
#       MOVES of each; medians must be under 2 s;
#   (c) defnetd's RSS after (a) and (b), beside the idle RSS measured at
#       start, in kB.
# Run as root from the repository after building (ninja -C build):
#   bench/nat6.sh [DEFNETD] [DEFNETCTL]      (RUNS=5 MOVES=10 by default)
# Needs iperf3 and python3. Exits 1 when a target is missed.
set -u -o pipefail
DN_NAME=benchnat6
DEFNETD=${1:-${DEFNETD:-$(pwd)/build/daemon/defnetd}}
DEFNETCTL=${2:-${DEFNETCTL:-$(pwd)/build/daemon/defnetctl}}
DN_NEEDS="iperf3"
DN_LOGLEVEL=info
# shellcheck source=../tests/integration/lib.sh
. "$(dirname "$0")/../tests/integration/lib.sh"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
dn_find_binaries

RUNS=${RUNS:-5}
MOVES=${MOVES:-10}
bench_own_dir nat6bench

UP6_HOST=2001:db8:1::2
UP6_PEER=2001:db8:1::1
UP6_FAR=2001:db8:ffff::1
DN_SERVICES=0 dn_topology
dn_h ip -6 addr add "$UP6_HOST/64" dev up0 nodad &&
	dn_in "$DN_UP" ip -6 addr add "$UP6_PEER/64" dev up0 nodad &&
	dn_in "$DN_UP" ip -6 addr add "$UP6_FAR/128" dev lo &&
	dn_h ip -6 route add default via "$UP6_PEER" dev up0 || dn_fail "upstream IPv6"
dn_start_defnetd
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$DN_DAEMON_PID/status"; }
sleep 1
rss_idle=$(rss)
st="$DN_DIR/status.json"
dn_status_json "$st"
P=$(dn_json "$st" 'd["ipv6"]["prefix"]')
dn_guest g1
G1=$DN_GUEST_NS
ra_default() { dn_in "$G1" ip -6 route show default proto ra | grep -q .; }
slaac() { dn_in "$G1" ip -6 -o addr show dev eth0 scope global -tentative | grep -q inet6; }
dn_wait 10 ra_default || dn_fail "the guest has no default route from the advertisements"
dn_wait 10 slaac || dn_fail "the guest has no SLAAC address"
# Plain routing below stops the daemon, whose last advertisement takes the
# learnt route away: a static one through the same router stays.
ll=$(dn_in "$G1" ip -6 route show default proto ra | awk '{ print $3; exit }')
dn_in "$G1" ip -6 route add default via "$ll" dev eth0 metric 4096 || dn_fail "static route"


# ------------------------------------------------------- (a) throughput
dn_bg "$DN_UP" "$DN_DIR/iperf3-server.out" taskset -c 1 iperf3 -s -B "$UP6_FAR"
listening6() { [ -n "$(dn_in "$DN_UP" ss -Hltn6 "sport = :5201")" ]; }
dn_wait 5 listening6 || dn_fail "iperf3 server"

iperf_gbps() { bench_iperf_gbps "$G1" "$UP6_FAR"; }

# mode nat|plain: with the daemon's table (NAT66), or plain routing.
mode()
{
	if [ "$1" = nat ]; then
		ip -n "$DN_UP" -6 route del "$P" 2>/dev/null
		dn_start_defnetd
	else
		dn_stop_defnetd
		dn_h nft delete table inet defnet || dn_fail "delete the table"
		ip -n "$DN_UP" -6 route replace "$P" via "$UP6_HOST" || dn_fail "upstream route"
	fi
}

ratio=''  # compare() sets it by name
compare nat plain "mode nat" "mode plain" iperf_gbps iperf_gbps ratio

# ------------------------------------------- (b) host route -> guest route
# flip WANT CMD...: runs CMD in the host namespace, then polls the guest
# every 5 ms until its learnt default route is there (WANT=1) or gone
# (WANT=0); prints the ms it took (5 s at most).
flip()
{
	local want=$1
	shift
	"$DN_PYTHON" - "$G1" "$want" "$DN_HOST" "$@" <<'PY'
import subprocess, sys, time
ns, want, host, cmd = sys.argv[1], sys.argv[2] == "1", sys.argv[3], sys.argv[4:]
t0 = time.monotonic()
subprocess.run(["ip", "-n", host] + cmd, check=True)
while time.monotonic() - t0 < 5:
    out = subprocess.run(["ip", "-n", ns, "-6", "route", "show", "default", "proto", "ra"],
                         capture_output=True, text=True).stdout
    if bool(out.strip()) == want:
        print("%.1f" % ((time.monotonic() - t0) * 1000))
        sys.exit(0)
    time.sleep(0.005)
sys.exit(1)
PY
}
dn_wait 10 ra_default || dn_fail "no learnt route before (b)"
gone=()
back=()
for ((i = 1; i <= MOVES; i++)); do
	ms=$(flip 0 -6 route del default via "$UP6_PEER" dev up0) || dn_fail "route gone $i"
	gone+=("$ms")
	ms=$(flip 1 -6 route add default via "$UP6_PEER" dev up0) || dn_fail "route back $i"
	back+=("$ms")
done
gone_med=$(printf '%s\n' "${gone[@]}" | median)
back_med=$(printf '%s\n' "${back[@]}" | median)
rss_after=$(rss)

# ------------------------------------------------------------------ report
ok_ratio=$(awk -v r="$ratio" 'BEGIN { print (r >= 0.9) ? "yes" : "NO" }')
ok_gone=$(awk -v m="$gone_med" 'BEGIN { print (m < 2000) ? "yes" : "NO" }')
ok_back=$(awk -v m="$back_med" 'BEGIN { print (m < 2000) ? "yes" : "NO" }')
# shellcheck disable=SC2154 # compare() assigns the arrays and medians by name
cat <<EOF

| measure | runs | result | target | met |
| --- | --- | --- | --- | --- |
| TCP guest -> upstream over IPv6 through NAT66 (median Gbit/s) | $RUNS | $nat_med (${nat[*]}) | | |
| TCP guest -> upstream over IPv6, plain routing (median Gbit/s) | $RUNS | $plain_med (${plain[*]}) | | |
| NAT66 / plain | | $ratio | >= 0.9 | $ok_ratio |
| host loses its IPv6 default route -> guest's gone (median ms) | $MOVES | $gone_med (${gone[*]}) | < 2000 | $ok_gone |
| host's route back -> guest's back (median ms) | $MOVES | $back_med (${back[*]}) | < 2000 | $ok_back |
| defnetd RSS: idle at start / after the runs above (kB) | | $rss_idle / $rss_after | | |
EOF
dn_stop_defnetd
[ "$ok_ratio$ok_gone$ok_back" = yesyesyes ] || exit 1
exit 0
