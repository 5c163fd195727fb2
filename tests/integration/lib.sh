# shellcheck shell=bash disable=SC2015,SC2034 # A && B || dn_fail is meant; DN_* are for the tests
# The integration-test harness, sourced by every tests/integration/test_*.sh
# (and by tools/demo).
#
# Each test builds its own network namespaces, with names unique to the test
# and its PID (dn-<test>-<pid>-host, -up, -<guest>), and its own temporary
# directory. A trap on EXIT, INT and TERM stops the processes the test
# started (by PID: TERM, then KILL after a bounded wait), deletes the
# namespaces and the directory, whether the test passed or not.
#
# Nothing runs in the machine's own network namespace: every ip, sysctl,
# server, daemon and client runs under `ip netns exec` (or `ip -n`).
#
# Topology (dn_topology):
#
#   upstream ns (DN_UP)                       host ns (DN_HOST)
#     lo   192.0.2.1/32 ("the internet")
#     up0  198.51.100.1/24  <--- veth --->  up0 198.51.100.2/24  default metric 100
#     up1  203.0.113.1/24   <--- veth --->  up1 203.0.113.2/24   default metric 200
#     dnsmasq on 198.51.100.1 and 203.0.113.1:53    defnetd, bridge defnet0
#       (zone example.test, see DN_ZONE_*)            |
#     socat on 0.0.0.0:7777 answering the peer's      +-- v-NAME <--veth--> eth0 (guest ns)
#       address ("echo $SOCAT_PEERADDR")
#
# Exit codes follow meson's: 0 pass, 1 fail, 77 skip.
#
# Environment: DEFNETD, DEFNETCTL (the binaries; meson sets them; default
# build/daemon/*), DN_WRAPPER (a command line put before defnetd, e.g.
# "valgrind -q --leak-check=full --error-exitcode=1"; with valgrind each
# run writes DN_DIR/valgrind-RUN.log and a test whose report shows an error
# or a leak fails, whatever the test itself checked), DN_LOGLEVEL (the
# daemon's LogLevel=, default debug), DN_KEEP_FAILED=1 (keep a failed
# test's directory: logs, notify and journal records, state).

set -u -o pipefail

DN_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DN_REPO=$(cd "$DN_LIB_DIR/../.." && pwd)

