#!/bin/bash
# Configuration: bad files are refused with exit 2 and FILE:LINE before
# anything is touched; --check-config; a fixed Subnet= is used as given;
# a reload (SIGHUP or defnetctl reload) with a bad file keeps the running
# configuration and reports FILE:LINE.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
dn_find_binaries
dn_topology

bad="$DN_DIR/bad.conf"

# dn_bad_case WHAT LINE SECTION KEY < FILE-TEXT: defnetd must exit 2 and
# name bad.conf:LINE, the section and the key; --check-config the same.
dn_bad_case()
{
	local what=$1 line=$2 section=$3 key=$4 rc
	cat >"$bad"
	dn_defnetd_once --config "$bad"
	rc=$?
	[ "$rc" = 2 ] || { cat "$DN_ONCE_ERR" >&2; dn_fail "$what: exit $rc, expected 2"; }
	grep -qF -- "$bad:$line:" "$DN_ONCE_ERR" ||
		{ cat "$DN_ONCE_ERR" >&2; dn_fail "$what: no '$bad:$line:' on stderr"; }
	grep -F -- "$bad:$line:" "$DN_ONCE_ERR" | grep -qF -- "$section" ||
		{ cat "$DN_ONCE_ERR" >&2; dn_fail "$what: the message does not name $section"; }
	if [ -n "$key" ]; then
		grep -F -- "$bad:$line:" "$DN_ONCE_ERR" | grep -qF -- "$key" ||
			{ cat "$DN_ONCE_ERR" >&2; dn_fail "$what: the message does not name $key"; }
	fi
	dn_ok "$what: exit 2, '$(grep -F -- "$bad:$line:" "$DN_ONCE_ERR" | head -n 1)'"
	dn_defnetd_once --config "$bad" --check-config
	rc=$?
	[ "$rc" = 2 ] || { cat "$DN_ONCE_ERR" >&2; dn_fail "$what: --check-config exit $rc, expected 2"; }
	grep -qF -- "$bad:$line:" "$DN_ONCE_ERR" ||
		{ cat "$DN_ONCE_ERR" >&2; dn_fail "$what: --check-config: no '$bad:$line:'"; }
	dn_ok "$what: --check-config exit 2 with $bad:$line:"
}

dn_bad_case "unknown section" 3 "[Bogus]" "" <<-EOF
	[Network]
	Bridge=$DN_BRIDGE
	[Bogus]
	Key=1
	EOF
dn_bad_case "unknown key" 4 "[Network]" "Brige" <<-EOF
	# a comment
	[Network]
	Bridge=$DN_BRIDGE
	Brige=defnet1
	EOF
dn_bad_case "bad value" 3 "[DHCP]" "LeaseTime" <<-EOF
	[DHCP]

	LeaseTime=forever
	EOF
dn_bad_case "bad subnet" 2 "[Network]" "Subnet" <<-EOF
	[Network]
	Subnet=172.20.48.0/33
	EOF
dn_bad_case "Pool outside the fixed subnet" 4 "[DHCP]" "Pool" <<-EOF
	[Network]
	Subnet=172.20.48.0/20
	[DHCP]
	Pool=10.1.0.10-10.1.0.20
	EOF
dn_assert_not "no bridge was made by any refused start" dn_h ip link show dev "$DN_BRIDGE"

dn_defnetd_once --bogus-option
dn_assert_eq "$?" 2 "unknown option: exit 2"

good="$DN_DIR/good.conf"
cat >"$good" <<-EOF
	[Daemon]
	LogLevel=$DN_LOGLEVEL
	[Network]
	Bridge=$DN_BRIDGE
	Subnet=172.20.48.0/20
	[DHCP]
	LeaseTime=2h
	Pool=172.20.48.100-172.20.48.200
	Reservation=52:54:00:12:34:56 172.20.48.50 buildbox
	[DNS]
	ResolvConf=$DN_DIR/resolv.conf
	[MDNS]
	Enable=yes
	[NAT]
	Masquerade=yes
	DockerCompat=no
	EOF
