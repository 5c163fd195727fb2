#!/bin/bash
# Names the gateway answers itself: guests' names (from Reservation= NAME
# until DHCP leases add theirs) under .local and Domain=, the host's own
# name, reverse PTR in the guest subnet; AAAA of an owned name is NOERROR
# with no data; unknown names in owned zones NXDOMAIN with an SOA; none of
# it is ever asked upstream (RFC 6761, RFC 6762); reload applies new names.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
# shellcheck source=dns_lib.sh
. "$DN_LIB_DIR/dns_lib.sh"
dn_find_binaries
DN_SERVICES=0 dn_topology
dns_start_upstream
dn_start_defnetd
dns_setup
box=$(dn_subnet_host "$DNS_SUBNET" 50)
{
	dn_default_config
	printf '[Network]\nDomain=internal\n'
	printf '[DHCP]\nReservation=52:54:00:12:34:56 %s buildbox\n' "$box"
} | dn_config
dn_ctl reload || dn_fail "reload"
dns_static_guest g1 10
g=$DN_GUEST_NS
host=$(hostname)
host=${host%%.*}
host=${host,,}

dn_assert_eq "$(dns_dig "$g" +short buildbox.local A)" "$box" "buildbox.local"
dn_assert_eq "$(dns_dig "$g" +short BuildBox.LOCAL A)" "$box" "BuildBox.LOCAL (case ignored)"
dn_assert_eq "$(dns_dig "$g" +short buildbox.internal A)" "$box" "buildbox.internal (Domain=)"
out=$(dns_dig "$g" buildbox.local AAAA)
grep -q 'status: NOERROR' <<<"$out" && grep -q 'ANSWER: 0' <<<"$out" ||
	dn_fail "AAAA of an owned name: $out"
dn_ok "AAAA buildbox.local: NOERROR, no data"
grep -q 'AUTHORITY: 1' <<<"$out" || dn_fail "no SOA with the empty answer"
dn_ok "the empty answer carries the zone's SOA"
dn_assert_eq "$(dns_rcode "$g" nobody.local A)" NXDOMAIN "unknown .local name"
dn_assert_eq "$(dns_rcode "$g" a.buildbox.local A)" NXDOMAIN "a name below a guest's"
dn_assert_eq "$(dns_rcode "$g" nobody.internal A)" NXDOMAIN "unknown name under Domain="
dn_assert_eq "$(dns_dig "$g" +short "$host.local" A)" "$DNS_GW" "the host's name $host.local is the gateway"
dn_assert_eq "$(dns_dig "$g" +short "$host.internal" A)" "$DNS_GW" "$host.internal is the gateway"
dn_assert_eq "$(dns_dig "$g" +short +tcp buildbox.local A)" "$box" "buildbox.local over TCP"

dn_assert_eq "$(dns_dig "$g" +short -x "$box")" "buildbox.internal." "PTR of $box"
dn_assert_eq "$(dns_dig "$g" +short -x "$DNS_GW")" "$host.internal." "PTR of the gateway"
other=$(dn_subnet_host "$DNS_SUBNET" 77)
dn_assert_eq "$(dns_rcode "$g" -x "$other")" NXDOMAIN "PTR of an unnamed address in the subnet"
rc=$(dns_rcode "$g" -x "$DN_ZONE_WWW")
[ -n "$rc" ] || dn_fail "no answer to a PTR outside the subnet"
dn_ok "a PTR outside the subnet is answered ($rc, from upstream)"

# Nothing owned went upstream; the outside PTR did.
! grep -Eq 'query\[[A-Z]+\] [^ ]*\.(local|internal) ' "$DN_DIR/dnsmasq.log" ||
	dn_fail ".local or Domain= names reached the upstream"
dn_ok "no .local or Domain= name was forwarded"
rev=$(dn_py -c 'import ipaddress,sys; print(ipaddress.ip_address(sys.argv[1]).reverse_pointer)' "$other")
! grep -qF "$rev" "$DN_DIR/dnsmasq.log" || dn_fail "the subnet's reverse zone reached the upstream"
dn_ok "the subnet's reverse zone was not forwarded"
grep -qF "$(dn_py -c 'import ipaddress,sys; print(ipaddress.ip_address(sys.argv[1]).reverse_pointer)' "$DN_ZONE_WWW")" \
	"$DN_DIR/dnsmasq.log" || dn_fail "the outside PTR was not forwarded"
dn_ok "a PTR outside the subnet was forwarded"

# Reload: the reservation's name changes; the old one goes.
{
	dn_default_config
	printf '[Network]\nDomain=internal\n'
	printf '[DHCP]\nReservation=52:54:00:12:34:56 %s devbox\n' "$box"
} | dn_config
dn_ctl reload || dn_fail "reload"
dn_assert_eq "$(dns_dig "$g" +short devbox.local A)" "$box" "devbox.local after reload"
dn_assert_eq "$(dns_rcode "$g" buildbox.local A)" NXDOMAIN "buildbox.local gone after reload"
dn_assert_eq "$(dns_dig "$g" +short -x "$box")" "devbox.internal." "PTR follows the new name"
dn_status_json "$DN_DIR/st2.json"
[ "$(dn_json "$DN_DIR/st2.json" 'd["dns"]["local"] > 10')" = true ] || dn_fail "local answers not counted"
dn_ok "local answers counted ($(dn_json "$DN_DIR/st2.json" 'd["dns"]["local"]'))"
dn_assert_eq "$(dn_json "$DN_DIR/st2.json" 'd["dns"]["names"]')" 1 "one guest name in the table"
dn_ctl status | grep -q '^dns: ' || dn_fail "no dns line in status"
dn_ok "status text has a dns line"
dn_stop_defnetd || dn_fail "defnetd exited with $DN_DAEMON_RC"
dn_done
