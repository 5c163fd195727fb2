#!/bin/bash
# Guests' IPv6 names beyond the gateway's AAAA (issue 12): NAME.local AAAA
# over mDNS, asked on 224.0.0.251 and on ff02::fb by another guest (the
# answer on ff02::fb with hop limit 255, RFC 6762 11), each address family
# as additional records of the other (RFC 6762 6.2); the guest's SLAAC
# address under ip6.arpa at the gateway's DNS (dig -x), the rest of the
# prefix's reverse zone NXDOMAIN locally; a guest's address that appears in
# the neighbour table is announced on both groups, one that goes gets its
# goodbye; IPv6=no: no ff02::fb socket and no AAAA.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015,SC2317
DN_NEEDS="dig dhclient tcpdump"
. "$(dirname "$0")/lib.sh"
dn_find_binaries
DN_SERVICES=0 dn_topology

CLIENT=("$DN_PYTHON" "$DN_LIB_DIR/mdns_client.py")

dn_guest_linklocal() { dn_in "$1" ip -6 -o addr show dev eth0 scope link -tentative | grep -q .; }

# dn_v6_guest NAME HOSTNAME: a DHCPv4 guest (its name in the table) with
# its SLAAC address; the DHCP helper's address flush took the link-local
# address too, so a link bounce brings it back with SLAAC.
dn_v6_guest()
{
	dn_guest "$1"
	dn_dhcp_guest "$1" "$2" || dn_fail "guest $1: no DHCPv4 lease"
	dn_in "$DN_GUEST_NS" ip link set eth0 down && dn_in "$DN_GUEST_NS" ip link set eth0 up ||
		dn_fail "guest $1: eth0 bounce"
	dn_assert_wait 8 "$1 gets a SLAAC address" dn_guest6_has_addr "$DN_GUEST_NS"
	dn_assert_wait 5 "$1 has its link-local address" dn_guest_linklocal "$DN_GUEST_NS"
}

# The gateway learns a guest's address from the neighbour table once the
# guest has talked to it; leases --json shows when.
dn_lease_has_ip6()
{
	dn_ctl leases --json >"$DN_DIR/leases6.json" &&
		dn_json "$DN_DIR/leases6.json" \
			"[x for l in d if l['hostname'] == '$1' for x in l['ip6']]" | grep -q "\"$2\""
}

dn_start_defnetd
P=$(dn_state_prefix6)
[ -n "$P" ] || dn_fail "no prefix in the state file"
GW6=${P%::/64}::1
dn_assert_grep "mdns: responder on $DN_BRIDGE" "$DN_LOG" "the responder started"
dn_assert "the responder listens on [::]:5353" \
	sh -c "ip netns exec '$DN_HOST' ss -Hulpn6 'sport = :5353' | grep -q defnetd"

PCAP="$DN_DIR/mdns6.pcap"
dn_bg "$DN_HOST" "$DN_DIR/tcpdump.out" tcpdump -Z root -i "$DN_BRIDGE" -n -U -w "$PCAP" udp port 5353
TCPDUMP_PID=$DN_BG_PID
dn_wait 5 grep -q "listening on" "$DN_DIR/tcpdump.out" || dn_fail "tcpdump did not start"
# With -vvv tcpdump prints a record as "NAME. (Cache flush) [2m] AAAA ADDR";
# a goodbye "[0s]".
wire_has() { tcpdump -n -vvv -r "$PCAP" 2>/dev/null | grep -qE -- "$1"; }

dn_v6_guest ga vma
GA=$DN_GUEST_NS
A6=$(dn_guest6_addr "$GA")
A4=$(sed -n "s/^new_ip_address=//p" "$DN_DIR/lease-ga.env")
# A query to the gateway's IPv6 address puts ga in the neighbour table.
dn_in "$GA" dig +short +time=2 +tries=1 "@$GW6" vma.local AAAA >/dev/null ||
	dn_fail "ga: no DNS answer from $GW6"
dn_assert_wait 5 "leases --json: vma's ip6 holds $A6" dn_lease_has_ip6 vma "$A6"

dn_v6_guest gb vmb
GB=$DN_GUEST_NS

# ga's address, new in the neighbour table, announced on both groups.
dn_assert_wait 5 "vma.local AAAA $A6 announced on 224.0.0.251" \
	wire_has "> 224\.0\.0\.251\.5353:.*vma\.local\. \(Cache flush\) \[2m\] AAAA $A6"
