#!/bin/bash
# The nat library against the real kernel, through nat_probe: the table
# inet defnet holds exactly the chains and rules we want, re-applying is
# idempotent, a check run and bad arguments change nothing, a table of
# someone else's is never touched, remove deletes ours only. Then the
# datapath: a guest behind the bridge reaches the upstream masqueraded as
# the host's uplink address (routed with --no-masquerade), and new
# connections from outside to the guest are dropped until the table goes.
# shellcheck disable=SC2015 # "A && B || dn_fail": dn_fail exits
DN_NEEDS=${DN_NEEDS:-"nft socat"}
. "$(dirname "$0")/lib.sh"

NAT_PROBE=${NAT_PROBE:-$DN_REPO/build/tests/integration/nat_probe}
[ -x "$NAT_PROBE" ] || dn_fail "no nat_probe at $NAT_PROBE (set NAT_PROBE)"

GW=172.20.48.1
SUBNET=172.20.48.0/20
SUBNET2=10.9.0.0/24
GUEST_IP=172.20.48.10
GUEST_PORT=7778

# nat_probe ARGS...: in the host namespace, bounded; stderr in DN_DIR/probe.err.
nat_probe()
{
	# shellcheck disable=SC2086 # DN_WRAPPER is a command line
	dn_h timeout -k 2 30 $DN_WRAPPER "$NAT_PROBE" "$@" 2>"$DN_DIR/probe.err"
}

# A readable line per chain and rule of `nft -j list table inet defnet`;
# handles are left out, so that two applies compare equal.
nat_summary()
{
	dn_h nft -j list table inet defnet >"$DN_DIR/defnet.json" || return 1
	dn_py - "$DN_DIR/defnet.json" <<-'EOF'
	import json, sys

	def r(x):
	    if isinstance(x, (str, int)):
	        return str(x)
	    if isinstance(x, list):
	        return ",".join(r(i) for i in x)
	    (k, v), = x.items()
	    if k == "payload":
	        return "%s %s" % (v["protocol"], v["field"])
	    if k in ("meta", "ct", "rt"):
	        return "%s %s" % (k, v["key"])
	    if k == "&":
	        return "%s & %s" % (r(v[0]), r(v[1]))
	    if k == "prefix":
	        return "%s/%d" % (v["addr"], v["len"])
	    if k == "tcp option":
	        return "tcp option %s %s" % (v["name"], v["field"])
	    if k == "match":
	        return "%s %s %s" % (r(v["left"]), v["op"], r(v["right"]))
	    if k == "mangle":
	        return "%s = %s" % (r(v["key"]), r(v["value"]))
	    if v is None:
	        return k
	    return json.dumps(x, sort_keys=True)

	for o in json.load(open(sys.argv[1]))["nftables"]:
	    if "table" in o:
	        print("table %(family)s %(name)s" % o["table"])
	    elif "chain" in o:
	        print("chain %(name)s type %(type)s hook %(hook)s prio %(prio)d policy %(policy)s" % o["chain"])
	    elif "rule" in o:
	        print("rule %s: %s" % (o["rule"]["chain"], "; ".join(r(e) for e in o["rule"]["expr"])))
	EOF
}

# The whole JSON listing without handles, which a new table renumbers.
nat_json()
{
	dn_h nft -j list table inet defnet | dn_py -c '
import json, sys
objs = json.load(sys.stdin)["nftables"]
for o in objs:
    for v in o.values():
        v.pop("handle", None)
print(json.dumps(objs, sort_keys=True))'
}

expected_forward_input()
{
	cat <<-EOF
	chain forward type filter hook forward prio 0 policy accept
	chain input type filter hook input prio 0 policy accept
	rule forward: meta iifname == $DN_BRIDGE; tcp flags & syn,rst == syn; tcp option maxseg size = rt mtu
	rule forward: meta oifname == $DN_BRIDGE; tcp flags & syn,rst == syn; tcp option maxseg size = rt mtu
	rule forward: meta iifname == $DN_BRIDGE; accept
	rule forward: meta oifname == $DN_BRIDGE; ct state in established,related; accept
	rule forward: meta oifname == $DN_BRIDGE; drop
	rule input: meta iifname == $DN_BRIDGE; udp dport == 53; accept
	rule input: meta iifname == $DN_BRIDGE; udp dport == 67; accept
	rule input: meta iifname == $DN_BRIDGE; udp dport == 5353; accept
	rule input: meta iifname == $DN_BRIDGE; tcp dport == 53; accept
	EOF
}

