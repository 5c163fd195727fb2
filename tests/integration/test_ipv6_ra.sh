#!/bin/bash
# Router advertisements and NAT66: a guest with the kernel's default
# sysctls gets a SLAAC address in the prefix and a default route via the
# gateway's link-local address, and reaches an IPv6 service upstream that
# sees the host's uplink address; the router lifetime follows the host's IPv6 default
# route (gone and back within 5 s); the last advertisement on stop takes
# the guest's route away; IPv6=no advertises nothing.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015,SC2317
. "$(dirname "$0")/lib.sh"
dn_find_binaries
dn_topology

# The upstream side gets IPv6 too (documentation prefix, RFC 3849).
UP6_HOST=2001:db8:1::2
UP6_PEER=2001:db8:1::1
# Upstream of the host's default route only: the upstream side has no
# route back to the guests' prefix, so only NAT66 gets answers back.
UP6_FAR=2001:db8:ffff::1
dn_h ip -6 addr add "$UP6_HOST/64" dev up0 nodad &&
	dn_in "$DN_UP" ip -6 addr add "$UP6_PEER/64" dev up0 nodad &&
	dn_in "$DN_UP" ip -6 addr add "$UP6_FAR/128" dev lo &&
	dn_h ip -6 route add default via "$UP6_PEER" dev up0 ||
	dn_fail "upstream IPv6"

dn_guest6_no_default() { ! dn_in "$1" ip -6 route show default | grep -q .; }

dn_start_defnetd
P=$(dn_state_prefix6)
dn_say "prefix $P"
[ -n "$P" ] || dn_fail "no prefix in the state file"
dn_assert_grep "ra: advertising on $DN_BRIDGE" "$DN_LOG" "advertising on the bridge"

dn_status_json "$DN_DIR/status6.json"
dn_assert_eq "$(dn_json "$DN_DIR/status6.json" 'd["ipv6"]["prefix"]')" "$P" "status: the prefix"
dn_assert_eq "$(dn_json "$DN_DIR/status6.json" 'd["ipv6"]["gateway"]')" "${P%::/64}::1" \
	"status: the v6 gateway"
dn_assert_eq "$(dn_json "$DN_DIR/status6.json" 'd["ipv6"]["uplink"]["address"]')" "$UP6_HOST" \
	"status: the v6 uplink's address"
dn_assert_eq "$(dn_json "$DN_DIR/status6.json" 'd["ipv6"]["router_lifetime"]')" 1800 \
	"status: router lifetime"

dn_guest g1
G=$DN_GUEST_NS
dn_assert_wait 8 "guest gets a SLAAC address" dn_guest6_has_addr "$G"
A=$(dn_guest6_addr "$G")
dn_assert "its address $A is in $P" dn_overlap "$A/128" "$P"
dn_assert_wait 5 "guest's default route is via a link-local address" dn_guest6_default "$G"
dn_assert "guest reaches the gateway ${P%::/64}::1" \
	dn_ping6 "$G" "${P%::/64}::1"

# The gateway's DNS answers on its IPv6 address (the RDNSS), UDP and TCP.
dn_assert_wait 5 "DNS over IPv6 at the gateway (UDP)" \
	dn_dig_is "$G" "${P%::/64}::1" "www.$DN_ZONE" "$DN_ZONE_WWW"
dn_assert_eq "$(dn_in "$G" dig +short +tcp +time=2 +tries=1 "@${P%::/64}::1" "www.$DN_ZONE")" \
	"$DN_ZONE_WWW" "DNS over IPv6 at the gateway (TCP)"