dn_assert_wait 5 "... and on ff02::fb" \
	wire_has "> ff02::fb\.5353:.*vma\.local\. \(Cache flush\) \[2m\] AAAA $A6"
sleep 1.1   # past the per-record limit of the second announcement

# mdns_ask TYPE [--v6]: gb asks for vma.local; the records, one a line.
mdns_ask()
{
	local out
	out=$(dn_in "$GB" "${CLIENT[@]}" query vma.local eth0 --type "$@") ||
		dn_fail "mDNS $* vma.local: no answer"
	dn_say "mDNS $*: $(tr '\n' ';' <<<"$out")"
	printf '%s\n' "$out"
}

# Over IPv4, from the other guest: AAAA with vma's SLAAC address, A as
# additional record.
q4=$(mdns_ask AAAA)
dn_assert "AAAA vma.local over 224.0.0.251: its SLAAC address, multicast" \
	grep -q "^AAAA $A6 120 multicast " <<<"$q4"
dn_assert "... with its A as additional record" grep -q "^A $A4 120 " <<<"$q4"

# Over IPv6, to ff02::fb: the same, from a link-local source, hop limit 255.
q6=$(mdns_ask AAAA --v6)
dn_assert "AAAA vma.local over ff02::fb: its SLAAC address, multicast from fe80::" \
	grep -q "^AAAA $A6 120 multicast fe80::.* hops=255\$" <<<"$q6"
dn_assert "... with its A as additional record" grep -q "^A $A4 120 " <<<"$q6"
qa6=$(mdns_ask A --v6)
dn_assert "A vma.local over ff02::fb" grep -q "^A $A4 120 multicast fe80::" <<<"$qa6"
dn_assert "... with AAAA as additional record" grep -q "^AAAA $A6 120 " <<<"$qa6"
dn_assert_not "an unknown name over ff02::fb: no answer" \
	dn_in "$GB" "${CLIENT[@]}" query nosuch.local eth0 --type AAAA --v6 --timeout 1

# Reverse: the guest's address under ip6.arpa at the gateway's DNS.
dn_assert_eq "$(dn_in "$GB" dig +short +time=2 +tries=1 "@$GW6" -x "$A6")" "vma.local." \
	"dig -x $A6 at $GW6: vma.local"
dn_assert_eq "$(dn_in "$GB" dig +short +time=2 +tries=1 "@$GW6" -x "$A6" PTR)" "vma.local." \
	"(PTR asked explicitly too)"
nx=$(dn_in "$GB" dig +time=2 +tries=1 "@$GW6" -x "${P%::/64}::dead:beef")
dn_assert "a name in the prefix's reverse zone with no guest: NXDOMAIN, answered locally" \
	grep -q "status: NXDOMAIN" <<<"$nx"
dn_assert "... with the zone's SOA" grep -qi "ip6.arpa.*SOA" <<<"$nx"

# The kernel forgets ga's address: its AAAA gets a goodbye.
dn_h ip -6 neigh del "$A6" dev "$DN_BRIDGE" || dn_fail "delete the neighbour $A6"
dn_assert_wait 5 "the forgotten address gets a goodbye (TTL 0)" \
	wire_has "vma\.local\. \[0s\] AAAA $A6"
dn_kill "$TCPDUMP_PID" 5

dn_stop_defnetd || dn_fail "stop: exit $DN_DAEMON_RC"

# IPv6=no: no socket on ff02::fb, and AAAA is answered with NSEC (no such
# record) over IPv4.
dn_config <<EOF2
$(dn_default_config | sed "s/^\[Network\]$/[Network]\nIPv6=no/")
EOF2
dn_start_defnetd
dn_assert_not "IPv6=no: no mDNS socket on [::]:5353" \
	sh -c "ip netns exec '$DN_HOST' ss -Hulpn6 'sport = :5353' | grep -q defnetd"
no6=$(mdns_ask AAAA)
dn_assert "IPv6=no: NSEC for AAAA" grep -q "^NSEC " <<<"$no6"
dn_assert_not "IPv6=no: no AAAA record" grep -q "^AAAA " <<<"$no6"
dn_stop_defnetd || dn_fail "stop: exit $DN_DAEMON_RC"
dn_ok "every stop: exit 0"

dn_done