# expected_summary SUBNET...: the summary for a masquerading table.
expected_summary()
{
	local s
	echo "table inet defnet"
	echo "chain postrouting type nat hook postrouting prio 100 policy accept"
	expected_forward_input | head -n 2
	for s in "$@"; do
		echo "rule postrouting: ip saddr == $s; meta iifname == $DN_BRIDGE; meta oifname != $DN_BRIDGE; masquerade"
	done
	expected_forward_input | tail -n +3
}

# assert_summary WHAT EXPECTED
assert_summary()
{
	local got="$DN_DIR/summary.got" want="$DN_DIR/summary.want"
	nat_summary >"$got" || dn_fail "$1: cannot list table inet defnet"
	printf '%s\n' "$2" >"$want"
	diff -u "$want" "$got" >&2 || dn_fail "$1: the table differs (diff above)"
	dn_ok "$1"
}

other_table() { dn_h nft list table inet other; }

# assert_other_unchanged WHAT: table inet other lists as it did at first.
assert_other_unchanged()
{
	[ "$(other_table)" = "$other_before" ] ||
		{ other_table >&2; dn_fail "$1: table inet other changed"; }
	dn_ok "$1"
}
# shellcheck disable=SC2317 # called through dn_assert_not
has_defnet() { dn_h nft list table inet defnet >/dev/null 2>&1; }

# ------------------------------------------------------------------ setup

DN_SERVICES=0 dn_topology
dn_start_echo
ip -n "$DN_HOST" link add "$DN_BRIDGE" type bridge &&
	ip -n "$DN_HOST" addr add "$GW/20" dev "$DN_BRIDGE" &&
	ip -n "$DN_HOST" link set "$DN_BRIDGE" up || dn_fail "bridge $DN_BRIDGE"
dn_h sysctl -qw net.ipv4.ip_forward=1 || dn_fail "host ip_forward=1"
dn_guest g1
GUEST_NS=$DN_GUEST_NS
ip -n "$GUEST_NS" addr add "$GUEST_IP/20" dev eth0 &&
	ip -n "$GUEST_NS" route add default via "$GW" || dn_fail "guest address"
# The upstream can route to the guests: what a routed network needs, and
# what lets it try connections inward.
ip -n "$DN_UP" route add "$SUBNET" via "$DN_UP0_HOST" || dn_fail "upstream route"
dn_bg "$GUEST_NS" "$DN_DIR/guest-echo.out" socat \
	"TCP4-LISTEN:$GUEST_PORT,fork,reuseaddr" 'SYSTEM:echo guest'
dn_wait 5 dn_listening "$GUEST_NS" "$GUEST_PORT" || dn_fail "guest listener"

# Someone else's table, with a base chain at the same hook as ours.
dn_h nft -f - <<-'EOF' || dn_fail "cannot create table inet other"
table inet other {
	set blocked {
		type ipv4_addr
		elements = { 192.0.2.200 }
	}
	chain forward {
		type filter hook forward priority 10; policy accept;
		ip daddr @blocked drop
		tcp dport 9999 accept
	}
}
EOF
other_before=$(other_table)

inward()
{
	dn_in "$DN_UP" timeout 5 socat -T 2 - \
		"TCP4:$GUEST_IP:$GUEST_PORT,connect-timeout=2" </dev/null 2>/dev/null
}
dn_assert_eq "$(inward)" guest "before any table: the upstream reaches the guest"

# ------------------------------------------------------ refusals first

nat_probe apply defnet0toolongname "$SUBNET"
dn_assert_eq "$?" 2 "bridge name too long: exit 2"
dn_assert_grep "bad bridge name" "$DN_DIR/probe.err" "bridge name too long: says so"
nat_probe apply "$DN_BRIDGE" 172.20.48.1/20
dn_assert_eq "$?" 2 "host bits in the subnet: exit 2"
nat_probe apply "$DN_BRIDGE" "$SUBNET" "$SUBNET2" 10.10.0.0/24
dn_assert_eq "$?" 2 "three subnets: exit 2"
dn_assert_not "no table after refused arguments" has_defnet

if command -v setpriv >/dev/null; then
	dn_h setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		--bounding-set=-all "$NAT_PROBE" apply "$DN_BRIDGE" "$SUBNET" \
		2>"$DN_DIR/probe.err"
	dn_assert_eq "$?" 1 "without CAP_NET_ADMIN: exit 1"
	dn_assert_grep "^nat_probe: nftables: batch failed: Operation not permitted" \
		"$DN_DIR/probe.err" "without CAP_NET_ADMIN: the kernel's refusal, named"
	dn_assert_not "no table after the refusal" has_defnet
else
	dn_say "no setpriv: the unprivileged run is not checked"
fi

