#!/bin/bash
# The daemon's table and the host's firewalls. `nft -j list table inet
# defnet` holds exactly the expected rules; a table the test made before
# the daemon started is unchanged after it. An iptables-nft FORWARD policy
# of DROP is detected, reported in the log and in `defnetctl status` with
# the exact fix, and the fix works. With Docker's DOCKER-USER chain,
# DockerCompat=yes adds the two accept rules there (readable by iptables),
# and adds them again when the chain is made anew. iptables-legacy is
# reported with the command to run instead, when this kernel has it.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015
DN_NEEDS=${DN_NEEDS:-"nft iptables socat dig dnsmasq"}
. "$(dirname "$0")/lib.sh"
dn_find_binaries
dn_topology
iptables --version | grep -q nf_tables || dn_skip "iptables is not iptables-nft"

# Someone else's table, made before the daemon starts.
dn_h nft -f - <<-'EOF' || dn_fail "cannot create table inet other"
table inet other {
	chain forward {
		type filter hook forward priority 10; policy accept;
		tcp dport 9999 counter accept
	}
}
EOF
other_before=$(dn_h nft list table inet other)

dn_start_defnetd
st="$DN_DIR/status.json"
dn_status_json "$st"
SUBNET=$(dn_json "$st" 'd["subnet"]')
GW=$(dn_json "$st" 'd["gateway"]')
P6=$(dn_json "$st" 'd["ipv6"]["prefix"]')
dn_assert_eq "$(dn_json "$st" 'd["firewall"]')" "[]" "status: no firewall problem at first"

# --------------------------------------------------- the table, exactly
# One line per rule: the chain and the expressions, handles left out.
rules()
{
	dn_h nft -j list table inet defnet | dn_py -c '
import json, sys
for o in json.load(sys.stdin)["nftables"]:
    if "chain" in o:
        c = o["chain"]
        print("chain", c["name"], c.get("type"), c.get("hook"), c.get("prio"), c.get("policy"))
    elif "rule" in o:
        print("rule", o["rule"]["chain"], json.dumps(o["rule"]["expr"], sort_keys=True))'
}
rules >"$DN_DIR/rules.got" || dn_fail "cannot list table inet defnet"
B=$DN_BRIDGE
S_ADDR=${SUBNET%/*}
S_LEN=${SUBNET#*/}
cat >"$DN_DIR/rules.want" <<EOF
chain postrouting nat postrouting 100 accept
chain forward filter forward 0 accept
chain input filter input 0 accept
rule postrouting [{"match": {"left": {"payload": {"field": "saddr", "protocol": "ip"}}, "op": "==", "right": {"prefix": {"addr": "$S_ADDR", "len": $S_LEN}}}}, {"match": {"left": {"meta": {"key": "iifname"}}, "op": "==", "right": "$B"}}, {"match": {"left": {"meta": {"key": "oifname"}}, "op": "!=", "right": "$B"}}, {"masquerade": null}]
rule postrouting [{"match": {"left": {"payload": {"field": "saddr", "protocol": "ip6"}}, "op": "==", "right": {"prefix": {"addr": "${P6%/*}", "len": 64}}}}, {"match": {"left": {"meta": {"key": "iifname"}}, "op": "==", "right": "$B"}}, {"match": {"left": {"meta": {"key": "oifname"}}, "op": "!=", "right": "$B"}}, {"masquerade": null}]
rule forward [{"match": {"left": {"meta": {"key": "iifname"}}, "op": "==", "right": "$B"}}, {"match": {"left": {"&": [{"payload": {"field": "flags", "protocol": "tcp"}}, ["syn", "rst"]]}, "op": "==", "right": "syn"}}, {"mangle": {"key": {"tcp option": {"field": "size", "name": "maxseg"}}, "value": {"rt": {"key": "mtu"}}}}]
rule forward [{"match": {"left": {"meta": {"key": "oifname"}}, "op": "==", "right": "$B"}}, {"match": {"left": {"&": [{"payload": {"field": "flags", "protocol": "tcp"}}, ["syn", "rst"]]}, "op": "==", "right": "syn"}}, {"mangle": {"key": {"tcp option": {"field": "size", "name": "maxseg"}}, "value": {"rt": {"key": "mtu"}}}}]
rule forward [{"match": {"left": {"meta": {"key": "iifname"}}, "op": "==", "right": "$B"}}, {"accept": null}]
rule forward [{"match": {"left": {"meta": {"key": "oifname"}}, "op": "==", "right": "$B"}}, {"match": {"left": {"ct": {"key": "state"}}, "op": "in", "right": ["established", "related"]}}, {"accept": null}]
rule forward [{"match": {"left": {"meta": {"key": "oifname"}}, "op": "==", "right": "$B"}}, {"drop": null}]
rule input [{"match": {"left": {"meta": {"key": "iifname"}}, "op": "==", "right": "$B"}}, {"match": {"left": {"payload": {"field": "dport", "protocol": "udp"}}, "op": "==", "right": 53}}, {"accept": null}]
rule input [{"match": {"left": {"meta": {"key": "iifname"}}, "op": "==", "right": "$B"}}, {"match": {"left": {"payload": {"field": "dport", "protocol": "udp"}}, "op": "==", "right": 67}}, {"accept": null}]
rule input [{"match": {"left": {"meta": {"key": "iifname"}}, "op": "==", "right": "$B"}}, {"match": {"left": {"payload": {"field": "dport", "protocol": "udp"}}, "op": "==", "right": 5353}}, {"accept": null}]
rule input [{"match": {"left": {"meta": {"key": "iifname"}}, "op": "==", "right": "$B"}}, {"match": {"left": {"payload": {"field": "dport", "protocol": "tcp"}}, "op": "==", "right": 53}}, {"accept": null}]
EOF
diff -u "$DN_DIR/rules.want" "$DN_DIR/rules.got" >&2 || dn_fail "table inet defnet differs (diff above)"
dn_ok "nft -j list table inet defnet: exactly the expected chains and rules"
[ "$(dn_h nft list table inet other)" = "$other_before" ] || dn_fail "table inet other changed"
dn_ok "the table made before the daemon is unchanged"