# Stateless DHCPv6 (the O flag): dhclient -6 -S gets the gateway as DNS.
cat >"$DN_DIR/dhclient6-script" <<EOF2
#!/bin/sh
env | grep -E '^(new_|reason=)' | sort >>"$DN_DIR/dhcp6.env"
exit 0
EOF2
chmod 755 "$DN_DIR/dhclient6-script"
dn_in "$G" timeout 20 dhclient -6 -S -1 -v -sf "$DN_DIR/dhclient6-script" \
	-pf "$DN_DIR/dhclient-g1.pid" -lf "$DN_DIR/dhclient6.leases" eth0 \
	>"$DN_DIR/dhclient6.log" 2>&1 </dev/null || { cat "$DN_DIR/dhclient6.log" >&2; dn_fail "dhclient -6 -S"; }
dn_stop_dhclient g1
dn_assert_grep "^new_dhcp6_name_servers='?${P%::/64}::1'?\$" "$DN_DIR/dhcp6.env" \
	"DHCPv6 Information-request: the gateway is the DNS server"

# shellcheck disable=SC2016 # socat's shell expands it, per connection
dn_bg "$DN_UP" "$DN_DIR/echo6.out" socat "TCP6-LISTEN:$DN_ECHO_PORT,ipv6only=1,fork,reuseaddr" \
	'SYSTEM:echo $SOCAT_PEERADDR'
# The v4 echo service shares the port: wait for the v6 listener itself.
dn_listening6() { [ -n "$(dn_in "$DN_UP" ss -Hltn6 "sport = :$DN_ECHO_PORT")" ]; }
dn_wait 5 dn_listening6 || dn_fail "v6 echo service did not listen"
seen=$(dn_in "$G" timeout 5 socat -T 3 - "TCP6:[$UP6_FAR]:$DN_ECHO_PORT,connect-timeout=3" \
	</dev/null 2>"$DN_DIR/socat6.err")
seen=$(dn_py -c 'import ipaddress, sys; print(ipaddress.ip_address(sys.argv[1].strip("[]")))' \
	"$seen" 2>/dev/null) || cat "$DN_DIR/socat6.err" >&2
dn_assert_eq "$seen" "$UP6_HOST" "NAT66: upstream sees the host's uplink address"
dn_assert_grep "ip6 saddr ${P%::/64}::/64 iifname \"$DN_BRIDGE\" oifname != \"$DN_BRIDGE\" masquerade" \
	<(dn_h nft list table inet defnet) "the masquerade rule for the prefix"

if command -v rdisc6 >/dev/null; then
	dn_in "$G" rdisc6 -1 -r 3 -w 1500 eth0 >"$DN_DIR/rdisc6.out" 2>&1
	dn_assert_grep "Stateful other conf.*Yes" "$DN_DIR/rdisc6.out" "O flag set"
	dn_assert_grep "Router lifetime *: *1800" "$DN_DIR/rdisc6.out" "router lifetime 1800 s"
	dn_assert_grep "Recursive DNS server *: *${P%::/64}::1" "$DN_DIR/rdisc6.out" \
		"RDNSS: the gateway"
	dn_assert_grep "MTU *: *1500" "$DN_DIR/rdisc6.out" "MTU option"
	dn_assert_no_grep "DNS search list" "$DN_DIR/rdisc6.out" "no DNSSL without Domain="
else
	dn_say "rdisc6 (package ndisc6) not installed: the advertisement's fields are not checked"
fi

# A DHCPv4 guest's SLAAC address shows in its lease ("ip6"), learned from
# the neighbour table once it has talked to the gateway.
dn_guest g3
G3=$DN_GUEST_NS
dn_dhcp_guest g3 vm3 || dn_fail "guest g3: no DHCPv4 lease"
# The DHCP helper's address flush took the link-local address too: a link
# bounce brings it back, and with it router solicitation and SLAAC.
dn_in "$G3" ip link set eth0 down && dn_in "$G3" ip link set eth0 up || dn_fail "g3: eth0 bounce"
dn_assert_wait 8 "g3 gets a SLAAC address" dn_guest6_has_addr "$G3"
A3=$(dn_guest6_addr "$G3")
dn_ping6 "$G3" "${P%::/64}::1" || dn_fail "g3 cannot reach the gateway"
dn_lease_ip6()
{
	dn_ctl leases --json >"$DN_DIR/leases6.json" &&
		dn_json "$DN_DIR/leases6.json" '[x for l in d if l["hostname"] == "vm3" for x in l["ip6"]]' |
		grep -q "\"$A3\""
}
dn_assert_wait 5 "leases --json: vm3's ip6 holds $A3" dn_lease_ip6
dn_assert_eq "$(dn_in "$G" dig +short +time=2 +tries=1 "@${P%::/64}::1" vm3.local AAAA)" "$A3" \
	"the gateway's DNS answers AAAA vm3.local with its SLAAC address"

