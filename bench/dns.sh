#!/bin/bash
# DNS benchmark: dnsperf from a guest against defnetd, dnsmasq and unbound,
# one after the other, on the same topology (tests/integration/lib.sh) and
# the same upstream authoritative server (dnsmasq answering every name
# under bench.test, TTL 3600). The server under test is pinned to CPU 0,
# dnsperf and the upstream to CPU 1. One run of each:
#   (a) cache hits: 100 names, warmed, as fast as dnsperf goes, 10 s;
#   (b) cache misses: 10,000 distinct names, once each, fresh server;
#   (c) hits at a fixed 200 queries/s for 10 s: p50/p99 latency;
#   (d) hits at a fixed 50,000 queries/s offered for 10 s: server CPU
#       (user + system) per answered query;
#   (f) (BENCH_PARTS=bars, not by default) the tail right after load,
#       BENCH_BARS rounds (10): hits as fast as dnsperf goes for 3 s, then
#       200 q/s for 3 s: p99 and slowest answer of each 200 q/s part;
#   (e) user-space instructions per cached answer: the server started
#       again under callgrind, warmed, its counters zeroed, then 20,000
#       hits (as fast as it answers) and the counters dumped: the total
#       over the answers (the server's code, libevent, libc: all of user
#       space);
# and the server's RSS after each. Run as root from the repository after
# building (ninja -C build):  bench/dns.sh [DEFNETD] [DEFNETCTL]
# BENCH_SERVERS="defnetd dnsmasq" picks servers; BENCH_PARTS picks parts
# (default "miss hit lat cpu instr"; (b) always runs first, on an empty
# cache, when it is picked).
# Needs dnsperf, dnsmasq, unbound, taskset, valgrind (for (e)).
set -u -o pipefail
DN_NAME=benchdns
DEFNETD=${1:-${DEFNETD:-$(pwd)/build/daemon/defnetd}}
DEFNETCTL=${2:-${DEFNETCTL:-$(pwd)/build/daemon/defnetctl}}
DN_NEEDS="dnsmasq dig dnsperf unbound taskset"
PARTS=" ${BENCH_PARTS:-miss hit lat cpu instr} "
DN_LOGLEVEL=warning
# shellcheck source=../tests/integration/lib.sh
. "$(dirname "$0")/../tests/integration/lib.sh"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
dn_find_binaries
[ "$(nproc)" -ge 2 ] || dn_skip "needs two CPUs (server on one, load on the other)"

SERVER_CPU=0
LOAD_CPU=1
ZONE=bench.test
DUR=10
# BENCH_OUT=FILE keeps the raw results.
bench_own_dir dnsbench
W=$DN_DIR
RESULTS="$W/results"
: >"$RESULTS"

DN_SERVICES=0 dn_topology
dn_bg "$DN_UP" "$DN_DIR/auth.out" taskset -c "$LOAD_CPU" dnsmasq --keep-in-foreground \
	--conf-file=/dev/null --no-resolv --no-hosts --no-poll --bind-interfaces \
	--listen-address="$DN_UP0_PEER" --user=root --group=root \
	--pid-file="$DN_DIR/auth.pid" --local-ttl=3600 --cache-size=0 \
	--address="/$ZONE/192.0.2.7"
dn_wait 5 dn_dig_is "$DN_UP" "$DN_UP0_PEER" "x.$ZONE" 192.0.2.7 ||
	dn_fail "the authoritative server did not answer"
printf 'nameserver %s\n' "$DN_UP0_PEER" >"$DN_DIR/resolv.conf"

# Query files.
for ((i = 0; i < 100; i++)); do printf 'hit%d.%s A\n' "$i" "$ZONE"; done >"$W/hits.txt"
miss_file() { for ((i = 0; i < 10000; i++)); do printf '%s-miss%d.%s A\n' "$1" "$i" "$ZONE"; done; }

dn_start_defnetd
dn_status_json "$DN_DIR/st.json"
GW=$(dn_json "$DN_DIR/st.json" 'd["gateway"]')
SUBNET=$(dn_json "$DN_DIR/st.json" 'd["subnet"]')
dn_static_guest g1 "$SUBNET" "$GW" 10
G=$DN_GUEST_NS
dn_stop_defnetd >/dev/null   # the bridge and its address stay

SERVER_PID=""

