#!/bin/bash
# The journal catalog: journalctl compiles it, it explains every lease
# event's MESSAGE_ID that the daemon defines (DHCP_MSGID_* in the header),
# and no other. Needs no root: the catalog is compiled in a scratch root.
set -u -o pipefail
catalog=${1:?usage: test_catalog.sh CATALOG HEADER}
header=${2:?usage: test_catalog.sh CATALOG HEADER}
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

want=$(sed -n 's/^#define DHCP_MSGID_[A-Z_]* "\([0-9a-f]\{32\}\)"$/\1/p' "$header" | sort -u)
[ -n "$want" ] || fail "no DHCP_MSGID_* in $header"
have=$(journalctl --root="$root" --list-catalog --no-pager | awk '{print $1}' | sort -u)
[ "$want" = "$have" ] || {
	diff <(printf '%s\n' "$want") <(printf '%s\n' "$have") >&2
	fail "the catalog's IDs (right) are not the daemon's (left)"
}
ok "an entry for each of the $(printf '%s\n' "$want" | wc -l) lease event IDs, and no other"
bad=$(journalctl --root="$root" --list-catalog --no-pager | grep -v ' defnet: ' || true)
[ -z "$bad" ] || fail "entries not Defined-By defnet: $bad"
ok "every entry is Defined-By: defnet"
echo "catalog: PASS ($n checks)"