DN_NAME=${DN_NAME:-$(basename "$0" .sh)}
DN_NAME=${DN_NAME#test_}
DN_NAME=${DN_NAME//_/}
DN_ID="dn-${DN_NAME}-$$"
DN_HOST="$DN_ID-host"
DN_UP="$DN_ID-up"
DN_BRIDGE=${DN_BRIDGE:-defnet0}
DN_PYTHON=/usr/bin/python3

DN_UP0_HOST=198.51.100.2
DN_UP0_PEER=198.51.100.1
DN_UP1_HOST=203.0.113.2
DN_UP1_PEER=203.0.113.1
DN_INTERNET=192.0.2.1
DN_ECHO_PORT=7777
DN_ZONE=example.test
DN_ZONE_WWW=192.0.2.1
DN_ZONE_MAIL=192.0.2.25
DN_ZONE_TXT="defnet test zone"

# How long to wait for the daemon's READY=1 and for its exit on SIGTERM.
# A wrapper (DN_WRAPPER="valgrind -q ...") is slow: give it more time.
# DN_SLOW is 1 under a wrapper: tests that time things allow for it.
DN_WRAPPER=${DN_WRAPPER:-}
if [ -n "$DN_WRAPPER" ]; then
	DN_READY_TIMEOUT=${DN_READY_TIMEOUT:-60}
	DN_STOP_TIMEOUT=${DN_STOP_TIMEOUT:-30}
	DN_SLOW=1
else
	DN_READY_TIMEOUT=${DN_READY_TIMEOUT:-10}
	DN_STOP_TIMEOUT=${DN_STOP_TIMEOUT:-10}
	DN_SLOW=0
fi
DN_LOGLEVEL=${DN_LOGLEVEL:-debug}

DN_PIDS=()        # every background process the test started
DN_NETNS=()       # every namespace the test created
DN_DIR=""
DN_CHECKS=0
DN_RUN=0          # defnetd starts so far
DN_DAEMON_PID=""
DN_DAEMON_RC=""
DN_LOG=""         # stderr of the current (or last) defnetd
DN_NOTIFY_LOG=""  # what it sent to NOTIFY_SOCKET: KEY=value lines, "--" after each datagram

dn_say() { printf '%s: %s\n' "$DN_NAME" "$*"; }

dn_skip()
{
	printf '%s: SKIP: %s\n' "$DN_NAME" "$*" >&2
	exit 77
}

# Prints the end of every defnetd log so far, for a failure's context.
dn_show_logs()
{
	local f
	[ -n "$DN_DIR" ] && [ -d "$DN_DIR" ] || return 0
	for f in "$DN_DIR"/defnetd-*.log; do
		[ -e "$f" ] || continue
		printf -- '----- %s (last 40 lines) -----\n' "${f##*/}" >&2
		tail -n 40 "$f" >&2
	done
	if [ -n "$DN_NOTIFY_LOG" ] && [ -e "$DN_NOTIFY_LOG" ]; then
		printf -- '----- %s -----\n' "${DN_NOTIFY_LOG##*/}" >&2
		tail -n 20 "$DN_NOTIFY_LOG" >&2
	fi
}

dn_fail()
{
	printf '%s: FAIL: %s\n' "$DN_NAME" "$*" >&2
	dn_show_logs
	exit 1
}

dn_ok()
{
	DN_CHECKS=$((DN_CHECKS + 1))
	printf '%s: ok %d - %s\n' "$DN_NAME" "$DN_CHECKS" "$*"
}

dn_done()
{
	dn_say "PASS ($DN_CHECKS checks)"
	exit 0
}

# ---------------------------------------------------------------- checks

# dn_assert WHAT CMD...: CMD must succeed.
dn_assert()
{
	local what=$1
	shift
	"$@" >/dev/null || dn_fail "$what (command failed: $*)"
	dn_ok "$what"
}

# dn_assert_not WHAT CMD...: CMD must fail.
dn_assert_not()
{
	local what=$1
	shift
	! "$@" >/dev/null 2>&1 || dn_fail "$what (command succeeded: $*)"
	dn_ok "$what"
}

# dn_assert_eq ACTUAL EXPECTED WHAT
dn_assert_eq()
{
	[ "$1" = "$2" ] || dn_fail "$3: got '$1', expected '$2'"
	dn_ok "$3 ($1)"
}

dn_assert_ne()
{
	[ "$1" != "$2" ] || dn_fail "$3: got '$1', which it must not be"
	dn_ok "$3 ($1 != $2)"
}

# dn_assert_grep ERE FILE WHAT
dn_assert_grep()
{
	grep -Eq -- "$1" "$2" || {
		printf -- '----- %s -----\n' "$2" >&2
		tail -n 40 "$2" >&2
		dn_fail "$3: /$1/ not found in ${2##*/}"
	}
	dn_ok "$3"
}

dn_assert_no_grep()
{
	! grep -Eq -- "$1" "$2" || {
		grep -E -- "$1" "$2" | head -n 5 >&2
		dn_fail "$3: /$1/ found in ${2##*/}"
	}
	dn_ok "$3"
}

# dn_wait SECONDS CMD...: polls CMD every 0.1 s until it succeeds.
# Returns 1 when the time is up.
dn_wait()
{
	local secs=$1 i n end=$((SECONDS + $1))
	shift
	n=$((secs * 10))
	# Bounded in polls and in time: a slow CMD (a query that times out)
	# must not stretch the wait to polls times its own duration.
	for ((i = 0; i < n && SECONDS < end; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	"$@" >/dev/null 2>&1
}

# dn_dig_is NS SERVER NAME WANT: dig +short NAME at SERVER from NS is
# exactly WANT. For dn_wait, which must run the query on every poll (a
# `test "$(dig ...)"` argument would be run once, before the first).
dn_dig_is() { [ "$(dn_in "$1" dig +short +time=1 +tries=1 "@$2" "$3")" = "$4" ]; }

# dn_assert_wait SECONDS WHAT CMD...
dn_assert_wait()
{
	local secs=$1 what=$2
	shift 2
	dn_wait "$secs" "$@" || dn_fail "$what (not true after ${secs}s: $*)"
	dn_ok "$what"
}

# ------------------------------------------------------------- processes

# True while PID runs (a zombie, exited but not yet reaped, does not count).
dn_alive()
{
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st%% *}
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# dn_kill PID [SECONDS]: TERM, waits (bounded), then KILL. Reaps it when it
# is our child. Only ever PIDs this test started.
dn_kill()
{
	local pid=$1 secs=${2:-5} i
	[ -n "$pid" ] || return 0
	if dn_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < secs * 10; i++)); do
			dn_alive "$pid" || break
			sleep 0.1
		done
		if dn_alive "$pid"; then
			printf '%s: pid %s ignored SIGTERM for %ss, killing it\n' \
				"$DN_NAME" "$pid" "$secs" >&2
			kill -KILL "$pid" 2>/dev/null
			for ((i = 0; i < 20; i++)); do
				dn_alive "$pid" || break
				sleep 0.1
			done
		fi
	fi
	wait "$pid" 2>/dev/null
	return 0
}

# dn_bg NS LOGFILE CMD...: starts CMD in namespace NS in the background,
# output to LOGFILE; its PID (ip netns exec execs CMD: the same process) is
# remembered for clean-up and left in DN_BG_PID.
dn_bg()
{
	local ns=$1 log=$2
	shift 2
	ip netns exec "$ns" "$@" >>"$log" 2>&1 </dev/null &
	DN_BG_PID=$!
	DN_PIDS+=("$DN_BG_PID")
}

# dn_wrapper NAME: DN_WRAPPER for one run of defnetd; valgrind writes its
# report to DN_DIR/valgrind-NAME.log, which dn_report_check reads.
dn_wrapper()
{
	case $DN_WRAPPER in
	valgrind\ * | */valgrind\ *) printf '%s --log-file=%s' "$DN_WRAPPER" "$DN_DIR/valgrind-$1.log" ;;
	*) printf '%s' "$DN_WRAPPER" ;;
	esac
}

