#!/bin/bash
# defnetd --teardown, for uninstalling: it refuses while a daemon runs,
# then removes the bridge, the nftables tables inet defnet and bridge defnet
# (the guards) and the two rules
# DockerCompat=yes added to iptables' DOCKER-USER chain, says so, and
# leaves alone what is not defnet's (other tables, other DOCKER-USER rules,
# even ones much like ours, a non-bridge link that has the bridge's name,
# the guests' own links). Running it twice is fine.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2119,SC2317
. "$(dirname "$0")/lib.sh"
DN_NEEDS="nft"
dn_find_binaries
DN_SERVICES=0 dn_topology

dn_has_table() { dn_h nft list table inet "$1" >/dev/null 2>&1; }
dn_has_link() { ip -n "$DN_HOST" link show dev "$1" >/dev/null 2>&1; }

dn_h nft add table inet bystander || dn_fail "cannot add a bystander nftables table"
# Docker's DOCKER-USER chain (iptables-nft); once DockerCompat=yes added
# its rules, the admin adds rules of their own, some close to ours.
B=$DN_BRIDGE
DOCKER_THEIRS="-A DOCKER-USER -i $B -p tcp -j ACCEPT
-A DOCKER-USER -i other0 -j ACCEPT
-A DOCKER-USER -o $B -m conntrack --ctstate ESTABLISHED -j ACCEPT
-A DOCKER-USER -o $B -j ACCEPT
-A DOCKER-USER -j RETURN"
docker_user() { dn_h iptables -S DOCKER-USER 2>&1 | grep -v '^-N '; }
DOCKER=0
if command -v iptables >/dev/null && iptables --version | grep -q nf_tables; then
	DOCKER=1
	dn_h iptables -N DOCKER-USER && dn_h iptables -A DOCKER-USER -j RETURN &&
		dn_h iptables -I FORWARD -j DOCKER-USER || dn_fail "Docker's chain"
	{ dn_default_config; printf '[NAT]\nDockerCompat=yes\n'; } | dn_config
else
	dn_say "iptables is not iptables-nft here: DOCKER-USER is not checked"
fi
dn_start_defnetd
if [ "$DOCKER" = 1 ]; then
	dn_assert_wait 5 "DockerCompat added its two rules to DOCKER-USER" \
		sh -c "[ \$(ip netns exec '$DN_HOST' iptables -S DOCKER-USER | wc -l) = 4 ]"
	n=3
	while read -r rule; do
		[ "$rule" = "-A DOCKER-USER -j RETURN" ] && break
		# shellcheck disable=SC2086 # one iptables rule, word-split
		dn_h iptables -I DOCKER-USER "$n" ${rule#-A DOCKER-USER } || dn_fail "iptables $rule"
		n=$((n + 1))
	done <<<"$DOCKER_THEIRS"
	dn_assert_eq "$(docker_user)" "-A DOCKER-USER -i $B -j ACCEPT
-A DOCKER-USER -o $B -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
$DOCKER_THEIRS" "DOCKER-USER: DockerCompat's rules first, then the admin's"
fi
dn_guest vm1
dn_assert "the bridge is there" dn_has_link "$DN_BRIDGE"
dn_assert "table inet defnet is there" dn_has_table defnet
dn_assert "table bridge defnet (the guards) is there" dn_h nft list table bridge defnet

dn_defnetd_once --config "$DN_CONF" --teardown
rc=$?
dn_assert_eq "$rc" 1 "--teardown while the daemon runs: exit 1"
dn_assert_grep "running.*stop it first" "$DN_ONCE_ERR" "--teardown while running: says why"
dn_assert "... and the bridge stays" dn_has_link "$DN_BRIDGE"
dn_assert "... and the table stays" dn_has_table defnet

dn_stop_defnetd || dn_fail "stop: exit $DN_DAEMON_RC"
dn_defnetd_once --config "$DN_CONF" --teardown
rc=$?
[ "$rc" = 0 ] || { cat "$DN_ONCE_ERR" >&2; dn_fail "--teardown: exit $rc"; }
dn_ok "--teardown: exit 0"
dn_assert_grep "^bridge $DN_BRIDGE: removed$" "$DN_ONCE_ERR" "--teardown says the bridge is removed"
dn_assert_grep "^nftables table inet defnet: removed" "$DN_ONCE_ERR" "--teardown says the table is removed"
dn_assert_not "the bridge is gone" dn_has_link "$DN_BRIDGE"
dn_assert_not "table inet defnet is gone" dn_has_table defnet
dn_assert_grep "^nftables table bridge defnet: removed" "$DN_ONCE_ERR" "--teardown says the bridge table is removed"
dn_assert_not "table bridge defnet is gone" dn_h nft list table bridge defnet
dn_assert "another table is left alone" dn_has_table bystander
if [ "$DOCKER" = 1 ]; then
	dn_assert_grep "^iptables DOCKER-USER: 2 rules for $B removed$" "$DN_ONCE_ERR" \
		"--teardown says DockerCompat's rules are removed"
	dn_assert_eq "$(docker_user)" "$DOCKER_THEIRS" "DOCKER-USER keeps every other rule"
fi
port=$(dn_guest_port vm1)
dn_assert "the guest's port is left, released" dn_has_link "$port"
dn_assert_eq "$(ip -n "$DN_HOST" -o link show dev "$port" | grep -c ' master ')" 0 \
	"the guest's port has no master"

dn_defnetd_once --config "$DN_CONF" --teardown
rc=$?
dn_assert_eq "$rc" 0 "--teardown again: exit 0"
dn_assert_grep "^bridge $DN_BRIDGE: not there$" "$DN_ONCE_ERR" "--teardown again: the bridge is not there"
if [ "$DOCKER" = 1 ]; then
	dn_assert_grep "^iptables DOCKER-USER: no rule of ours there$" "$DN_ONCE_ERR" \
		"--teardown again: no DockerCompat rule left"
	dn_assert_eq "$(docker_user)" "$DOCKER_THEIRS" "... and DOCKER-USER is unchanged"
fi

# A link with the bridge's name that is not a bridge is someone else's.
ip -n "$DN_HOST" link add "$DN_BRIDGE" type veth peer name dn-peer0 ||
	dn_fail "cannot make a veth named $DN_BRIDGE"
dn_defnetd_once --config "$DN_CONF" --teardown
rc=$?
dn_assert_eq "$rc" 0 "--teardown with a non-bridge $DN_BRIDGE: exit 0"
dn_assert_grep "^bridge $DN_BRIDGE: is not a bridge" "$DN_ONCE_ERR" "... says it is not a bridge"
dn_assert "... and leaves it" dn_has_link "$DN_BRIDGE"

# A bad configuration is refused like any other run: exit 2, nothing done.
printf '[Network]\nBridge=\n[Nope]\n' >"$DN_DIR/bad.conf"
dn_defnetd_once --config "$DN_DIR/bad.conf" --teardown
rc=$?
dn_assert_eq "$rc" 2 "--teardown with a bad configuration: exit 2"
dn_assert "... and the link is still there" dn_has_link "$DN_BRIDGE"

dn_done