dn_defnetd_once --config "$good" --check-config
rc=$?
[ "$rc" = 0 ] || { cat "$DN_ONCE_ERR" >&2; dn_fail "--check-config on a good file: exit $rc"; }
dn_ok "--check-config on a good file: exit 0"
dn_defnetd_once --config "$DN_DIR/does-not-exist.conf" --check-config
rc=$?
[ "$rc" = 0 ] || { cat "$DN_ONCE_ERR" >&2; dn_fail "--check-config, missing file: exit $rc"; }
dn_ok "--check-config with a missing file (all defaults): exit 0"
dn_assert_not "--check-config made no bridge" dn_h ip link show dev "$DN_BRIDGE"
dn_defnetd_once --version
rc=$?
[ "$rc" = 0 ] && [ -s "$DN_ONCE_ERR" ] || dn_fail "--version: exit $rc, output '$(cat "$DN_ONCE_ERR")'"
dn_ok "--version: $(head -n 1 "$DN_ONCE_ERR")"

# A fixed subnet is used as given.
cp "$good" "$DN_CONF"
dn_start_defnetd
st="$DN_DIR/status.json"
dn_status_json "$st"
dn_assert_eq "$(dn_json "$st" 'd["subnet"]')" 172.20.48.0/20 "fixed subnet used as given"
dn_assert_eq "$(dn_json "$st" 'd["subnet_mode"]')" fixed "subnet_mode fixed"
dn_assert_eq "$(dn_json "$st" 'd["gateway"]')" 172.20.48.1 "gateway 172.20.48.1"
dn_assert "bridge carries 172.20.48.1/20" \
	sh -c "ip netns exec '$DN_HOST' ip -4 -o addr show dev '$DN_BRIDGE' | grep -q ' 172.20.48.1/20 '"

# SIGHUP with a now-bad file: keeps running, logs FILE:LINE.
cp "$DN_CONF" "$DN_DIR/good-copy.conf"
printf '[Network]\nBridge=%s\nSubnet=172.20.48.0/20\nNoSuchKey=1\n' "$DN_BRIDGE" >"$DN_CONF"
kill -HUP "$DN_DAEMON_PID"
dn_assert_wait 5 "SIGHUP with a bad file: log names $DN_CONF:4:" grep -qF "$DN_CONF:4:" "$DN_LOG"
dn_assert_eq "$(grep -F "$DN_CONF:4:" "$DN_LOG" | grep -c NoSuchKey)" 1 "the message names the key NoSuchKey"
sleep 0.5
dn_assert "daemon still running after a bad SIGHUP" dn_alive "$DN_DAEMON_PID"
dn_status_json "$st"
dn_assert_eq "$(dn_json "$st" 'd["subnet"]')" 172.20.48.0/20 "running configuration kept"

# defnetctl reload: a bad file fails with FILE:LINE, a good one succeeds.
err="$DN_DIR/reload.err"
dn_ctl reload 2>"$err" >/dev/null
rc=$?
[ "$rc" = 1 ] || { cat "$err" >&2; dn_fail "defnetctl reload with a bad file: exit $rc, expected 1"; }
dn_ok "defnetctl reload with a bad file: exit 1"
dn_assert_grep "$(printf '%s' "$DN_CONF" | sed 's/[.[\*^$]/\\&/g'):4:" "$err" \
	"reload's error names $DN_CONF:4: ($(head -n 1 "$err"))"
dn_assert "daemon still running after a bad reload" dn_alive "$DN_DAEMON_PID"
cp "$DN_DIR/good-copy.conf" "$DN_CONF"
dn_ctl reload 2>"$err" >/dev/null
rc=$?
[ "$rc" = 0 ] || { cat "$err" >&2; dn_fail "defnetctl reload with a good file: exit $rc"; }
dn_ok "defnetctl reload with a good file: exit 0"
dn_status_json "$st"
dn_assert_eq "$(dn_json "$st" 'd["subnet"]')" 172.20.48.0/20 "subnet after the good reload"

dn_stop_defnetd
dn_assert_eq "$DN_DAEMON_RC" 0 "SIGTERM: exit 0"

dn_done
