#!/bin/bash
# The DNS server is never an open resolver: nothing listens on the
# uplinks; a query from the uplink side (routed to the gateway address)
# gets nothing over UDP or TCP; a source outside the guest subnet on the
# bridge gets nothing. Malformed queries get FORMERR (or NOTIMP, BADVERS)
# or are dropped, and the server keeps answering.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
# shellcheck source=dns_lib.sh
. "$DN_LIB_DIR/dns_lib.sh"
dn_find_binaries
DN_SERVICES=0 dn_topology
dns_start_upstream
dn_start_defnetd
dns_setup
dns_static_guest g1 10
g=$DN_GUEST_NS

# Only the gateway addresses on the bridge (IPv4, and IPv6) have port 53.
gw6=$(dn_h ip -6 -o addr show dev "$DN_BRIDGE" scope global | awk '{sub("/.*", "", $4); print $4}')
[ -n "$gw6" ] || dn_fail "no IPv6 gateway on the bridge"
socks=$(dn_h ss -Hlnu 'sport = :53'; dn_h ss -Hlnt 'sport = :53')
bad=$(awk '{print $4}' <<<"$socks" |
	grep -v -e "^$DNS_GW%$DN_BRIDGE:53\$" -e "^\[$gw6\]%$DN_BRIDGE:53\$" || true)
[ -z "$bad" ] && [ -n "$socks" ] || dn_fail "port 53 sockets: $socks"
dn_ok "port 53 only on $DNS_GW%$DN_BRIDGE"

# From the uplink side, with a route to the guest subnet.
ip -n "$DN_UP" route add "$DNS_SUBNET" via "$DN_UP0_HOST" || dn_fail "route in upstream ns"
q0=$(dns_count queries)
dn_assert_not "no UDP answer to the uplink side" \
	dn_in "$DN_UP" dig +time=1 +tries=1 "@$DNS_GW" "www.$DN_ZONE" A
dn_assert_not "no TCP answer to the uplink side" \
	dn_in "$DN_UP" dig +tcp +time=1 +tries=1 "@$DNS_GW" "www.$DN_ZONE" A
dn_assert_not "no answer at the host's uplink address" \
	dn_in "$DN_UP" dig +time=1 +tries=1 "@$DN_UP0_HOST" "www.$DN_ZONE" A

# On the bridge, from outside the subnet.
dn_guest g2
ip -n "$DN_GUEST_NS" addr add 192.168.99.5/24 dev eth0 &&
	ip -n "$DN_GUEST_NS" route add "$DNS_GW/32" dev eth0 || dn_fail "g2 address"
dn_assert_not "no UDP answer to a source outside the subnet" \
	dn_in "$DN_GUEST_NS" dig +time=1 +tries=1 "@$DNS_GW" "www.$DN_ZONE" A
dn_assert_not "no TCP answer to a source outside the subnet" \
	dn_in "$DN_GUEST_NS" dig +tcp +time=1 +tries=1 "@$DNS_GW" "www.$DN_ZONE" A
dn_assert_eq "$(dns_count queries)" "$q0" "none of them counted as a query"
[ "$(dns_count dropped)" -ge 2 ] || dn_fail "dropped not counted"
dn_ok "dropped counted ($(dns_count dropped))"

# Malformed queries (hex): the answer's "RCODE QDCOUNT ID", or timeout.
hdr=12340100     # ID 0x1234, RD
www=03777777076578616d706c65047465737400
dn_assert_eq "$(dns_py "$g" "$DNS_GW" raw 0102)" timeout "2 bytes: dropped"
dn_assert_eq "$(dns_py "$g" "$DNS_GW" raw "${hdr:0:4}81000001000000000000${www}00010001")" timeout "a response (QR): dropped"
dn_assert_eq "$(dns_py "$g" "$DNS_GW" raw "${hdr}0001000000000000${www:0:10}")" "1 0 4660" "a cut question: FORMERR"
dn_assert_eq "$(dns_py "$g" "$DNS_GW" raw "${hdr}0002000000000000${www}00010001${www}00010001")" "1 0 4660" "two questions: FORMERR"
dn_assert_eq "$(dns_py "$g" "$DNS_GW" raw "${hdr}0000000000000000")" "1 0 4660" "no question: FORMERR"
dn_assert_eq "$(dns_py "$g" "$DNS_GW" raw "${hdr}0001000000000000c00c00010001")" "1 0 4660" "a compression loop: FORMERR"
dn_assert_eq "$(dns_py "$g" "$DNS_GW" raw "123411000001000000000000${www}00010001")" "4 0 4660" "opcode STATUS: NOTIMP"
dn_assert_eq "$(dns_py "$g" "$DNS_GW" raw "${hdr}0001000000000001${www}00010001""0000291000000100000000")" "0 1 4660" "EDNS version 1: BADVERS (rcode 0 + OPT)"
dn_assert_eq "$(dns_py "$g" "$DNS_GW" raw "${hdr}0001000000000002${www}00010001""00002910000000000000000000291000000000000000")" "1 0 4660" "two OPT records: FORMERR"
dn_assert_eq "$(dns_py "$g" "$DNS_GW" raw "${hdr}0001000000000000${www}00fc0001")" "5 1 4660" "AXFR: REFUSED"
[ "$(dns_count formerr)" -ge 5 ] || dn_fail "formerr not counted"
dn_ok "FORMERR counted ($(dns_count formerr))"
dn_assert_eq "$(dns_dig "$g" +short "www.$DN_ZONE" A)" "$DN_ZONE_WWW" "still answering"
dn_stop_defnetd || dn_fail "defnetd exited with $DN_DAEMON_RC"
dn_done