# start_NAME: the server in the host namespace, with WRAP (a command line,
# e.g. valgrind's) before it when set.
WRAP=""

start_defnetd()
{
	DN_WRAPPER=$WRAP dn_start_defnetd
	SERVER_PID=$DN_DAEMON_PID
}

start_dnsmasq()
{
	# shellcheck disable=SC2086 # WRAP is a command line
	dn_bg "$DN_HOST" "$DN_DIR/dnsmasq-bench.out" $WRAP dnsmasq --keep-in-foreground \
		--conf-file=/dev/null --no-resolv --no-hosts --no-poll --bind-interfaces \
		--listen-address="$GW" --interface="$DN_BRIDGE" --user=root --group=root \
		--pid-file="$DN_DIR/dnsmasq-bench.pid" --server="$DN_UP0_PEER" --cache-size=10000
	SERVER_PID=$DN_BG_PID
}

start_unbound()
{
	cat >"$W/unbound.conf" <<-EOF2
	server:
	  interface: $GW
	  access-control: $SUBNET allow
	  do-daemonize: no
	  username: ""
	  chroot: ""
	  directory: "$W"
	  pidfile: ""
	  use-syslog: no
	  logfile: ""
	  verbosity: 0
	  num-threads: 1
	  do-ip6: no
	  module-config: "iterator"
	  qname-minimisation: no
	  local-zone: "test." nodefault
	  do-not-query-localhost: no
	  msg-cache-size: 16m
	  rrset-cache-size: 32m
	forward-zone:
	  name: "."
	  forward-addr: $DN_UP0_PEER
	EOF2
	# shellcheck disable=SC2086 # WRAP is a command line
	dn_bg "$DN_HOST" "$DN_DIR/unbound.out" $WRAP unbound -d -c "$W/unbound.conf"
	SERVER_PID=$DN_BG_PID
}

start_server()
{
	"start_$1"
	dn_wait 30 dn_dig_is "$G" "$GW" "warm.$ZONE" 192.0.2.7 ||
		{ tail -n 20 "$DN_DIR/$1"*.out 2>/dev/null; dn_fail "$1 does not answer: $(dn_in "$G" dig +time=1 +tries=1 "@$GW" "warm.$ZONE")"; }
	taskset -a -p -c "$SERVER_CPU" "$SERVER_PID" >/dev/null || dn_fail "taskset $1"
}

stop_server()
{
	if [ "$SERVER_PID" = "$DN_DAEMON_PID" ]; then
		dn_stop_defnetd >/dev/null
	else
		dn_kill "$SERVER_PID" 5
	fi
	SERVER_PID=""
}

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status"; }
# CPU time of the server's main thread, in ns (each server runs one).
cpu_ns() { awk '{print $1}' "/proc/$SERVER_PID/schedstat"; }
# Datagrams the upstream dropped for want of socket buffer: a burst of
# misses forwarded at once overflows it, and those queries are then
# retried (or lost) by the server under test.
up_drops()
{
	dn_in "$DN_UP" awk '$1 == "Udp:" && !h { for (i = 2; i <= NF; i++) if ($i == "RcvbufErrors") c = i; h = 1; next }
		$1 == "Udp:" { print $c }' /proc/net/snmp
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }

# perf_dnsperf ARGS...: dnsperf from the guest on the load CPU.
perf_dnsperf() { dn_in "$G" taskset -c "$LOAD_CPU" dnsperf -s "$GW" "$@" 2>&1; }

qps_of() { sed -n 's/.*Queries per second: *\([0-9.]*\).*/\1/p' "$1"; }
done_of() { sed -n 's/.*Queries completed: *\([0-9]*\).*/\1/p' "$1"; }
lost_of() { sed -n 's/.*Queries lost: *\([0-9]*\).*/\1/p' "$1"; }

