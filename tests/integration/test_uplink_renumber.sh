#!/bin/bash
# Subnet conflicts at run time. A guest holds a DHCP lease; a "VPN" pushes
# a route that overlaps the guest subnet (172.16.0.0/12 for the usual auto
# choice). With Subnet=auto the daemon renumbers: a new free subnet, its
# gateway added to the bridge beside the old one, persisted, the nftables
# table for both subnets, carrier dropped briefly on the veth ports, a loud
# log line and the status. The guest's next request for its old address is
# NAKed and it re-leases into the new subnet, and reaches the upstream from
# there. Until then it keeps DNS on the old gateway. A second guest that
# releases its old lease afterwards ends the drain: the old gateway
# address, its NAT rules and its DNS listener go. A fixed subnet is never
# changed: a warning names the overlap.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015
DN_NEEDS=${DN_NEEDS:-"dnsmasq socat dig dhclient nft"}
. "$(dirname "$0")/lib.sh"
dn_find_binaries
dn_topology
dn_start_defnetd

st="$DN_DIR/status.json"
dn_status_json "$st"
S1=$(dn_json "$st" 'd["subnet"]')
GW1=$(dn_json "$st" 'd["gateway"]')

dn_guest g1
G1=$DN_GUEST_NS
dn_dhcp_guest g1 || dn_fail "g1: no lease"
IP1=$(dn_lease_value g1 new_ip_address)
dn_assert "g1's lease $IP1 is in $S1" dn_overlap "$IP1/32" "$S1"
dn_assert_eq "$(dn_echo_from "$G1")" "$DN_UP0_HOST" "g1 reaches the upstream"
dn_guest g2
G2=$DN_GUEST_NS
dn_dhcp_guest g2 || dn_fail "g2: no lease"
IP2OLD=$(dn_lease_value g2 new_ip_address)
dn_assert "g2's lease $IP2OLD is in $S1" dn_overlap "$IP2OLD/32" "$S1"
carrier_changes() { ip netns exec "$G1" cat /sys/class/net/eth0/carrier_changes; }
cc_before=$(carrier_changes)

# The VPN's route: the /12 (or /16) around the guest subnet, via up1.
CONFLICT=$(dn_py -c 'import ipaddress as i,sys; n=i.ip_network(sys.argv[1]); print(n.supernet(new_prefix=12 if n.subnet_of(i.ip_network("172.16.0.0/12")) else 16))' "$S1")
dn_h ip route add "$CONFLICT" via "$DN_UP1_PEER" dev up1 || dn_fail "route $CONFLICT"

subnet_moved() { dn_ctl status --json >"$st" 2>/dev/null && [ "$(dn_json "$st" 'd["subnet"]')" != "$S1" ]; }
dn_assert_wait 5 "the subnet is renumbered when $CONFLICT appears" subnet_moved
S2=$(dn_json "$st" 'd["subnet"]')
GW2=$(dn_json "$st" 'd["gateway"]')
dn_assert_not "the new subnet $S2 does not overlap $CONFLICT" dn_overlap "$S2" "$CONFLICT"
dn_assert_eq "$(dn_json "$st" 'd["old_subnet"]')" "$S1" "status: old_subnet"
dn_assert_eq "$(dn_json "$st" 'd["renumbered"]')" 1 "status: renumbered once"
dn_assert_grep "RENUMBERED: guest subnet $S1 now overlaps $CONFLICT.*guests move to $S2" "$DN_LOG" \
	"log: RENUMBERED, loudly"
dn_assert_eq "$(dn_state_subnet)" "$S2" "the state file keeps $S2"
grep -q "^conflicted[[:space:]]*$S1" "$DN_STATE/subnet" ||
	{ cat "$DN_STATE/subnet" >&2; dn_fail "the state file does not remember $S1 as conflicted"; }
dn_ok "the state file remembers $S1 as conflicted"
addrs=$(dn_h ip -o -4 addr show dev "$DN_BRIDGE" | awk '{ print $4 }' | sort | tr '\n' ' ')
case " $addrs " in
*" $GW1/${S1#*/} "*) ;;
*) dn_fail "bridge addresses '$addrs' lack the old gateway $GW1" ;;
esac
case " $addrs " in
*" $GW2/${S2#*/} "*) dn_ok "the bridge has both gateways ($addrs)" ;;
*) dn_fail "bridge addresses '$addrs' lack the new gateway $GW2" ;;
esac
post=$(dn_h nft list chain inet defnet postrouting) || dn_fail "no postrouting chain"
dn_assert_eq "$(grep -c "ip saddr .* masquerade" <<<"$post")" 2 "the table masquerades both subnets"
grep -q "ip saddr $S2 " <<<"$post" && grep -q "ip saddr $S1 " <<<"$post" ||
	dn_fail "postrouting lacks $S1 or $S2: $post"
dn_ok "postrouting names $S1 and $S2"
dn_assert_grep "carrier dropped for [0-9]+ ms on 2 veth ports" "$DN_LOG" "log: carrier dropped on the veth ports"
dn_assert_wait 3 "the guest saw its carrier drop and return" \
	sh -c "[ \$(ip netns exec '$G1' cat /sys/class/net/eth0/carrier_changes) -ge $((cc_before + 2)) ]"
dn_assert_wait 3 "the port is up again" sh -c "ip -n '$DN_HOST' link show '$(dn_guest_port g1)' | grep -q 'state UP'"