# Fails (returns 1, showing the report) when a valgrind report of this
# test has an error or a leak (a run killed with SIGKILL has no summary),
# or when a sanitizer (the ASan+UBSan build) reported in defnetd's stderr:
# UBSan goes on after its report, so the exit code alone would not say.
dn_report_check()
{
	local f bad=0
	for f in "$DN_DIR"/valgrind-*.log; do
		[ -e "$f" ] || continue
		if grep -Eq 'ERROR SUMMARY: [1-9]' "$f"; then
			printf -- '----- %s -----\n' "${f##*/}" >&2
			grep -v '^==[0-9]*== *$' "$f" | head -n 120 >&2
			bad=1
		fi
	done
	for f in "$DN_DIR"/defnetd-*.log "$DN_DIR"/once.err; do
		[ -e "$f" ] || continue
		if grep -Eq 'runtime error:|ERROR: [A-Za-z]+Sanitizer' "$f"; then
			printf -- '----- %s -----\n' "${f##*/}" >&2
			grep -E -A 20 'runtime error:|ERROR: [A-Za-z]+Sanitizer' "$f" | head -n 80 >&2
			bad=1
		fi
	done
	[ "$bad" = 0 ] || printf '%s: FAIL: valgrind or a sanitizer reported on defnetd\n' "$DN_NAME" >&2
	return "$bad"
}

