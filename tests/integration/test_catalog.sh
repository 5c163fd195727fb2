#!/bin/bash
# The journal catalog: journalctl compiles it, it explains every event's
# MESSAGE_ID that the daemon defines (*_MSGID_* in the headers: the lease
# and the port forward events), and no other. Needs no root: the catalog is
# compiled in a scratch root.
set -u -o pipefail
catalog=${1:?usage: test_catalog.sh CATALOG HEADER...}
shift
[ $# -gt 0 ] || { echo "usage: test_catalog.sh CATALOG HEADER..." >&2; exit 2; }
n=0

fail() { echo "catalog: FAIL: $*" >&2; exit 1; }
ok() { n=$((n + 1)); echo "catalog: ok $n - $*"; }

command -v journalctl >/dev/null || { echo "catalog: SKIP: no journalctl" >&2; exit 77; }
root=$(mktemp -d /tmp/defnet-catalog.XXXXXX) || fail mktemp
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/lib/systemd/catalog" "$root/var/lib/systemd/catalog"
cp "$catalog" "$root/usr/lib/systemd/catalog/defnet.catalog"
journalctl --root="$root" --update-catalog 2>"$root/err" || { cat "$root/err" >&2; fail "journalctl --update-catalog"; }
[ ! -s "$root/err" ] || { cat "$root/err" >&2; fail "journalctl complained about the catalog"; }
ok "journalctl --update-catalog compiles it without a complaint"

for header in "$@"; do
	grep -Eq '^#define [A-Z0-9]+_MSGID_[A-Z_]+ "[0-9a-f]{32}"$' "$header" ||
		fail "no *_MSGID_* in $header"
done
want=$(sed -n 's/^#define [A-Z0-9]*_MSGID_[A-Z_]* "\([0-9a-f]\{32\}\)"$/\1/p' "$@" | sort -u)
have=$(journalctl --root="$root" --list-catalog --no-pager | awk '{print $1}' | sort -u)
[ "$want" = "$have" ] || {
	diff <(printf '%s\n' "$want") <(printf '%s\n' "$have") >&2
	fail "the catalog's IDs (right) are not the daemon's (left)"
}
ok "an entry for each of the $(printf '%s\n' "$want" | wc -l) event IDs in $# headers, and no other"
bad=$(journalctl --root="$root" --list-catalog --no-pager | grep -v ' defnet: ' || true)
[ -z "$bad" ] || fail "entries not Defined-By defnet: $bad"
ok "every entry is Defined-By: defnet"
echo "catalog: PASS ($n checks)"