dn_static_guest g1 "$SUBNET" "$GW" 10
G1=$DN_GUEST_NS
dn_assert_eq "$(dn_echo_from "$G1")" "$DN_UP0_HOST" "the guest reaches the upstream"

# firewall_kinds: the "kind" of each reported problem, space-separated.
firewall_kinds()
{
	dn_ctl status --json >"$st" 2>/dev/null &&
		dn_json "$st" '" ".join(p["kind"] for p in d["firewall"])'
}
kinds_are() { [ "$(firewall_kinds)" = "$1" ]; }

# ------------------------------------------ iptables-nft FORWARD DROP
dn_h iptables -P FORWARD DROP || dn_fail "iptables -P FORWARD DROP"
dn_assert_wait 5 "status reports iptables' FORWARD drop" kinds_are iptables
dn_assert_wait 5 "the log reports it" grep -q "firewall: iptables' FORWARD policy is DROP" "$DN_LOG"
fix=$(dn_json "$st" 'd["firewall"][0]["fix"]')
dn_assert_eq "$fix" "iptables -I FORWARD -i $B -j ACCEPT && iptables -I FORWARD -o $B -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT" \
	"status: the exact fix"
dn_ctl status >"$DN_DIR/status.txt" || dn_fail "status (text)"
dn_assert_grep "^firewall: +iptables' FORWARD policy is DROP" "$DN_DIR/status.txt" "text status: the problem"
dn_assert_grep "fix: iptables -I FORWARD -i $B -j ACCEPT" "$DN_DIR/status.txt" "text status: the fix"
dn_assert_not "the drop kills guest traffic" dn_echo_from "$G1"
dn_h sh -c "$fix" || dn_fail "the fix failed: $fix"
dn_assert_wait 5 "after the fix: nothing reported" kinds_are ""
dn_assert_grep "firewall: resolved: iptables' FORWARD policy is DROP" "$DN_LOG" "log: resolved"
dn_assert_eq "$(dn_echo_from "$G1")" "$DN_UP0_HOST" "after the fix: the guest reaches the upstream"

# ------------------------------------------------------------- Docker
# What dockerd sets up: DOCKER-USER first in FORWARD, ending in RETURN.
docker_like()
{
	dn_h iptables -N DOCKER-USER &&
		dn_h iptables -A DOCKER-USER -j RETURN &&
		dn_h iptables -I FORWARD -j DOCKER-USER
}
dn_h iptables -F FORWARD && docker_like || dn_fail "Docker's chains"
dn_assert_wait 5 "status reports Docker's FORWARD drop" kinds_are docker
dn_assert_grep "DockerCompat=yes" "$st" "status: the fix is DockerCompat=yes"
dn_assert_not "Docker's drop kills guest traffic" dn_echo_from "$G1"

{ dn_default_config; printf '[NAT]\nDockerCompat=yes\n'; } | dn_config
dn_ctl reload || dn_fail "reload with DockerCompat=yes"
dn_assert_wait 5 "DockerCompat: nothing reported" kinds_are ""
dn_h iptables -S DOCKER-USER >"$DN_DIR/docker-user.txt" 2>&1 ||
	{ cat "$DN_DIR/docker-user.txt" >&2; dn_fail "iptables cannot read DOCKER-USER"; }