dn_cleanup()
{
	local rc=$? pid ns i
	trap '' INT TERM
	set +e
	# Under a wrapper the daemon's exit (valgrind's leak check) is slow.
	for ((i = ${#DN_PIDS[@]} - 1; i >= 0; i--)); do
		dn_kill "${DN_PIDS[i]}" "$DN_STOP_TIMEOUT"
	done
	# Whatever else is still inside our namespaces was started by this test
	# (a daemon's child, a client's helper): stop it the same way.
	for ns in "${DN_NETNS[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			dn_kill "$pid" 2
		done
	done
	for ns in "${DN_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	if [ "$rc" = 0 ] && [ -n "$DN_DIR" ] && ! dn_report_check; then
		rc=1
	fi
	if [ -n "$DN_DIR" ] && [ -d "$DN_DIR" ]; then
		if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -n "${DN_KEEP_FAILED:-}" ]; then
			printf '%s: kept %s for inspection\n' "$DN_NAME" "$DN_DIR" >&2
		else
			rm -rf -- "$DN_DIR"
		fi
	fi
	exit "$rc"
}

# ------------------------------------------------------------ namespaces

dn_netns_add()
{
	ip netns add "$1" || dn_fail "cannot create network namespace $1"
	DN_NETNS+=("$1")
	ip -n "$1" link set lo up || dn_fail "lo up in $1"
}

# dn_in NS CMD...: runs CMD in namespace NS.
dn_in()
{
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# dn_h CMD...: runs CMD in the host namespace (where defnetd runs).
dn_h() { ip netns exec "$DN_HOST" "$@"; }

# Python with stdlib only, for JSON and address arithmetic.
dn_py() { "$DN_PYTHON" "$@"; }

# Builds the upstream and host namespaces, the two uplinks and the
# upstream services. DN_SERVICES=0 leaves the services out.
dn_topology()
{
	dn_netns_add "$DN_HOST"
	dn_netns_add "$DN_UP"
	ip -n "$DN_HOST" link add up0 type veth peer name up0 netns "$DN_UP" ||
		dn_fail "veth up0"
	ip -n "$DN_HOST" link add up1 type veth peer name up1 netns "$DN_UP" ||
		dn_fail "veth up1"
	ip -n "$DN_HOST" addr add "$DN_UP0_HOST/24" dev up0 &&
		ip -n "$DN_HOST" addr add "$DN_UP1_HOST/24" dev up1 &&
		ip -n "$DN_HOST" link set up0 up &&
		ip -n "$DN_HOST" link set up1 up &&
		ip -n "$DN_UP" addr add "$DN_UP0_PEER/24" dev up0 &&
		ip -n "$DN_UP" addr add "$DN_UP1_PEER/24" dev up1 &&
		ip -n "$DN_UP" link set up0 up &&
		ip -n "$DN_UP" link set up1 up &&
		ip -n "$DN_UP" addr add "$DN_INTERNET/32" dev lo ||
		dn_fail "uplink addresses"
	ip -n "$DN_HOST" route add default via "$DN_UP0_PEER" dev up0 metric 100 &&
		ip -n "$DN_HOST" route add default via "$DN_UP1_PEER" dev up1 metric 200 ||
		dn_fail "default routes"
	dn_in "$DN_UP" sysctl -qw net.ipv4.ip_forward=1 || dn_fail "upstream ip_forward"
	# A new namespace may inherit forwarding; the daemon must turn it on.
	dn_h sysctl -qw net.ipv4.ip_forward=0 || dn_fail "host ip_forward=0"
	printf 'nameserver %s\nnameserver %s\n' "$DN_UP0_PEER" "$DN_UP1_PEER" \
		>"$DN_DIR/resolv.conf"
	if [ "${DN_SERVICES:-1}" != 0 ]; then
		dn_start_dns
		dn_start_echo
	fi
}

# The test zone's DNS server: dnsmasq, authoritative for DN_ZONE only
# (--local), no upstream, no /etc/hosts, bound to the upstream addresses.
dn_start_dns()
{
	dn_bg "$DN_UP" "$DN_DIR/dnsmasq.out" dnsmasq --keep-in-foreground \
		--conf-file=/dev/null --no-resolv --no-hosts --no-poll \
		--bind-interfaces --listen-address="$DN_UP0_PEER" \
		--listen-address="$DN_UP1_PEER" --user=root --group=root \
		--pid-file="$DN_DIR/dnsmasq.pid" \
		--log-facility="$DN_DIR/dnsmasq.log" --log-queries \
		--local="/$DN_ZONE/" \
		--host-record="www.$DN_ZONE,$DN_ZONE_WWW" \
		--host-record="mail.$DN_ZONE,$DN_ZONE_MAIL" \
		--mx-host="$DN_ZONE,mail.$DN_ZONE,10" \
		--txt-record="txt.$DN_ZONE,$DN_ZONE_TXT"
	DN_DNS_PID=$DN_BG_PID
	dn_wait 5 dn_dns_answers "$DN_UP" "$DN_UP0_PEER" ||
		{ cat "$DN_DIR/dnsmasq.out" >&2; dn_fail "upstream DNS server did not answer"; }
}

# dn_dns_answers NS SERVER: www.<zone> resolves through SERVER from NS.
dn_dns_answers()
{
	[ "$(dn_in "$1" dig +short +time=1 +tries=1 "@$2" "www.$DN_ZONE" A)" = "$DN_ZONE_WWW" ]
}

# A TCP service that answers each connection with the peer's address and
# closes: what the far end sees after NAT.
dn_start_echo()
{
	# shellcheck disable=SC2016 # socat's shell expands it, per connection
	dn_bg "$DN_UP" "$DN_DIR/echo.out" socat \
		"TCP4-LISTEN:$DN_ECHO_PORT,fork,reuseaddr" \
		'SYSTEM:echo $SOCAT_PEERADDR'
	DN_ECHO_PID=$DN_BG_PID
	dn_wait 5 dn_listening "$DN_UP" "$DN_ECHO_PORT" ||
		{ cat "$DN_DIR/echo.out" >&2; dn_fail "echo service did not listen"; }
}

dn_listening()
{
	[ -n "$(dn_in "$1" ss -Hltn "sport = :$2")" ]
}

# dn_echo_from NS [ADDR]: connects from NS to the echo service and prints
# the address it saw.
dn_echo_from()
{
	dn_in "$1" timeout 5 socat -T 3 - "TCP4:${2:-$DN_INTERNET}:$DN_ECHO_PORT,connect-timeout=3" </dev/null
}

# dn_guest NAME: a guest namespace DN_ID-NAME whose eth0 is a veth to the
# bridge; the host side, v-NAME, is enslaved to DN_BRIDGE and up. The
# namespace's name is left in DN_GUEST_NS and returned by dn_guest_ns NAME.
dn_guest()
{
	local name=$1 ns port
	ns=$(dn_guest_ns "$name")
	port=$(dn_guest_port "$name")
	dn_netns_add "$ns"
	ip -n "$DN_HOST" link add "$port" type veth peer name eth0 netns "$ns" ||
		dn_fail "guest $name: veth"
	ip -n "$DN_HOST" link set "$port" master "$DN_BRIDGE" ||
		dn_fail "guest $name: enslave $port to $DN_BRIDGE"
	ip -n "$DN_HOST" link set "$port" up && ip -n "$ns" link set eth0 up ||
		dn_fail "guest $name: links up"
	DN_GUEST_NS=$ns
}

# dn_state_prefix6: the guests' IPv6 prefix the daemon persisted.
dn_state_prefix6()
{
	sed -n 's/^prefix6[[:space:]]\+\([0-9a-f:/]\+\)[[:space:]]*$/\1/p' "$DN_STATE/subnet" 2>/dev/null
}

# dn_static_guest NAME SUBNET GATEWAY N: dn_guest NAME with the N-th
# address of SUBNET (a.b.c.d/len) on eth0 and a default route via
# GATEWAY; the address is left in DN_GUEST_IP.
dn_static_guest()
{
	dn_guest "$1"
	DN_GUEST_IP=$(dn_subnet_host "$2" "$4")
	ip -n "$DN_GUEST_NS" addr add "$DN_GUEST_IP/${2#*/}" dev eth0 &&
		ip -n "$DN_GUEST_NS" route add default via "$3" ||
		dn_fail "guest $1: static address $DN_GUEST_IP"
}

# dn_perfdhcp_setup NET SEED N: what perfdhcp runs against. defnetd on
# 10.NET.0.0/16 with the pool 10.NET.1.0-10.NET.255.254, no rate limits and no
# per-port lease cap (all of perfdhcp's clients come through one port);
# a guest "p" at 10.NET.0.2 (DN_GUEST_NS) that also holds DN_RELAY_IP,
# 198.18.NET.2, the relay agent address perfdhcp sends from (-l), so
# answers come to it, port 67 (defnetd answers no giaddr inside the guest
# subnet: that would be a guest, not a relay); and
# DN_DIR/macs, N random MACs (Python's generator seeded with SEED) for
# perfdhcp -M: its sequential ones cluster.
dn_perfdhcp_setup()
{
	cat >>"$DN_CONF" <<-EOF
	[Network]
	Subnet=10.$1.0.0/16
	[DHCP]
	Pool=10.$1.1.0-10.$1.255.254
	RateLimit=off
	RateLimitPerPort=off
	LeasesPerPort=off
	EOF
	dn_start_defnetd
	dn_guest p
	DN_RELAY_IP=198.18.$1.2
	ip -n "$DN_GUEST_NS" addr add "10.$1.0.2/16" dev eth0 &&
		ip -n "$DN_GUEST_NS" addr add "$DN_RELAY_IP/24" dev eth0 || dn_fail "relay address"
	dn_py -c 'import random, sys
r = random.Random(int(sys.argv[1]))
for m in r.sample(range(1 << 40), int(sys.argv[2])): print("02:%02x:%02x:%02x:%02x:%02x" % tuple(m.to_bytes(5, "big")))' \
		"$2" "$3" >"$DN_DIR/macs" || dn_fail "MAC list"
}

dn_guest_ns() { printf '%s-%s' "$DN_ID" "$1"; }
dn_guest_port() { local p="v-$1"; printf '%s' "${p:0:15}"; }

# dn_dhcp_guest NAME [HOSTNAME]: runs dhclient once in the guest (bounded),
# sending HOSTNAME when given. A script
# of ours applies the lease (address, default route) and records it in
# DN_DIR/lease-NAME.env; nothing outside the guest's namespace is touched
# (Debian's dhclient-script would rewrite the machine's /etc/resolv.conf).
dn_dhcp_guest()
{
	local name=$1 hostname=${2:-} ns script rc conf=()
	ns=$(dn_guest_ns "$name")
	script="$DN_DIR/dhclient-script-$name"
	if [ -n "$hostname" ]; then
		conf=(-cf "$DN_DIR/dhclient-$name.conf")
		printf 'send host-name "%s";\n' "$hostname" >"${conf[1]}"
	fi
	# dhclient gives its script a fresh environment: the lease file's
	# path is written into the script.
	cat >"$script" <<-EOF
	#!/bin/sh
	PATH=/usr/sbin:/usr/bin:/sbin:/bin
	case "\$reason" in
	BOUND|RENEW|REBIND|REBOOT)
	ip addr flush dev "\$interface"
	ip addr add "\$new_ip_address/\$new_subnet_mask" dev "\$interface"
	for r in \$new_routers; do ip route replace default via "\$r"; break; done
	env | grep -E '^(new_|reason=|interface=)' | sort >"$DN_DIR/lease-$name.env"
	;;
	esac
	exit 0
	EOF
	chmod 755 "$script"
	dn_in "$ns" timeout 30 dhclient -1 -v -sf "$script" "${conf[@]}" \
		-pf "$DN_DIR/dhclient-$name.pid" \
		-lf "$DN_DIR/dhclient-$name.leases" eth0 \
		>>"$DN_DIR/dhclient-$name.log" 2>&1 </dev/null
	rc=$?
	dn_stop_dhclient "$name"
	return $rc
}

# dn_stop_dhclient NAME: once bound, dhclient -1 goes on in the background
# (its child writes the PID file a moment after the parent returns): stop
# every dhclient in the guest's namespace, by PID.
dn_stop_dhclient()
{
	local ns pid
	ns=$(dn_guest_ns "$1")
	dn_wait 2 test -s "$DN_DIR/dhclient-$1.pid"
	for pid in $(ip netns pids "$ns" 2>/dev/null); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dhclient ] && dn_kill "$pid" 2
	done
}

# dn_guest6_addr NS: the guest's global, non-tentative IPv6 address.
dn_guest6_addr()
{
	dn_in "$1" ip -6 -o addr show dev eth0 scope global -tentative |
		awk '{sub("/.*", "", $4); print $4; exit}'
}
dn_guest6_default() { dn_in "$1" ip -6 route show default dev eth0 | grep -q 'via fe80:'; }
dn_guest6_has_addr() { [ -n "$(dn_guest6_addr "$1")" ]; }
# dn_ping6 NS ADDR [SRC]: one ICMPv6 echo (from SRC) answered within 2 s
# (no ping here).
dn_ping6()
{
	dn_in "$1" "$DN_PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.settimeout(2)
if len(sys.argv) > 2:
    s.bind((sys.argv[2], 0))
s.sendto(bytes([128, 0, 0, 0, 0x12, 0x34, 0, 1]) + b"defnet", (sys.argv[1], 0))
while True:
    b, a = s.recvfrom(1500)
    if b[0] == 129 and b[4:6] == bytes([0x12, 0x34]):
        sys.exit(0)
' "${@:2}"
}

# dn_lease_value NAME KEY: a value from the guest's recorded lease.
dn_lease_value()
{
	sed -n "s/^$2=//p" "$DN_DIR/lease-$1.env" 2>/dev/null | tr -d "'"
}

# ---------------------------------------------------------------- defnetd

dn_find_binaries()
{
	DEFNETD=${DEFNETD:-$DN_REPO/build/daemon/defnetd}
	DEFNETCTL=${DEFNETCTL:-$DN_REPO/build/daemon/defnetctl}
	[ -x "$DEFNETD" ] || dn_fail "no defnetd at $DEFNETD (set DEFNETD)"
	[ -x "$DEFNETCTL" ] || dn_fail "no defnetctl at $DEFNETCTL (set DEFNETCTL)"
}

# The configuration the tests start from: the test zone's resolvers come
# from a file of the test's own, never the machine's /etc/resolv.conf.
dn_default_config()
{
	cat <<-EOF
	[Daemon]
	LogLevel=$DN_LOGLEVEL
	[Network]
	Bridge=$DN_BRIDGE
	[DNS]
	ResolvConf=$DN_DIR/resolv.conf
	EOF
}

# dn_config < TEXT: replaces the config file the daemon is started with.
dn_config() { cat >"$DN_CONF"; }

# dn_notify_listener SOCKET LOG: a datagram listener for sd_notify.
dn_notify_listener()
{
	dn_bg "$DN_HOST" "$DN_DIR/notify-listen.out" \
		"$DN_PYTHON" "$DN_LIB_DIR/notify_listen.py" "$1" "$2"
	dn_wait 5 test -S "$1" || dn_fail "notify listener did not bind $1"
}

# dn_notify_count LINE: how many times the current daemon sent LINE.
dn_notify_count()
{
	grep -cxF -- "$1" "$DN_NOTIFY_LOG" 2>/dev/null
}

# dn_notify_is LINE N: the current daemon sent LINE exactly N times (a
# command, for dn_wait: evaluated at each poll).
dn_notify_is() { [ "$(dn_notify_count "$1")" = "$2" ]; }

# dn_new_run: names the next daemon run's files (DN_LOG, DN_NOTIFY_SOCK,
# DN_NOTIFY_LOG) and starts its notify listener.
dn_new_run()
{
	DN_RUN=$((DN_RUN + 1))
	DN_LOG="$DN_DIR/defnetd-$DN_RUN.log"
	DN_NOTIFY_SOCK="$DN_DIR/notify-$DN_RUN.sock"
	DN_NOTIFY_LOG="$DN_DIR/notify-$DN_RUN.log"
	: >"$DN_LOG"
	: >"$DN_NOTIFY_LOG"
	dn_notify_listener "$DN_NOTIFY_SOCK" "$DN_NOTIFY_LOG"
}

# dn_wait_ready: waits (bounded) for the daemon DN_DAEMON_PID to send
# READY=1; fails the test, showing its stderr, when it exits or is slow.
dn_wait_ready()
{
	local i n
	n=$((DN_READY_TIMEOUT * 10))
	for ((i = 0; i < n; i++)); do
		[ "$(dn_notify_count READY=1)" -gt 0 ] && break
		if ! dn_alive "$DN_DAEMON_PID"; then
			wait "$DN_DAEMON_PID"
			DN_DAEMON_RC=$?
			DN_DAEMON_PID=""
			dn_fail "defnetd exited with $DN_DAEMON_RC before READY=1"
		fi
		sleep 0.1
	done
	[ "$(dn_notify_count READY=1)" -gt 0 ] ||
		dn_fail "defnetd sent no READY=1 within ${DN_READY_TIMEOUT}s"
	dn_say "defnetd ready (pid $DN_DAEMON_PID, run $DN_RUN)"
}

# dn_start_defnetd [ARGS...]: starts defnetd in the host namespace with
# the test's config, state and runtime directories and a notify socket,
# waits (bounded) for READY=1, and leaves its PID in DN_DAEMON_PID.
# shellcheck disable=SC2120 # ARGS are optional; most callers pass none
dn_start_defnetd()
{
	dn_new_run
	# shellcheck disable=SC2046,SC2086 # DN_WRAPPER is a command line
	dn_bg "$DN_HOST" "$DN_LOG" env -u JOURNAL_STREAM \
		NOTIFY_SOCKET="$DN_NOTIFY_SOCK" $(dn_wrapper "$DN_RUN") "$DEFNETD" \
		--config "$DN_CONF" --state-dir "$DN_STATE" \
		--runtime-dir "$DN_RUNTIME" "$@"
	DN_DAEMON_PID=$DN_BG_PID
	dn_wait_ready
}

# dn_start_defnetd_journal JLOG: starts defnetd as systemd would with its
# stderr going to the journal (JOURNAL_STREAM names DN_LOG, also left in
# DN_JOURNAL_STREAM), and a stand-in journal socket (journal_listen.py:
# JLOG gets one JSON object per entry) on a tmpfs over /run/systemd, in a
# mount namespace of the daemon's own so the machine's is untouched.
# Needs /run/systemd. Waits for READY=1 like dn_start_defnetd.
dn_start_defnetd_journal()
{
	local jlog=$1 jpid="$DN_DIR/journal-listen.pid"
	: >"$jlog"
	rm -f "$jpid"
	dn_new_run
	DN_JOURNAL_STREAM=$(stat -c %d:%i "$DN_LOG") || dn_fail "stat $DN_LOG"
	# shellcheck disable=SC2016 # expanded by the inner shell
	dn_bg "$DN_HOST" "$DN_LOG" unshare --mount --propagation private sh -c '
		mount -t tmpfs -o mode=0755 defnet-test /run/systemd || exit 97
		mkdir /run/systemd/journal || exit 97
		"$0" "$1" /run/systemd/journal/socket "$2" >/dev/null 2>&1 </dev/null &
		echo $! >"$3"
		i=0
		while [ ! -S /run/systemd/journal/socket ] && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		[ -S /run/systemd/journal/socket ] || exit 98
		exec env JOURNAL_STREAM="$4" NOTIFY_SOCKET="$5" "$6" --config "$7" \
			--state-dir "$8" --runtime-dir "$9"' \
		"$DN_PYTHON" "$DN_LIB_DIR/journal_listen.py" "$jlog" "$jpid" "$DN_JOURNAL_STREAM" \
		"$DN_NOTIFY_SOCK" "$DEFNETD" "$DN_CONF" "$DN_STATE" "$DN_RUNTIME"
	DN_DAEMON_PID=$DN_BG_PID
	dn_wait 5 test -s "$jpid" && DN_PIDS+=("$(cat "$jpid")")
	dn_wait_ready
}

# dn_stop_defnetd: SIGTERM, waits (bounded), returns the exit code (also in
# DN_DAEMON_RC). A daemon that does not stop is killed and the test fails.
dn_stop_defnetd()
{
	local i pid=$DN_DAEMON_PID
	[ -n "$pid" ] || dn_fail "dn_stop_defnetd: no daemon running"
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < DN_STOP_TIMEOUT * 10; i++)); do
		dn_alive "$pid" || break
		sleep 0.1
	done
	if dn_alive "$pid"; then
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null
		DN_DAEMON_PID=""
		dn_fail "defnetd did not exit within ${DN_STOP_TIMEOUT}s of SIGTERM"
	fi
	wait "$pid"
	DN_DAEMON_RC=$?
	DN_DAEMON_PID=""
	return "$DN_DAEMON_RC"
}