# g1 still has its old address: DNS answers it on the old gateway, over UDP
# and TCP, and on the new one too.
dig_www() { dn_in "$1" dig +short +time=2 +tries=1 "${@:3}" "@$2" "www.$DN_ZONE" A; }
dn_assert_eq "$(dig_www "$G1" "$GW1")" "$DN_ZONE_WWW" "DNS answers g1 ($IP1) on the old gateway $GW1"
dn_assert_eq "$(dig_www "$G1" "$GW1" +tcp)" "$DN_ZONE_WWW" "DNS over TCP answers g1 on the old gateway"
dn_assert_eq "$(dig_www "$G1" "$GW2")" "$DN_ZONE_WWW" "DNS answers g1 ($IP1) on the new gateway $GW2"

# dhclient ignores carrier: its next request (here INIT-REBOOT, as after a
# reboot; a renewal goes the same way) for the old address is NAKed.
dn_dhcp_guest g1 || dn_fail "g1: no new lease"
IP2=$(dn_lease_value g1 new_ip_address)
dn_assert "g1 re-leased into $S2 ($IP2)" dn_overlap "$IP2/32" "$S2"
dn_assert_eq "$(dn_lease_value g1 new_routers)" "$GW2" "g1's router is the new gateway"
dn_assert_eq "$(dn_lease_value g1 new_dhcp_server_identifier)" "$GW2" \
	"g1's server identifier is the new gateway"
dn_assert_grep "DHCPNAK.*$IP1" "$DN_LOG" "log: the request for the old address $IP1 was NAKed"
dn_assert_eq "$(dn_echo_from "$G1")" "$DN_UP0_HOST" "g1 reaches the upstream from the new subnet"
dn_assert_eq "$(dig_www "$G1" "$GW2")" "$DN_ZONE_WWW" "DNS answers on the new gateway"

# g2 still holds a lease in the old subnet: the drain goes on.
dn_status_json "$st"
dn_assert_eq "$(dn_json "$st" 'd["old_subnet"]')" "$S1" "status: $S1 drains while g2's lease runs"
dn_assert_eq "$(dig_www "$G2" "$GW1")" "$DN_ZONE_WWW" "DNS answers g2 ($IP2OLD) on the old gateway"
# Its RELEASE names the old gateway as server: the last old lease ends,
# and so does the drain, at once.
dn_in "$G2" timeout 10 dhclient -r -v -sf "$DN_DIR/dhclient-script-g2" \
	-pf "$DN_DIR/dhclient-g2.pid" -lf "$DN_DIR/dhclient-g2.leases" eth0 \
	>>"$DN_DIR/dhclient-g2.log" 2>&1 </dev/null || dn_fail "g2: dhclient -r"
dn_assert_wait 3 "log: DHCPRELEASE of $IP2OLD" grep -q "DHCPRELEASE: $IP2OLD " "$DN_LOG"
old_subnet_gone() { dn_ctl status --json >"$st" 2>/dev/null && [ "$(dn_json "$st" 'd["old_subnet"]')" = null ]; }
dn_assert_wait 3 "status: the drain of $S1 ended with its last lease" old_subnet_gone
dn_assert_grep "old subnet $S1 no longer served" "$DN_LOG" "log: the old subnet is no longer served"
addrs=$(dn_h ip -o -4 addr show dev "$DN_BRIDGE" | awk '{ print $4 }' | tr '\n' ' ')
dn_assert_eq "$addrs" "$GW2/${S2#*/} " "the bridge has the new gateway only"
post=$(dn_h nft list chain inet defnet postrouting) || dn_fail "no postrouting chain"
dn_assert_eq "$(grep -c "ip saddr .* masquerade" <<<"$post")" 1 "the table masquerades the new subnet only"
dn_assert_eq "$(dn_h ss -Hlun4 "sport = :53" | awk '{ sub(/%[^:]*/, "", $4); print $4 }' | sort | tr '\n' ' ')" "$GW2:53 " \
	"DNS listens on the new gateway only (UDP)"
dn_assert_eq "$(dn_h ss -Hltn4 "sport = :53" | awk '{ sub(/%[^:]*/, "", $4); print $4 }' | sort | tr '\n' ' ')" "$GW2:53 " \
	"DNS listens on the new gateway only (TCP)"
dn_assert_eq "$(dig_www "$G1" "$GW2")" "$DN_ZONE_WWW" "DNS still answers on the new gateway"

dn_stop_defnetd
dn_assert_eq "$DN_DAEMON_RC" 0 "SIGTERM: exit 0"

# ----------------------------------------------------- a fixed subnet
FIXED=10.77.0.0/20
dn_default_config | sed "s|^\[Network\]|[Network]\nSubnet=$FIXED|" | dn_config
dn_start_defnetd
dn_h ip route add 10.77.0.0/16 via "$DN_UP1_PEER" dev up1 || dn_fail "route 10.77.0.0/16"
dn_assert_wait 5 "fixed subnet: a warning names the overlap" \
	grep -q "Subnet=$FIXED overlaps 10.77.0.0/16" "$DN_LOG"
dn_status_json "$st"
dn_assert_eq "$(dn_json "$st" 'd["subnet"]')" "$FIXED" "fixed subnet: unchanged"
dn_assert_eq "$(dn_json "$st" 'd["renumbered"]')" 0 "fixed subnet: never renumbered"
dn_stop_defnetd
dn_done