cat >"$DN_DIR/docker-user.want" <<EOF
-N DOCKER-USER
-A DOCKER-USER -i $B -j ACCEPT
-A DOCKER-USER -o $B -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A DOCKER-USER -j RETURN
EOF
diff -u "$DN_DIR/docker-user.want" "$DN_DIR/docker-user.txt" >&2 ||
	dn_fail "DOCKER-USER is not as expected (diff above)"
dn_ok "iptables -S DOCKER-USER: our two rules first, Docker's RETURN last"
dn_assert_eq "$(dn_echo_from "$G1")" "$DN_UP0_HOST" "DockerCompat: the guest reaches the upstream"
[ "$(dn_h iptables -S FORWARD)" = "$(printf -- '-P FORWARD DROP\n-A FORWARD -j DOCKER-USER')" ] ||
	dn_fail "FORWARD changed: $(dn_h iptables -S FORWARD)"
dn_ok "only DOCKER-USER was written"

# Docker restarted: the chain is made anew, without our rules. It goes in
# one transaction: step by step, the daemon would put its rules back into
# the flushed chain before -X, which then fails with EBUSY.
dn_h iptables-restore --noflush <<-'EOF' && docker_like || dn_fail "DOCKER-USER anew"
*filter
-D FORWARD -j DOCKER-USER
-F DOCKER-USER
-X DOCKER-USER
COMMIT
EOF
dn_assert_wait 5 "the rules come back when DOCKER-USER is made anew" \
	sh -c "ip netns exec '$DN_HOST' iptables -S DOCKER-USER | grep -qx -- '-A DOCKER-USER -i $B -j ACCEPT'"
dn_assert_eq "$(dn_echo_from "$G1")" "$DN_UP0_HOST" "and the guest reaches the upstream"
[ "$(dn_h nft list table inet other)" = "$other_before" ] || dn_fail "table inet other changed"
dn_ok "the table made before the daemon is still unchanged"

# ---------------------------------------------------- a hand-written table
dn_h nft add table inet mine &&
	dn_h nft add chain inet mine guard '{ type filter hook forward priority 5; policy drop; }' ||
	dn_fail "table inet mine"
dn_assert_wait 5 "status reports the hand-written forward drop" kinds_are nftables
fix=$(dn_json "$st" 'd["firewall"][0]["fix"]')
dn_h sh -c "$fix" || dn_fail "the fix failed: $fix"
dn_assert_wait 5 "after its fix: nothing reported" kinds_are ""
dn_assert_eq "$(dn_echo_from "$G1")" "$DN_UP0_HOST" "after its fix: the guest reaches the upstream"

# ------------------------------------------------------- the IPv6 side
# Guests have IPv6 (the default): a drop there counts as much.
dn_h ip6tables -P FORWARD DROP || dn_fail "ip6tables -P FORWARD DROP"
dn_assert_wait 5 "status reports ip6tables' FORWARD drop" kinds_are iptables
dn_assert_grep "firewall: ip6tables' FORWARD policy is DROP" "$DN_LOG" "the log reports it"
fix=$(dn_json "$st" 'd["firewall"][0]["fix"]')
dn_assert_eq "$fix" "ip6tables -I FORWARD -i $B -j ACCEPT && ip6tables -I FORWARD -o $B -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT" \
	"the fix is the two ip6tables rules"
dn_h sh -c "$fix" || dn_fail "the fix failed: $fix"
dn_assert_wait 5 "after the fix: nothing reported" kinds_are ""
dn_h nft add table ip6 mine6 &&
	dn_h nft add chain ip6 mine6 guard '{ type filter hook forward priority 5; policy drop; }' ||
	dn_fail "table ip6 mine6"
dn_assert_wait 5 "status reports a hand-written ip6 forward drop" kinds_are nftables
dn_assert_grep "nft insert rule ip6 mine6 guard iifname" "$st" "its fix names the ip6 table"
dn_h nft delete table ip6 mine6 || dn_fail "nft delete table ip6 mine6"
dn_assert_wait 5 "the table gone: nothing reported" kinds_are ""

# ------------------------------------------------------ iptables-legacy
if command -v iptables-legacy >/dev/null && dn_h iptables-legacy -P FORWARD ACCEPT 2>/dev/null &&
	dn_h grep -qx filter /proc/net/ip_tables_names 2>/dev/null; then
	dn_ctl reload || dn_fail "reload"
	dn_assert_wait 5 "status reports iptables-legacy" kinds_are iptables-legacy
	dn_assert_grep "iptables-legacy -I FORWARD -i $B -j ACCEPT" "$st" "the fix uses iptables-legacy"
else
	dn_say "iptables-legacy cannot run here: its report is not checked"
fi

dn_stop_defnetd
dn_assert_eq "$DN_DAEMON_RC" 0 "SIGTERM: exit 0"
dn_done
