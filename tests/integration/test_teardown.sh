#!/bin/bash
# defnetd --teardown, for uninstalling: it refuses while a daemon runs,
# then removes the bridge and the nftables table inet defnet, says so, and
# leaves alone what is not defnet's (other tables, a non-bridge link that
# has the bridge's name, the guests' own links). Running it twice is fine.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2119,SC2317
. "$(dirname "$0")/lib.sh"
DN_NEEDS="nft"
dn_find_binaries
DN_SERVICES=0 dn_topology

dn_has_table() { dn_h nft list table inet "$1" >/dev/null 2>&1; }
dn_has_link() { ip -n "$DN_HOST" link show dev "$1" >/dev/null 2>&1; }

dn_h nft add table inet bystander || dn_fail "cannot add a bystander nftables table"
dn_start_defnetd
dn_guest vm1
dn_assert "the bridge is there" dn_has_link "$DN_BRIDGE"
dn_assert "table inet defnet is there" dn_has_table defnet

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
dn_assert "another table is left alone" dn_has_table bystander
port=$(dn_guest_port vm1)
dn_assert "the guest's port is left, released" dn_has_link "$port"
dn_assert_eq "$(ip -n "$DN_HOST" -o link show dev "$port" | grep -c ' master ')" 0 \
	"the guest's port has no master"

dn_defnetd_once --config "$DN_CONF" --teardown
rc=$?
dn_assert_eq "$rc" 0 "--teardown again: exit 0"
dn_assert_grep "^bridge $DN_BRIDGE: not there$" "$DN_ONCE_ERR" "--teardown again: the bridge is not there"

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
