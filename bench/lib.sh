# What the benchmark scripts share, sourced after tests/integration/lib.sh.
# shellcheck shell=bash

# bench_own_dir NAME: the harness's /tmp/dn-* directory may be swept by
# other runs on a shared machine, so this run's files (state, runtime,
# configuration) live in a directory of their own, /tmp/defnet-NAME.*,
# removed at exit like the harness's.
bench_own_dir()
{
	rm -rf "$DN_DIR"
	DN_DIR=$(mktemp -d "/tmp/defnet-$1.XXXXXX") || dn_fail "mktemp"
	DN_STATE="$DN_DIR/state"
	DN_RUNTIME="$DN_DIR/run"
	DN_CONF="$DN_DIR/defnet.conf"
	mkdir -p "$DN_STATE" "$DN_RUNTIME"
	dn_default_config >"$DN_CONF"
}

# median: of the numbers on stdin, one a line ("nan" for none).
median()
{
	sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench_iperf_gbps NS ADDR: one 5 s TCP run from NS to the iperf3 server
# on ADDR (client on CPU 0), in Gbit/s received.
bench_iperf_gbps()
{
	dn_in "$1" timeout 30 taskset -c 0 iperf3 -c "$2" -t 5 -J >"$DN_DIR/iperf.json" 2>&1 ||
		{ cat "$DN_DIR/iperf.json" >&2; return 1; }
	dn_json "$DN_DIR/iperf.json" '"%.2f" % (d["end"]["sum_received"]["bits_per_second"] / 1e9)'
}

# compare A B TO_A TO_B RUN_A RUN_B RATIO: RUNS interleaved pairs, TO_A
# then RUN_A, TO_B then RUN_B (TO_A and TO_B are commands, split into
# words; the caller starts in A, so the first TO_A is skipped). The Gbit/s
# of each run go into the arrays A and B, their medians into A_med and
# B_med, A_med / B_med into RATIO. Ends in A.
compare()
{
	local -n runs_a=$1 runs_b=$2
	local i g
	runs_a=()
	runs_b=()
	for ((i = 1; i <= RUNS; i++)); do
		# shellcheck disable=SC2086 # TO_A is a command line
		[ "$i" -gt 1 ] && $3
		g=$("$5") || dn_fail "$5 ($1, run $i)"
		runs_a+=("$g")
		# shellcheck disable=SC2086 # TO_B is a command line
		$4
		g=$("$6") || dn_fail "$6 ($2, run $i)"
		runs_b+=("$g")
		dn_say "run $i: $1 ${runs_a[-1]} Gbit/s, $2 ${runs_b[-1]} Gbit/s"
	done
	# shellcheck disable=SC2086 # TO_A is a command line
	$3
	printf -v "${1}_med" '%s' "$(printf '%s\n' "${runs_a[@]}" | median)"
	printf -v "${2}_med" '%s' "$(printf '%s\n' "${runs_b[@]}" | median)"
	local -n med_a=${1}_med med_b=${2}_med
	printf -v "$7" '%s' "$(awk -v a="$med_a" -v b="$med_b" 'BEGIN { printf "%.3f", a / b }')"
}