# dn_defnetd_once [ARGS...]: runs defnetd to completion (bounded, 10 s) in
# the host namespace with the test's directories; stderr in DN_ONCE_ERR,
# exit code returned. For runs that must fail or --check-config.
dn_defnetd_once()
{
	DN_ONCE_ERR="$DN_DIR/once.err"
	DN_ONCE=$((${DN_ONCE:-0} + 1))
	# shellcheck disable=SC2046,SC2086
	dn_h timeout -k 2 $((10 + 50 * DN_SLOW)) env -u JOURNAL_STREAM -u NOTIFY_SOCKET \
		$(dn_wrapper "once-$DN_ONCE") \
		"$DEFNETD" --state-dir "$DN_STATE" --runtime-dir "$DN_RUNTIME" \
		"$@" >"$DN_ONCE_ERR" 2>&1 </dev/null
}

# dn_ctl ARGS...: defnetctl against the test's daemon, in the host ns.
dn_ctl()
{
	dn_h timeout 10 "$DEFNETCTL" --socket "$DN_RUNTIME/control" "$@"
}

# dn_status_json FILE: writes `defnetctl status --json` to FILE, checks it
# parses as a JSON object.
dn_status_json()
{
	dn_ctl status --json >"$1" 2>"$1.err" ||
		{ cat "$1.err" >&2; dn_fail "defnetctl status --json failed"; }
	dn_py -c 'import json,sys; d=json.load(open(sys.argv[1])); assert isinstance(d, dict)' \
		"$1" 2>"$1.err" ||
		{ cat "$1" "$1.err" >&2; dn_fail "status --json is not a JSON object"; }
}

