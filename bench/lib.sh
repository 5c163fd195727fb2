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
