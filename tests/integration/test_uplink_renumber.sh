#!/bin/bash
# Subnet conflicts at run time. A guest holds a DHCP lease; a "VPN" pushes
# a route that overlaps the guest subnet (172.16.0.0/12 for the usual auto
# choice). With Subnet=auto the daemon renumbers: a new free subnet, its
# gateway added to the bridge beside the old one, persisted, the nftables
# table for both subnets, carrier dropped briefly on the veth ports, a loud
# log line and the status. The guest's next request for its old address is
# NAKed and it re-leases into the new subnet, and reaches the upstream from
# there. A fixed subnet is never changed: a warning names the overlap.
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
dn_assert_eq "$(grep -c masquerade <<<"$post")" 2 "the table masquerades both subnets"
grep -q "ip saddr $S2 " <<<"$post" && grep -q "ip saddr $S1 " <<<"$post" ||
	dn_fail "postrouting lacks $S1 or $S2: $post"
dn_ok "postrouting names $S1 and $S2"
dn_assert_grep "carrier dropped for [0-9]+ ms on 1 veth port" "$DN_LOG" "log: carrier dropped on the veth port"
dn_assert_wait 3 "the guest saw its carrier drop and return" \
	sh -c "[ \$(ip netns exec '$G1' cat /sys/class/net/eth0/carrier_changes) -ge $((cc_before + 2)) ]"
dn_assert_wait 3 "the port is up again" sh -c "ip -n '$DN_HOST' link show '$(dn_guest_port g1)' | grep -q 'state UP'"

# dhclient ignores carrier: its next request (here INIT-REBOOT, as after a
# reboot; a renewal goes the same way) for the old address is NAKed.
dn_dhcp_guest g1 || dn_fail "g1: no new lease"
IP2=$(dn_lease_value g1 new_ip_address)
dn_assert "g1 re-leased into $S2 ($IP2)" dn_overlap "$IP2/32" "$S2"
dn_assert_eq "$(dn_lease_value g1 new_routers)" "$GW2" "g1's router is the new gateway"
dn_assert_grep "DHCPNAK.*$IP1" "$DN_LOG" "log: the request for the old address $IP1 was NAKed"
dn_assert_eq "$(dn_echo_from "$G1")" "$DN_UP0_HOST" "g1 reaches the upstream from the new subnet"
dn_assert_eq "$(dn_in "$G1" dig +short +time=2 +tries=1 "@$GW2" "www.$DN_ZONE" A)" "$DN_ZONE_WWW" \
	"DNS answers on the new gateway"

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
