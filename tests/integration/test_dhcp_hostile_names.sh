#!/bin/bash
# Guest host names are untrusted: only RFC 1123 labels are taken; localhost,
# wpad, the host's own name, a name another guest holds, "a..b", a label of
# 64 bytes, a NUL byte and 300 bytes (two option 12 parts) are refused and
# the refusal is logged, while the lease is still granted, without a name.
# A client sending "INIT-REBOOT" for a foreign address gets a NAK.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
dn_find_binaries
DN_SERVICES=0 dn_topology
dn_start_defnetd
dn_guest h
ns=$(dn_guest_ns h)
client() { dn_in "$ns" timeout 20 "$DN_PYTHON" "$DN_LIB_DIR/dhcp_client.py" eth0 "$@"; }

host=$(hostname)
host=${host%%.*}
long=$(printf 'b%.0s' $(seq 300))
label64=$(printf 'c%.0s' $(seq 64))
n=0
# hostname_case WHAT EXPECTED(name or -) ARGS...
hostname_case()
{
	local what=$1 want=$2 mac out ip got
	shift 2
	n=$((n + 1))
	mac=$(printf '52:54:00:00:77:%02x' "$n")
	out=$(client "$mac" dora "$@") || dn_fail "$what: the client failed: $out"
	case $out in
	"ACK "*) ip=${out#ACK } ;;
	*) dn_fail "$what: no lease ($out)" ;;
	esac
	got=$(dn_ctl leases --json | dn_py -c "import json,sys; print([l['hostname'] for l in json.load(sys.stdin) if l['mac'] == '$mac'][0] or '-')")
	dn_assert_eq "$got" "$want" "$what: lease $ip granted, host name '$want'"
}

hostname_case "a plain name" web-1 --hostname Web-1
hostname_case "a qualified name" db --hostname db.example.com
hostname_case "localhost" - --hostname localhost
hostname_case "wpad" - --hostname WPAD
hostname_case "the host's name ($host)" - --hostname "$host"
hostname_case "a name held by another guest" - --hostname web-1
hostname_case "a..b" - --hostname a..b
hostname_case "a 64-byte label" - --hostname "$label64"
hostname_case "300 bytes in two parts" - --hostname "$long"
hostname_case "a NUL byte" - --hostname-hex 6576696c00782e636f6d
hostname_case "an underscore" - --hostname bad_name
dn_assert_grep "host name 'localhost' of 52:54:00:00:77:03 refused \(a reserved name\)" "$DN_LOG" \
	"localhost: the refusal is logged"
dn_assert_grep "host name 'a\.\.b' of .* refused \(not an RFC 1123 host name\)" "$DN_LOG" \
	"a..b: the refusal is logged"
dn_assert_grep "host name 'web-1' of 52:54:00:00:77:06 refused \(held by another guest\)" "$DN_LOG" \
	"a held name: the refusal is logged"
dn_assert_grep "refused \(empty, or longer than 255 bytes\)" "$DN_LOG" \
	"300 bytes: the refusal is logged"
dn_assert_grep "refused \(a NUL byte in the name\)" "$DN_LOG" "NUL: the refusal is logged"
dn_assert_grep "host name '$host' of .* refused \(the host's own name\)" "$DN_LOG" \
	"the host's name: the refusal is logged"

# INIT-REBOOT with an address of another network: NAK (RFC 2131 4.3.2).
dn_assert_eq "$(client 52:54:00:00:78:01 reboot 192.168.200.7)" NAK "INIT-REBOOT, foreign address: NAK"
dn_assert_grep "DHCPNAK: 192\.168\.200\.7 52:54:00:00:78:01: wrong network" "$DN_LOG" "the NAK is logged"
dn_done
