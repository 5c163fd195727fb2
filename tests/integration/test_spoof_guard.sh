#!/bin/bash
# Spoof protection (issue 17), [Guard] SpoofProtection=yes: a guest that
# sends from another guest's IPv4 address or MAC reaches nothing (forged
# UDP to the gateway and to an upstream listener is not received, a forged
# ARP reply does not move the host's neighbour entry) while its own
# address works, and the drops are counted (status) and reported once per
# interval with the port and MAC they came from (journal, nflog). A restart
# keeps the guests working (their ports are learned again from the
# bridge). With no (the default) nothing is filtered. And the DHCPv6 guard:
# a DHCPv6 Advertise from a guest port (source port 547) reaches no other
# guest and is counted.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015,SC2119,SC2317
DN_NEEDS="dhclient nft socat tcpdump"
. "$(dirname "$0")/lib.sh"
dn_find_binaries
dn_topology
SUBNET=172.20.48.0/20
GW=172.20.48.1
PORT=9999
spoof() {
	cat <<-EOF
	[Network]
	Subnet=$SUBNET
	[Guard]
	SpoofProtection=$1
	EOF
}
spoof yes >>"$DN_CONF"
dn_start_defnetd

counter() { dn_h nft list counter bridge defnet "$1" 2>/dev/null | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
mac_of() { dn_in "$1" cat /sys/class/net/eth0/address; }
dn_assert "the spoof counter is in place" dn_h nft list counter bridge defnet spoof
dn_assert "the spoof4 set is in place" dn_h nft list set bridge defnet spoof4

dn_guest a
ANS=$DN_GUEST_NS
dn_guest b
BNS=$DN_GUEST_NS
dn_assert "a gets a lease" dn_dhcp_guest a
dn_assert "b gets a lease" dn_dhcp_guest b
A_IP=$(dn_lease_value a new_ip_address)
B_IP=$(dn_lease_value b new_ip_address)
A_MAC=$(mac_of "$ANS")
B_MAC=$(mac_of "$BNS")
GW_MAC=$(dn_h cat "/sys/class/net/$DN_BRIDGE/address")
dn_assert "both leases bound in spoof4" sh -c \
	"ip netns exec $DN_HOST nft list set bridge defnet spoof4 | grep -q '$A_IP' &&
	 ip netns exec $DN_HOST nft list set bridge defnet spoof4 | grep -q '$B_IP'"

# Listeners: on the gateway (host) and upstream.
dn_bg "$DN_HOST" "$DN_DIR/gw-udp.out" socat -u "UDP4-RECV:$PORT" STDOUT
dn_bg "$DN_UP" "$DN_DIR/up-udp.out" socat -u "UDP4-RECV:$PORT" STDOUT
sleep 0.5
send_udp() { # NS SRC_MAC SRC_IP DST_IP MARKER
	dn_in "$1" "$DN_PYTHON" "$DN_LIB_DIR/spoof_send.py" udp eth0 "$2" "$3" "$GW_MAC" "$4" \
		"$PORT" "$5" 3 >/dev/null || dn_fail "spoof_send.py udp $5"
}
received() { grep -q "$1" "$DN_DIR/gw-udp.out" "$DN_DIR/up-udp.out"; }
got_gw() { grep -q "$1" "$DN_DIR/gw-udp.out"; }
got_up() { grep -q "$1" "$DN_DIR/up-udp.out"; }

# Its own MAC and address: works, to the gateway and upstream.
dn_assert "a reaches the upstream echo service" test -n "$(dn_echo_from "$ANS")"
send_udp "$ANS" "$A_MAC" "$A_IP" "$GW" own-gw
send_udp "$ANS" "$A_MAC" "$A_IP" "$DN_INTERNET" own-up
dn_assert_wait 3 "a's own datagram reaches the gateway" got_gw own-gw
dn_assert_wait 3 "a's own datagram reaches upstream" got_up own-up

# b's address, b's MAC, or both, from a's port: nothing arrives.
before=$(counter spoof)
for dst in "$GW" "$DN_INTERNET"; do
	send_udp "$ANS" "$A_MAC" "$B_IP" "$dst" "ip-spoof"
	send_udp "$ANS" "$B_MAC" "$A_IP" "$dst" "mac-spoof"
	send_udp "$ANS" "$B_MAC" "$B_IP" "$dst" "both-spoof"
	send_udp "$ANS" "02:66:00:00:00:01" "172.20.50.50" "$dst" "unleased-spoof"
done
sleep 1
for m in ip-spoof mac-spoof both-spoof unleased-spoof; do
	dn_assert_not "$m: nothing reaches the gateway or upstream" received "$m"
done
n=$(counter spoof)
dn_assert "the forged frames are counted ($before -> $n)" test "$((n - before))" -ge 24

# ARP: "b's address is at a's MAC", to the gateway, from a's port.
b_at() { dn_h ip neigh show "$B_IP" dev "$DN_BRIDGE" | grep -q "lladdr $1"; }
echo x | dn_h socat -u - "UDP4-SENDTO:$B_IP:9" || dn_fail "the host cannot send to b"
dn_wait 3 b_at "$B_MAC" || dn_fail "the host did not resolve b's MAC"
sleep 1.2  # past the neighbour entry's locktime
before=$(counter spoof)
dn_in "$ANS" "$DN_PYTHON" "$DN_LIB_DIR/spoof_send.py" arp eth0 "$A_MAC" "$A_MAC" "$B_IP" \
	"$GW_MAC" "$GW" 3 >/dev/null || dn_fail "spoof_send.py arp"
sleep 0.5
dn_assert "the host still has b's address at b's MAC" b_at "$B_MAC"
n=$(counter spoof)
dn_assert "the forged ARP replies are counted ($before -> $n)" test "$((n - before))" -ge 3
dn_assert "b still reaches upstream" test -n "$(dn_echo_from "$BNS")"

# Status and the journal.
st="$DN_DIR/status.json"
dn_status_json "$st"
dn_assert_eq "$(dn_json "$st" 'd["guards"]["spoof_protection"]')" true "status --json: spoof protection on"
dn_assert "status --json: the spoof drops are counted" \
	test "$(dn_json "$st" 'd["guards"]["dropped"]["spoof"]')" -ge 27
dn_ctl status >"$DN_DIR/status.txt" || dn_fail "status"
dn_assert_grep "^guards: .*spoof protection on" "$DN_DIR/status.txt" "status (text) shows it"
dn_assert_wait 12 "the journal reports the drops once per interval, with a's port and MAC" \
	grep -q "guards: [0-9]* frames\{0,1\} from a MAC or address not leased to its port.*sampled: .*port v-a ($A_MAC) [0-9]" "$DN_LOG"

# A restart: the leases' ports are learned again from the bridge.
dn_stop_defnetd || dn_fail "defnetd exited with $DN_DAEMON_RC"
dn_start_defnetd
dn_assert "after a restart a's lease is bound again" sh -c \
	"ip netns exec $DN_HOST nft list set bridge defnet spoof4 | grep -q '$A_IP'"
dn_assert "after a restart a reaches upstream at once" test -n "$(dn_echo_from "$ANS")"

# no: nothing is filtered.
spoof no | dn_config
dn_ctl reload >/dev/null || dn_fail "reload with SpoofProtection=no"
dn_assert_not "no: no spoof4 set" dn_h nft list set bridge defnet spoof4
send_udp "$ANS" "$A_MAC" "$B_IP" "$GW" "off-spoof"
dn_assert_wait 3 "SpoofProtection=no: a datagram from b's address gets through" got_gw off-spoof
echo x | dn_h socat -u - "UDP4-SENDTO:$B_IP:9" || dn_fail "the host cannot send to b"
sleep 1.2
dn_in "$ANS" "$DN_PYTHON" "$DN_LIB_DIR/spoof_send.py" arp eth0 "$A_MAC" "$A_MAC" "$B_IP" \
	"$GW_MAC" "$GW" 3 >/dev/null || dn_fail "spoof_send.py arp"
dn_assert_wait 3 "SpoofProtection=no: the forged ARP reply moves b's address to a's MAC" b_at "$A_MAC"
st="$DN_DIR/status2.json"
dn_status_json "$st"
dn_assert_eq "$(dn_json "$st" '(d["guards"]["spoof_protection"], d["guards"]["dropped"]["spoof"])')" \
	'[false, null]' "status --json: spoof protection off, no counter"

# The DHCPv6 guard (on by default): a rogue DHCPv6 Advertise from a.
dn_in "$ANS" sysctl -qw net.ipv6.conf.eth0.accept_dad=0 || dn_fail "a: accept_dad"
dn_in "$ANS" ip link set eth0 down && dn_in "$ANS" ip link set eth0 up || dn_fail "a: eth0"
link_local() { dn_in "$ANS" ip -6 -o addr show dev eth0 | grep "scope link" | grep -qv tentative; }
dn_wait 5 link_local || dn_fail "a has no link-local address"
dn_bg "$BNS" "$DN_DIR/b-tcpdump.out" tcpdump -i eth0 -n -U -l "udp src port 547"
TD=$DN_BG_PID
sleep 1
before=$(counter dhcp6-server)
out=$(dn_in "$ANS" "$DN_PYTHON" "$DN_LIB_DIR/spoof_send.py" dhcp6 eth0 3) || dn_fail "dhcp6: $out"
sleep 1
dn_kill "$TD" 2
dn_assert_eq "$(grep -c "\.547 >" "$DN_DIR/b-tcpdump.out")" 0 "b saw no DHCPv6 server message"
n=$(counter dhcp6-server)
dn_assert "the DHCPv6 Advertise messages are counted (${before:-0} -> $n)" \
	test "$((n - ${before:-0}))" -ge 3
dn_assert_wait 12 "the journal names a's port for them" \
	grep -q "guards: [0-9]* DHCPv6 server messages\{0,1\} from guest ports.*sampled: .*port v-a ($A_MAC) [0-9]" "$DN_LOG"

dn_stop_defnetd || dn_fail "defnetd exited with $DN_DAEMON_RC"
dn_ok "defnetd stopped cleanly"
dn_done