dn_h ip -6 route del default via "$UP6_PEER" dev up0 || dn_fail "drop the v6 default route"
dn_assert_wait 5 "host lost its v6 default route: the guest's is gone" dn_guest6_no_default "$G"
dn_assert "the guest keeps its address" dn_guest6_has_addr "$G"
dn_assert_grep "ipv6 uplink: +none" <(dn_ctl status) "status: no v6 uplink"
dn_h ip -6 route add default via "$UP6_PEER" dev up0 || dn_fail "restore the v6 default route"
dn_assert_wait 5 "the host's route is back: so is the guest's" dn_guest6_default "$G"
# No default route to guests while the host does not forward IPv6.
dn_h sysctl -qw net.ipv6.conf.all.forwarding=0 || dn_fail "forwarding off"
dn_assert_wait 5 "IPv6 forwarding off: the guest's default route is gone" dn_guest6_no_default "$G"
dn_assert_grep "IPv6 forwarding is off" "$DN_LOG" "and the log says why"
dn_h sysctl -qw net.ipv6.conf.all.forwarding=1 || dn_fail "forwarding on"
dn_assert_wait 5 "forwarding on again: the route is back" dn_guest6_default "$G"

# A restart adopts the bridge: the gateway is announced at once with an
# unsolicited neighbour advertisement (RFC 4861 7.2.6).
dn_bg "$G" "$DN_DIR/na.out" tcpdump -Z root -i eth0 -n -U -l "icmp6 and ip6[40] == 136"
na_dump=$DN_BG_PID
dn_wait 5 grep -q "listening on" "$DN_DIR/na.out" || dn_fail "tcpdump did not start"
dn_stop_defnetd || dn_fail "restart: exit $DN_DAEMON_RC"
dn_start_defnetd
na_seen() { grep -q "neighbor advertisement, tgt is ${P%::/64}::1," "$DN_DIR/na.out"; }
dn_assert_wait 5 "restart: an unsolicited neighbour advertisement for ${P%::/64}::1" na_seen
dn_kill "$na_dump" 5
dn_assert_wait 10 "... and the guest's default route is back" dn_guest6_default "$G"

dn_stop_defnetd || dn_fail "stop: exit $DN_DAEMON_RC"
dn_assert_wait 3 "stop: the final advertisement removes the guest's route" \
	dn_guest6_no_default "$G"

dn_config <<EOF2
$(dn_default_config | sed "s/^\[Network\]$/[Network]\nIPv6=no/")
EOF2
dn_start_defnetd
dn_guest g2
sleep 4
dn_assert_not "IPv6=no: a new guest gets no global address" dn_guest6_has_addr "$DN_GUEST_NS"
dn_assert_not "IPv6=no: no advertisement" grep -q "ra: advertising" "$DN_LOG"
dn_status_json "$DN_DIR/status-no6.json"
dn_assert_eq "$(dn_json "$DN_DIR/status-no6.json" 'd["ipv6"]')" null "status: ipv6 null"
dn_assert_no_grep "ip6 saddr" <(dn_h nft list table inet defnet) "IPv6=no: no NAT66 rule"
dn_stop_defnetd || dn_fail "stop: exit $DN_DAEMON_RC"
dn_ok "every stop: exit 0"

dn_done
