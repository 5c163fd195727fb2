#!/bin/bash
# Self-healing: what other software breaks of defnet's own is put back.
#   - `nft flush ruleset` in the host namespace: the table inet defnet is
#     back within a second, a guest reaches the upstream, and the log says
#     what was restored;
#   - a flush loop (every 50 ms for 3 s) does not make defnetd spin (its
#     CPU time stays small) or flood the log (repairs are rationed), and the
#     table is back once the loop stops;
#   - the gateway address deleted from the bridge: back within a second;
#   - the bridge deleted: back with the same MAC, up, with its address;
#     a new guest leases and reaches the upstream, and the leases of
#     before are kept.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015,SC2317 # functions run by dn_wait
DN_NEEDS=${DN_NEEDS:-"nft socat"}
. "$(dirname "$0")/lib.sh"
dn_find_binaries
dn_topology
dn_start_defnetd

st="$DN_DIR/status.json"
dn_status_json "$st"
SUBNET=$(dn_json "$st" 'd["subnet"]')
GW=$(dn_json "$st" 'd["gateway"]')
dn_static_guest g1 "$SUBNET" "$GW" 10
G1=$DN_GUEST_NS

table_present() { dn_h nft list table inet defnet >/dev/null 2>&1; }
log_count() { grep -c -- "$1" "$DN_LOG"; }
# CPU time (user + system, clock ticks) of the daemon so far.
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$DN_DAEMON_PID/stat"; }

dn_assert_eq "$(dn_echo_from "$G1")" "$DN_UP0_HOST" "the guest reaches the upstream"
dn_guest vm1
dn_assert "vm1 gets a lease" dn_dhcp_guest vm1 vm1
VM1_IP=$(dn_lease_value vm1 new_ip_address)
dn_assert_ne "$VM1_IP" "" "vm1's address"

# ------------------------------------------------------- one flush
dn_h nft flush ruleset || dn_fail "nft flush ruleset"
dn_assert_wait 1 "flush: table inet defnet back within 1 s" table_present
dn_assert_eq "$(dn_echo_from "$G1")" "$DN_UP0_HOST" "flush: the guest reaches the upstream again"
dn_assert_wait 2 "log: the removal and the repair" \
	grep -q "table inet defnet was removed by another program" "$DN_LOG"
dn_assert_grep "restored table inet defnet \\(chains postrouting, forward, input\\)" "$DN_LOG" \
	"log: what was restored"

# Someone else's rule in our table is a change too.
dn_h nft add rule inet defnet forward drop || dn_fail "add a rule to inet defnet"
dn_assert_wait 1 "a foreign rule in our table: repaired" \
	grep -q "table inet defnet was changed by another program" "$DN_LOG"
dn_assert_wait 1 "the foreign rule is gone" \
	sh -c "! ip netns exec $DN_HOST nft list chain inet defnet forward | grep -qx '[[:space:]]*drop'"

# Our own batches do not trigger a repair: nothing more after a quiet spell.
restored=$(log_count "restored table inet defnet")
sleep 1
dn_assert_eq "$(log_count "restored table inet defnet")" "$restored" "no repair loop on our own batch"

# The guest guards' table is ours too.
bridge_table_present() { dn_h nft list table bridge defnet >/dev/null 2>&1; }
dn_assert "the guards' table bridge defnet is in place" bridge_table_present
dn_h nft delete table bridge defnet || dn_fail "delete table bridge defnet"
dn_assert_wait 1 "table bridge defnet deleted: back within 1 s" bridge_table_present
dn_assert_grep "table bridge defnet \(the guest guards\) was removed by another program" \
	"$DN_LOG" "log: the guards' table restored"

# ------------------------------------------------------- a flush loop
before=$(cpu_ticks)
restored=$(log_count "restored table inet defnet")
# shellcheck disable=SC2016 # expanded by the inner shell
dn_bg "$DN_HOST" "$DN_DIR/flush.out" sh -c \
	'i=0; while [ $i -lt 60 ]; do nft flush ruleset; sleep 0.05; i=$((i + 1)); done'
FLUSH_PID=$DN_BG_PID
dn_wait 10 sh -c "! kill -0 $FLUSH_PID" || dn_fail "the flush loop did not end"
after=$(cpu_ticks)
spent=$((after - before))
dn_say "defnetd spent $spent ticks during the flush loop; $(( $(log_count "restored table inet defnet") - restored )) repairs"
dn_assert "flush loop: defnetd used under 1 s of CPU in 3 s ($spent ticks)" [ "$spent" -lt 100 ]
dn_assert "flush loop: repairs are rationed" \
	[ $(( $(log_count "restored table inet defnet") - restored )) -le 8 ]