nat_probe apply "$DN_BRIDGE" "$SUBNET" --check
dn_assert_eq "$?" 0 "check run: accepted"
dn_assert_not "check run: the kernel kept nothing" has_defnet

# -------------------------------------------------------------- apply

nat_probe apply "$DN_BRIDGE" "$SUBNET"
dn_assert_eq "$?" 0 "apply: exit 0"
assert_summary "apply: exactly the chains and rules wanted" "$(expected_summary "$SUBNET")"
nat_json >"$DN_DIR/apply1.json" || dn_fail "nft -j list table inet defnet"
assert_other_unchanged "apply: table inet other unchanged"

nat_probe apply "$DN_BRIDGE" "$SUBNET"
dn_assert_eq "$?" 0 "apply again: exit 0"
nat_json >"$DN_DIR/apply2.json" || dn_fail "nft -j list table inet defnet"
dn_assert "apply again: the same ruleset (idempotent)" cmp -s "$DN_DIR/apply1.json" "$DN_DIR/apply2.json"
dn_assert_eq "$(dn_h nft list tables | sort | tr '\n' ' ')" \
	"table bridge defnet table inet defnet table inet other " \
	"apply again: our two tables (inet, and bridge for the guards), and theirs"

# The datapath: out through the uplink the routing table picks, as the host.
dn_assert_eq "$(dn_echo_from "$GUEST_NS")" "$DN_UP0_HOST" \
	"guest to upstream: masqueraded as the uplink's address"
dn_assert_eq "$(inward)" "" "upstream to guest: a new connection is dropped"

# The MSS clamp: with a small uplink MTU (a VPN's), the guest's SYN leaves
# with the MSS that the route allows (1280 - 40), not the bridge's 1460.
if command -v tcpdump >/dev/null; then
	ip -n "$DN_HOST" link set up0 mtu 1280 || dn_fail "up0 mtu 1280"
	dn_bg "$DN_UP" "$DN_DIR/syn.txt" timeout 10 tcpdump -l -nn -c 1 -i up0 \
		"tcp dst port $DN_ECHO_PORT and tcp[tcpflags] & tcp-syn != 0"
	syn_pid=$DN_BG_PID
	dn_wait 5 grep -q "listening on" "$DN_DIR/syn.txt" || dn_fail "tcpdump did not start"
	dn_echo_from "$GUEST_NS" >/dev/null
	dn_wait 5 grep -q "mss" "$DN_DIR/syn.txt"
	dn_kill "$syn_pid" 2
	dn_assert_grep "mss 1240," "$DN_DIR/syn.txt" "SYN through a 1280-byte uplink: MSS clamped to 1240"
	ip -n "$DN_HOST" link set up0 mtu 1500 || dn_fail "up0 mtu 1500"
else
	dn_say "no tcpdump: the MSS clamp on the wire is not checked"
fi

# A check run of another table leaves the applied one as it is.
nat_probe apply "$DN_BRIDGE" "$SUBNET" "$SUBNET2" --check
dn_assert_eq "$?" 0 "check run over an applied table: accepted"
assert_summary "check run: the applied table is unchanged" "$(expected_summary "$SUBNET")"

# Renumbering: old and new subnet side by side.
nat_probe apply "$DN_BRIDGE" "$SUBNET" "$SUBNET2"
dn_assert_eq "$?" 0 "two subnets: exit 0"
assert_summary "two subnets: two masquerade rules" "$(expected_summary "$SUBNET" "$SUBNET2")"

# [NAT] Masquerade=no: a routed network, no nat chain.
nat_probe apply "$DN_BRIDGE" "$SUBNET" --no-masquerade
dn_assert_eq "$?" 0 "no masquerade: exit 0"
assert_summary "no masquerade: no postrouting chain" \
	"$(echo "table inet defnet"; expected_forward_input)"
dn_assert_eq "$(dn_echo_from "$GUEST_NS")" "$GUEST_IP" \
	"no masquerade: the upstream sees the guest's own address"
dn_assert_eq "$(inward)" "" "no masquerade: new inbound connections still dropped"
assert_other_unchanged "table inet other still unchanged"

# ------------------------------------------------------------- remove

nat_probe remove
dn_assert_eq "$?" 0 "remove: exit 0"
dn_assert_not "remove: table inet defnet is gone" has_defnet
assert_other_unchanged "remove: table inet other unchanged"
dn_assert_eq "$(inward)" guest "remove: the upstream reaches the guest again"
nat_probe remove
dn_assert_eq "$?" 0 "remove when absent: exit 0"
assert_other_unchanged "remove when absent: table inet other unchanged"

dn_done