# dn_json FILE EXPR: evaluates a Python expression over the JSON in FILE
# (as d); strings print as they are, anything else as JSON.
dn_json()
{
	dn_py - "$1" "$2" <<-'EOF'
	import json, sys
	d = json.load(open(sys.argv[1]))
	v = eval(sys.argv[2], {"d": d})
	print(v if isinstance(v, str) else json.dumps(v))
	EOF
}

# dn_status_ports FILE: the port names in a status JSON, one a line.
# "ports" is a list of names (or of objects with "name"); a bare count is
# printed as "#N" so that a test can still compare numbers.
dn_status_ports()
{
	dn_py - "$1" <<-'EOF'
	import json, sys
	p = json.load(open(sys.argv[1])).get("ports")
	if isinstance(p, int) and not isinstance(p, bool):
	    print("#%d" % p)
	elif isinstance(p, list):
	    for x in p:
	        print(x.get("name") if isinstance(x, dict) else x)
	else:
	    sys.exit("status: \"ports\" is %r" % (p,))
	EOF
}

# dn_status_nports FILE: how many ports the status JSON lists.
dn_status_nports()
{
	local out
	out=$(dn_status_ports "$1") || return 1
	case $out in
	"#"*) printf '%s\n' "${out#\#}" ;;
	"") echo 0 ;;
	*) printf '%s\n' "$out" | wc -l ;;
	esac
}