dn_assert_grep "something keeps removing table inet defnet" "$DN_LOG" "flush loop: said once"
dn_assert "flush loop: not flooding the log" [ "$(log_count "something keeps removing")" -le 2 ]
dn_assert_wait 4 "after the loop: the table is back" table_present
dn_assert_eq "$(dn_echo_from "$G1")" "$DN_UP0_HOST" "after the loop: the guest reaches the upstream"

# ------------------------------------------------ the gateway address
LEN=${SUBNET#*/}
MAC=$(dn_h cat "/sys/class/net/$DN_BRIDGE/address")
gw_present() { dn_h ip -4 -o addr show dev "$DN_BRIDGE" | grep -q "inet $GW/$LEN "; }
# gw_mac_in NS MAC: NS's neighbour entry for the gateway holds MAC.
gw_mac_in() { ip -n "$1" neigh show "$GW" dev eth0 | grep -q "lladdr $2 "; }
# A wrong entry for the gateway in the guest, older than the kernel's
# locktime (1 s), as a guest keeps after talking to another MAC.
dn_in "$G1" ip neigh replace "$GW" lladdr 02:00:5e:00:00:99 dev eth0 nud reachable ||
	dn_fail "a wrong neighbour entry in g1"
sleep 1.2
dn_h ip addr del "$GW/$LEN" dev "$DN_BRIDGE" || dn_fail "delete the gateway address"
dn_assert_wait 1 "gateway address deleted: back within 1 s" gw_present
dn_assert_wait 1 "gratuitous ARP: g1 has the gateway's MAC again" gw_mac_in "$G1" "$MAC"
dn_assert_grep "the gateway address $GW/$LEN was missing from $DN_BRIDGE: restored" "$DN_LOG" \
	"log: the gateway address restored"
dn_assert_eq "$(dn_echo_from "$G1")" "$DN_UP0_HOST" "address back: the guest reaches the upstream"

# ------------------------------------------------------ the bridge
dn_status_json "$DN_DIR/status6.json"
GW6=$(dn_json "$DN_DIR/status6.json" 'd["ipv6"]["gateway"]')
gw6_present() { dn_h ip -6 -o addr show dev "$DN_BRIDGE" | grep -q " $GW6/64 "; }
dn_h ip link del "$DN_BRIDGE" || dn_fail "delete the bridge"
dn_assert_wait 2 "bridge deleted: back with its gateway address" gw_present
dn_assert_eq "$(dn_h cat "/sys/class/net/$DN_BRIDGE/address")" "$MAC" "the recreated bridge keeps its MAC"
dn_assert "the recreated bridge is up" \
	sh -c "ip -n $DN_HOST -o link show $DN_BRIDGE | grep -q '<.*UP.*>'"
dn_assert_wait 2 "log: the bridge recreated" \
	grep -q "bridge $DN_BRIDGE was deleted by another program: recreated" "$DN_LOG"
dn_assert_wait 2 "... with its IPv6 gateway address $GW6 too" gw6_present
ra_restarted() { [ "$(grep -c "ra: advertising on " "$DN_LOG")" -ge 2 ]; }
dn_assert_wait 2 "... and router advertisements on it again" ra_restarted
dn_guest g2
G2=$DN_GUEST_NS
dn_assert "a new guest gets a lease on the recreated bridge" dn_dhcp_guest g2 g2
dn_assert_eq "$(dn_echo_from "$G2")" "$DN_UP0_HOST" "the new guest reaches the upstream"
dn_assert "vm1's lease is kept" sh -c "timeout 10 ip netns exec $DN_HOST $DEFNETCTL \
	--socket $DN_RUNTIME/control leases | grep -q '$VM1_IP'"
dn_assert_wait 2 "the nftables table is still there" table_present

dn_stop_defnetd || dn_fail "defnetd exited with $DN_DAEMON_RC"

# ------------------------------------------- an adopted bridge's new MAC
# The bridge had another MAC while defnetd was away and g2 learnt it;
# defnetd adopts the bridge, sets its MAC and announces it.
dn_h ip link set "$DN_BRIDGE" address 02:00:5e:00:00:98 || dn_fail "set another MAC"
dn_in "$G2" ip neigh replace "$GW" lladdr 02:00:5e:00:00:98 dev eth0 nud reachable ||
	dn_fail "g2's entry for the other MAC"
sleep 1.2
dn_start_defnetd
dn_assert_wait 1 "adopted bridge: g2 has the gateway's MAC at once" gw_mac_in "$G2" "$MAC"
dn_stop_defnetd || dn_fail "defnetd exited with $DN_DAEMON_RC"
dn_done
