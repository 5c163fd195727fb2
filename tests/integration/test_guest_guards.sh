#!/bin/bash
# DHCP guard and router guard (issue 17), on by default: a guest running
# dnsmasq as a DHCP server and a guest sending router advertisements. With
# the guards on, a third guest's dhclient gets defnet's lease every time
# and sees no packet from the rogue server, the rogue RA configures no
# address in another guest, and both are counted at the bridge (table bridge defnet, built
# in the same batch as inet defnet). `allow` turns each guard off (the
# table goes), and then the rogue packets reach the guest.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015,SC2119,SC2317
DN_NEEDS="dhclient dnsmasq nft tcpdump"
. "$(dirname "$0")/lib.sh"
dn_find_binaries
DN_SERVICES=0 dn_topology
SUBNET=172.20.48.0/20
ROGUE_IP=192.168.77.1
PREFIX=2001:db8:77::
guards() {
	cat <<-EOF
	[Network]
	Subnet=$SUBNET
	[Guard]
	DHCPServers=$1
	RouterAdvertisements=$2
	EOF
}
guards deny deny >>"$DN_CONF"
dn_start_defnetd

counter() { dn_h nft list counter bridge defnet "$1" 2>/dev/null | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
dn_assert "table bridge defnet is in place" dn_h nft list table bridge defnet
dn_assert_eq "$(dn_h nft list chain bridge defnet guard | grep -c drop)" 3 "three guard rules"

# The rogue DHCP server: dnsmasq on a guest, its own range.
dn_guest rogue
RNS=$DN_GUEST_NS
ip -n "$RNS" addr add "$ROGUE_IP/24" dev eth0 || dn_fail "rogue address"
dn_bg "$RNS" "$DN_DIR/rogue-dnsmasq.out" dnsmasq --keep-in-foreground --conf-file=/dev/null \
	--port=0 --interface=eth0 --bind-interfaces --dhcp-authoritative --no-ping \
	--dhcp-range=192.168.77.50,192.168.77.99,255.255.255.0,1h \
	--dhcp-leasefile="$DN_DIR/rogue.leases" --pid-file="$DN_DIR/rogue.pid" --user=root --group=root
dn_wait 5 test -s "$DN_DIR/rogue.pid" || dn_fail "the rogue dnsmasq did not start"

dn_guest g3
GNS=$DN_GUEST_NS
# Whatever the rogue sends toward g3's side of the bridge, seen from g3.
dn_bg "$GNS" "$DN_DIR/g3-tcpdump.out" tcpdump -i eth0 -n -U -l "udp src port 67 and src host $ROGUE_IP"
TD=$DN_BG_PID
sleep 1
for i in 1 2 3; do
	rm -f "$DN_DIR/dhclient-g3.leases"
	dn_assert "g3 gets a lease, round $i (dhclient)" dn_dhcp_guest g3
	ip=$(dn_lease_value g3 new_ip_address)
	dn_assert "round $i: the lease ($ip) is defnet's" test "${ip%.*.*}" = 172.20
done
sleep 1
dn_kill "$TD" 2
dn_assert_eq "$(grep -c "$ROGUE_IP" "$DN_DIR/g3-tcpdump.out")" 0 "g3 saw no packet from the rogue DHCP server"
n=$(counter dhcp4-server)
dn_assert "the rogue's answers are counted at the bridge ($n)" test "${n:-0}" -ge 1

# A rogue router advertisement from the same guest, to a guest that
# accepts them (g6: dhclient's script flushed g3's link-local address).
dn_guest g6
SNS=$DN_GUEST_NS
dn_in "$SNS" sysctl -qw net.ipv6.conf.eth0.accept_ra=1 net.ipv6.conf.eth0.autoconf=1 ||
	dn_fail "g6: accept RAs"
slaac() { dn_in "$SNS" ip -6 -o addr show dev eth0 | grep -q "${PREFIX%::}:"; }
link_local() { dn_in "$1" ip -6 -o addr show dev eth0 | grep "scope link" | grep -qv tentative; }
dn_wait 5 link_local "$SNS" || dn_fail "g6 has no link-local address"
dn_wait 5 link_local "$RNS" || dn_fail "rogue has no link-local address"
out=$(dn_in "$RNS" "$DN_PYTHON" "$DN_LIB_DIR/rogue_ra.py" eth0 "$PREFIX" 3) || dn_fail "rogue RA: $out"
sleep 2
dn_assert_not "the rogue RA configured no address in g6" slaac
n=$(counter router-advert)
dn_assert "the rogue RAs are counted at the bridge ($n)" test "${n:-0}" -ge 3

# Status and the journal say so.
st="$DN_DIR/status.json"
dn_status_json "$st"
dn_assert_eq "$(dn_json "$st" '(d["guards"]["dhcp_servers"], d["guards"]["router_advertisements"])')" \
	'["deny", "deny"]' "status --json: both guards deny"
dn_assert "status --json: the DHCPv4 drops are counted" \
	test "$(dn_json "$st" 'd["guards"]["dropped"]["dhcp4-server"]')" -ge 1
dn_assert "status --json: the RA drops are counted" \
	test "$(dn_json "$st" 'd["guards"]["dropped"]["router-advert"]')" -ge 3
dn_ctl status >"$DN_DIR/status.txt" || dn_fail "status"
dn_assert_grep "^guards: .*router advertisements deny" "$DN_DIR/status.txt" "status (text) shows the guards"
dn_assert_wait 12 "the journal reports the DHCP drops once per interval" \
	grep -q "guards: [0-9]* DHCPv4 server messages\{0,1\} from guest ports dropped" "$DN_LOG"
dn_assert_wait 12 "... and the RA drops" grep -q "guards: [0-9]* router advertisements\{0,1\} from guest ports dropped" "$DN_LOG"
dn_assert_grep "DHCPv4 server messages? from guest ports dropped.*sampled: .*port v-rogue \(" "$DN_LOG" \
	"the DHCP drops' line names the rogue's port"
dn_assert_grep "router advertisements? from guest ports dropped.*sampled: .*port v-rogue \(" "$DN_LOG" \
	"... and so does the RA drops' line"

# allow: the guards are off, the bridge table goes, the rogues get through.
guards allow allow | dn_config
dn_ctl reload >/dev/null || dn_fail "reload with allow"
dn_assert_not "allow: no table bridge defnet" dn_h nft list table bridge defnet
dn_assert "allow: table inet defnet still there" dn_h nft list table inet defnet
out=$(dn_in "$RNS" "$DN_PYTHON" "$DN_LIB_DIR/rogue_ra.py" eth0 "$PREFIX" 3) || dn_fail "rogue RA: $out"
dn_assert_wait 5 "RouterAdvertisements=allow: the RA configures a $PREFIX address" slaac
dn_bg "$GNS" "$DN_DIR/g3-tcpdump2.out" tcpdump -i eth0 -n -U -l "udp src port 67 and src host $ROGUE_IP"
TD=$DN_BG_PID
sleep 1
rm -f "$DN_DIR/dhclient-g3.leases"
dn_dhcp_guest g3 || true
sleep 1
dn_kill "$TD" 2
dn_assert "DHCPServers=allow: the rogue's answers reach g3" grep -q "$ROGUE_IP" "$DN_DIR/g3-tcpdump2.out"

# deny again: the table is back, in the same batch as inet defnet.
guards deny allow | dn_config
dn_ctl reload >/dev/null || dn_fail "reload with DHCPServers=deny"
dn_assert_eq "$(dn_h nft list chain bridge defnet guard | grep -c drop)" 2 "DHCPServers=deny alone: the DHCPv4 and DHCPv6 rules"
dn_assert_not "no router-advert counter" dn_h nft list counter bridge defnet router-advert
ports=$(dn_h nft list set bridge defnet ports | grep -c elements)
dn_assert_eq "$ports" 1 "the set of ports is filled on apply"
dn_stop_defnetd || dn_fail "defnetd exited with $DN_DAEMON_RC"
dn_ok "defnetd stopped cleanly"
dn_done
