#!/bin/bash
# The unit's sandbox, as systemd scores it: `systemd-analyze security`
# offline, on the unit this build installs. The bound is 2.0
# (systemd-networkd's own unit scores 2.8). Needs no root.
set -u -o pipefail
unit=${1:?usage: test_unit_security.sh UNIT-FILE}
limit=2.0

command -v systemd-analyze >/dev/null || { echo "unit_security: SKIP: no systemd-analyze" >&2; exit 77; }
out=$(systemd-analyze security --offline=true --no-pager "$unit" 2>&1)
rc=$?
level=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
if [ -z "$level" ]; then
	printf '%s\n' "$out" >&2
	# systemd older than 250 has no --offline: nothing to score with.
	if printf '%s\n' "$out" | grep -q "unrecognized option"; then
		echo "unit_security: SKIP: this systemd-analyze cannot score a unit file offline" >&2
		exit 77
	fi
	echo "unit_security: FAIL: no exposure level in the output (exit $rc)" >&2
	exit 1
fi
printf '%s\n' "$out" | grep '^✗' || true
if python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)' "$level" "$limit"; then
	echo "unit_security: ok - exposure $level <= $limit"
	echo "unit_security: PASS (1 checks)"
	exit 0
fi
echo "unit_security: FAIL: exposure $level > $limit" >&2
exit 1