# part_miss NAME: (b), on the fresh server's empty cache.
part_miss()
{
	local name=$1 out="$W/$1" t0 t1 d0
	miss_file "$name" >"$W/miss-$name.txt"
	t0=$(cpu_ns)
	d0=$(up_drops)
	perf_dnsperf -d "$W/miss-$name.txt" -n 1 -c 8 -q 500 -t 2 >"$out.miss"
	t1=$(cpu_ns)
	printf '%s miss_qps %s\n%s miss_lost %s\n%s miss_rss %s\n' "$name" "$(qps_of "$out.miss")" \
		"$name" "$(lost_of "$out.miss")" "$name" "$(rss_kb)" >>"$RESULTS"
	printf '%s miss_cpu_us %s\n%s miss_up_drops %s\n%s miss_max_s %s\n' "$name" \
		"$(awk -v a="$t0" -v b="$t1" -v n="$(done_of "$out.miss")" 'BEGIN { printf "%.2f", (b - a) / 1e3 / n }')" \
		"$name" "$(($(up_drops) - d0))" \
		"$name" "$(sed -n 's/.*Average Latency.*max \([0-9.]*\)).*/\1/p' "$out.miss")" >>"$RESULTS"
}

# part_hit NAME: (a), warmed.
part_hit()
{
	local name=$1 out="$W/$1"
	perf_dnsperf -d "$W/hits.txt" -n 2 >/dev/null
	perf_dnsperf -d "$W/hits.txt" -l "$DUR" -c 8 -q 500 >"$out.hit"
	printf '%s hit_qps %s\n%s hit_rss %s\n' "$name" "$(qps_of "$out.hit")" "$name" "$(rss_kb)" >>"$RESULTS"
}

