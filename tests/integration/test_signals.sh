#!/bin/bash
# systemd integration without systemd: the sd_notify states on start,
# SIGHUP and SIGTERM; plain stderr lines; and the journal's native protocol
# when JOURNAL_STREAM names stderr, received by a stand-in journal socket on
# a tmpfs over /run/systemd in a private mount namespace.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
dn_find_binaries
dn_topology

# dn_gram_check PYTHON-CONDITION: evaluated over g, the current notify log
# as a list of datagrams, each a list of KEY=value strings.
dn_gram_check()
{
	dn_py - "$DN_NOTIFY_LOG" "$1" <<-'EOF'
	import re, sys
	g, cur = [], []
	for line in open(sys.argv[1]).read().splitlines():
	    if line == "--":
	        g.append(cur)
	        cur = []
	    else:
	        cur.append(line)
	def idx(item, start=0):
	    for i in range(start, len(g)):
	        if item in g[i]:
	            return i
	    return -1
	sys.exit(0 if eval(sys.argv[2]) else 1)
	EOF
}

# dn_plain_stderr FILE: every line is "defnetd: LEVEL: message".
dn_plain_stderr()
{
	local bad
	bad=$(grep -Ev '^defnetd: (error|warning|info|debug): ' "$1" | grep -v '^$' | head -n 5)
	[ -z "$bad" ] || { printf '%s\n' "$bad" >&2; return 1; }
}

dn_start_defnetd
dn_assert_eq "$(dn_notify_count READY=1)" 1 "start: READY=1 once"
dn_assert_grep '^STATUS=.+' "$DN_NOTIFY_LOG" "start: a STATUS= line"
dn_assert_no_grep '^(RELOADING|STOPPING)=1$' "$DN_NOTIFY_LOG" "start: no RELOADING or STOPPING"
dn_assert "stderr: every line is 'defnetd: LEVEL: message'" dn_plain_stderr "$DN_LOG"
dn_assert_grep "^defnetd: info: .*bridge $DN_BRIDGE (created|adopted)" "$DN_LOG" "stderr: the bridge line at info"

kill -HUP "$DN_DAEMON_PID"
dn_assert_wait 5 "SIGHUP: a second READY=1" dn_notify_is READY=1 2
dn_assert "SIGHUP: RELOADING=1 between the two READY=1" \
	dn_gram_check 'idx("READY=1") < idx("RELOADING=1") < idx("READY=1", idx("READY=1") + 1)'
dn_assert "SIGHUP: MONOTONIC_USEC=<digits> with RELOADING=1" \
	dn_gram_check 'any(re.fullmatch(r"MONOTONIC_USEC=[0-9]+", x) for x in g[idx("RELOADING=1")])'
dn_assert "daemon running after SIGHUP" dn_alive "$DN_DAEMON_PID"

dn_ctl reload >/dev/null 2>&1 || dn_fail "defnetctl reload with the good file"
dn_assert_wait 5 "defnetctl reload: READY=1 again" dn_notify_is READY=1 3

dn_stop_defnetd
dn_assert_eq "$DN_DAEMON_RC" 0 "SIGTERM: exit 0"
dn_assert "SIGTERM: STOPPING=1 after the last READY=1" \
	dn_gram_check 'idx("STOPPING=1") > max(i for i in range(len(g)) if "READY=1" in g[i])'

# JOURNAL_STREAM that does not match stderr: still plain lines.
dn_new_run
dn_bg "$DN_HOST" "$DN_LOG" env JOURNAL_STREAM=1:1 NOTIFY_SOCKET="$DN_NOTIFY_SOCK" \
	"$DEFNETD" --config "$DN_CONF" --state-dir "$DN_STATE" --runtime-dir "$DN_RUNTIME"
DN_DAEMON_PID=$DN_BG_PID
dn_wait_ready
dn_assert_grep "bridge $DN_BRIDGE adopted" "$DN_LOG" "JOURNAL_STREAM=1:1 (not stderr): plain lines on stderr"
dn_assert "JOURNAL_STREAM=1:1: every line plain" dn_plain_stderr "$DN_LOG"
dn_stop_defnetd || dn_fail "stop: exit $DN_DAEMON_RC"

# Journal mode. The stand-in journal lives on a tmpfs over /run/systemd in
# a mount namespace of the daemon's own, so the machine's is untouched.
if [ ! -d /run/systemd ]; then
	dn_say "SKIP journal part: no /run/systemd to mount a tmpfs over"
	dn_done
fi
jlog="$DN_DIR/journal.jsonl"
dn_start_defnetd_journal "$jlog"
dn_ok "journal mode: JOURNAL_STREAM=$DN_JOURNAL_STREAM (stderr's dev:ino), READY=1"
dn_assert_wait 5 "journal: entries arrive" test -s "$jlog"
dn_assert_wait 5 "journal: the bridge message arrives" grep -qE "bridge $DN_BRIDGE (created|adopted)" "$jlog"

dn_journal_check()
{
	dn_py - "$jlog" "$DN_BRIDGE" <<-'EOF'
	import json, re, sys
	entries = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
	bad = [e for e in entries if "_error" in e]
	if bad:
	    sys.exit("unparsable datagram: %r" % bad[0])
	for e in entries:
	    if not isinstance(e.get("MESSAGE"), str) or not e["MESSAGE"]:
	        sys.exit("no MESSAGE in %r" % e)
	    if not re.fullmatch(r"[0-7]", str(e.get("PRIORITY"))):
	        sys.exit("bad PRIORITY in %r" % e)
	    if e.get("SYSLOG_IDENTIFIER") != "defnetd":
	        sys.exit("SYSLOG_IDENTIFIER is not defnetd in %r" % e)
	br = [e for e in entries if re.search("bridge %s (created|adopted)" % sys.argv[2], e["MESSAGE"])]
	if not br or br[0]["PRIORITY"] != "6":
	    sys.exit("no bridge message at PRIORITY=6 (info): %r" % br)
	if any(e["MESSAGE"].startswith("defnetd:") for e in entries):
	    sys.exit("MESSAGE carries the stderr prefix")
	print("%d entries" % len(entries))
	EOF
}
out=$(dn_journal_check) || { head -c 3000 "$jlog" >&2; dn_fail "journal entries: $out"; }
dn_ok "journal: $out, each with MESSAGE, PRIORITY and SYSLOG_IDENTIFIER=defnetd"
dn_assert_no_grep "bridge $DN_BRIDGE" "$DN_LOG" "journal mode: the message is not on stderr too"

kill -HUP "$DN_DAEMON_PID"
dn_assert_wait 5 "journal mode: SIGHUP, READY=1 again" dn_notify_is READY=1 2
dn_stop_defnetd
dn_assert_eq "$DN_DAEMON_RC" 0 "journal mode: SIGTERM exit 0"
dn_assert "journal mode: STOPPING=1" dn_notify_is STOPPING=1 1
out=$(dn_journal_check) || { head -c 3000 "$jlog" >&2; dn_fail "journal entries after stop: $out"; }
dn_ok "journal after reload and stop: $out, all well-formed"

dn_done