# dn_overlap A B: true when the two CIDR prefixes overlap.
dn_overlap()
{
	dn_py -c 'import ipaddress as i,sys; sys.exit(0 if i.ip_network(sys.argv[1], strict=False).overlaps(i.ip_network(sys.argv[2], strict=False)) else 1)' "$1" "$2"
}

# dn_subnet_host PREFIX N: the Nth address of PREFIX.
dn_subnet_host()
{
	dn_py -c 'import ipaddress as i,sys; print(i.ip_network(sys.argv[1], strict=False)[int(sys.argv[2])])' "$1" "$2"
}

# dn_subnet_part PREFIX LEN N: the Nth /LEN inside PREFIX.
dn_subnet_part()
{
	dn_py -c 'import ipaddress as i,sys; print(list(i.ip_network(sys.argv[1], strict=False).subnets(new_prefix=int(sys.argv[2])))[int(sys.argv[3])])' "$1" "$2" "$3"
}

# The subnet persisted in the state directory ("subnet A.B.C.D/20").
dn_state_subnet()
{
	sed -n 's/^subnet[[:space:]]\+\([0-9./]\+\)[[:space:]]*$/\1/p' "$DN_STATE/subnet" 2>/dev/null | head -n 1
}

# ------------------------------------------------------------------ setup

dn_init()
{
	local t
	[ "$(id -u)" = 0 ] || dn_skip "needs root (network namespaces)"
	command -v ip >/dev/null || dn_skip "needs ip (iproute2)"
	unshare --net true 2>/dev/null || dn_skip "network namespaces are not available here"
	[ -x "$DN_PYTHON" ] || dn_skip "needs $DN_PYTHON"
	for t in ${DN_NEEDS:-}; do
		command -v "$t" >/dev/null || dn_skip "needs $t (tools/test installs it)"
	done
	DN_DIR=$(mktemp -d "/tmp/$DN_ID.XXXXXX") || dn_fail "mktemp"
	trap dn_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	# Traversable, so an unprivileged client reaches the control socket and
	# is refused by the socket's own mode, not by this directory's.
	chmod 755 "$DN_DIR"
	DN_STATE="$DN_DIR/state"
	DN_RUNTIME="$DN_DIR/run"
	DN_CONF="$DN_DIR/defnet.conf"
	mkdir -p "$DN_STATE" "$DN_RUNTIME"
	dn_default_config >"$DN_CONF"
	dn_say "namespaces $DN_ID-*, files in $DN_DIR"
}

DN_NEEDS=${DN_NEEDS:-"dnsmasq socat dig"}
dn_init