# part_lat NAME: (c), latency of hits at 200 q/s.
part_lat()
{
	local name=$1 out="$W/$1" lat
	perf_dnsperf -d "$W/hits.txt" -n 2 >/dev/null
	perf_dnsperf -d "$W/hits.txt" -l "$DUR" -Q 200 -v >"$out.lat"
	lat=$(awk '/^> NOERROR/ {print $NF}' "$out.lat" | sort -g | awk '
		{ v[NR] = $1 } END { if (NR) printf "%.3f %.3f", v[int(NR * 0.5) + 1] * 1000, v[int(NR * 0.99) + 1] * 1000 }')
	printf '%s p50_ms %s\n%s p99_ms %s\n%s lat_rss %s\n' "$name" "${lat% *}" "$name" "${lat#* }" \
		"$name" "$(rss_kb)" >>"$RESULTS"
}

# part_bars NAME: (f), the tail right after load, BENCH_BARS times (10):
# hits as fast as dnsperf goes for 3 s, then 200 q/s for 3 s; the p99 and
# the slowest answer of the 200 q/s part of each round, and their ranges.
part_bars()
{
	local name=$1 out="$W/$1" i p99s="" maxs=""
	perf_dnsperf -d "$W/hits.txt" -n 2 >/dev/null
	for ((i = 0; i < ${BENCH_BARS:-10}; i++)); do
		perf_dnsperf -d "$W/hits.txt" -l 3 -c 8 -q 500 >/dev/null
		perf_dnsperf -d "$W/hits.txt" -l 3 -Q 200 -v >"$out.bars"
		read -r p99 max < <(awk '/^> NOERROR/ {print $NF}' "$out.bars" | sort -g | awk '
			{ v[NR] = $1 } END { if (NR) printf "%.2f %.2f", v[int(NR * 0.99) + 1] * 1000, v[NR] * 1000 }')
		p99s="$p99s${p99s:+,}$p99"
		maxs="$maxs${maxs:+,}$max"
	done
	printf '%s bars_p99_ms %s\n%s bars_max_ms %s\n' "$name" "$p99s" "$name" "$maxs" >>"$RESULTS"
}

# part_cpu NAME: (d), CPU per answered hit at 50k/s offered.
part_cpu()
{
	local name=$1 out="$W/$1" hz t0 t1 done_q
	hz=$(getconf CLK_TCK)
	perf_dnsperf -d "$W/hits.txt" -n 2 >/dev/null
	t0=$(cpu_ticks)
	perf_dnsperf -d "$W/hits.txt" -l "$DUR" -Q 50000 -c 8 -q 1000 >"$out.50k"
	t1=$(cpu_ticks)
	done_q=$(done_of "$out.50k")
	printf '%s q50k_done %s\n%s q50k_avg_ms %s\n%s cpu_us_per_q %s\n%s q50k_rss %s\n' \
		"$name" "$done_q" "$name" \
		"$(sed -n 's/.*Average Latency (s): *\([0-9.]*\).*/\1/p' "$out.50k" | awk '{ printf "%.3f", $1 * 1000 }')" "$name" \
		"$(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v n="$done_q" 'BEGIN { printf "%.2f", (b - a) / hz * 1e6 / n }')" \
		"$name" "$(rss_kb)" >>"$RESULTS"
}

# part_instr NAME: (e), the server again, under callgrind. Its counters
# are zeroed after the warm-up and dumped after 20,000 hits: the dump's
# total, over the answers dnsperf got, is the cost of one cached answer.
part_instr()
{
	local name=$1 out="$W/$1" dump total
	WRAP="valgrind --tool=callgrind --callgrind-out-file=$W/cg-$name.%p"
	DN_READY_TIMEOUT=60 start_server "$name"
	WRAP=""
	perf_dnsperf -d "$W/hits.txt" -n 2 -t 5 >/dev/null
	callgrind_control -z "$SERVER_PID" >/dev/null 2>&1 || dn_fail "callgrind_control -z $name"
	perf_dnsperf -d "$W/hits.txt" -n 200 -c 8 -q 100 -t 5 >"$out.instr"
	callgrind_control -d "$SERVER_PID" >/dev/null 2>&1 || dn_fail "callgrind_control -d $name"
	dump=$(ls -t "$W/cg-$name.$SERVER_PID".* | head -n 1)
	total=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$dump")
	[ -n "$total" ] || dn_fail "no totals in $dump"
	printf '%s instr_done %s\n%s ins_per_q %s\n' "$name" "$(done_of "$out.instr")" "$name" \
		"$(awk -v t="$total" -v n="$(done_of "$out.instr")" 'BEGIN { printf "%.0f", t / n }')" >>"$RESULTS"
	stop_server
}

has_part() { [[ $PARTS == *" $1 "* ]]; }

run_server()
{
	local name=$1 p
	dn_say "== $name"
	if has_part miss || has_part hit || has_part lat || has_part cpu || has_part bars; then
		start_server "$name"
		for p in miss hit lat cpu bars; do
			if has_part "$p"; then "part_$p" "$name"; fi
		done
		stop_server
	fi
	if has_part instr; then part_instr "$name"; fi
}

for s in ${BENCH_SERVERS:-defnetd dnsmasq unbound}; do
	run_server "$s"
done

# The table.
[ -n "${BENCH_OUT:-}" ] && cp "$RESULTS" "$BENCH_OUT"
dn_py - "$RESULTS" <<'EOF2'
import sys
r = {}
for line in open(sys.argv[1]):
    s, k, *v = line.split()
    r.setdefault(s, {})[k] = v[0] if v else ""
rows = [("hit QPS (a)", "hit_qps"), ("miss QPS, 10k names (b)", "miss_qps"),
        ("misses lost (b)", "miss_lost"), ("CPU us/miss (b)", "miss_cpu_us"),
        ("upstream drops (b)", "miss_up_drops"), ("slowest miss s (b)", "miss_max_s"),
        ("p50 ms @200 q/s (c)", "p50_ms"),
        ("p99 ms @200 q/s (c)", "p99_ms"), ("answered of 500k @50k/s (d)", "q50k_done"),
        ("mean latency ms @50k/s (d)", "q50k_avg_ms"),
        ("CPU us/query @50k/s (d)", "cpu_us_per_q"),
        ("user instr./cached answer (e)", "ins_per_q"),
        ("RSS kB after (b)", "miss_rss"), ("RSS kB after (a)", "hit_rss"),
        ("RSS kB after (c)", "lat_rss"), ("RSS kB after (d)", "q50k_rss"),
        ("p99 ms @200 q/s after load, each round (f)", "bars_p99_ms"),
        ("slowest ms @200 q/s after load, each round (f)", "bars_max_ms")]
servers = [s for s in ("defnetd", "dnsmasq", "unbound") if s in r]
print("| %s | %s |" % ("measure", " | ".join(servers)))
print("|---|%s|" % "|".join("---:" for _ in servers))
for label, key in rows:
    if any(key in r[s] for s in servers):
        print("| %s | %s |" % (label, " | ".join(r[s].get(key, "") for s in servers)))
d, m = r.get("defnetd", {}), r.get("dnsmasq", {})
for label, key in (("CPU per cached query at 50k/s", "cpu_us_per_q"),
                   ("user instructions per cached answer", "ins_per_q")):
    try:
        print("defnetd/dnsmasq %s: %.2f" % (label, float(d[key]) / float(m[key])))
    except (KeyError, ValueError, ZeroDivisionError):
        pass
EOF2
dn_done
