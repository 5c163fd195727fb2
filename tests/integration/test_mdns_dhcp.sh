#!/bin/bash
# mDNS with a real DHCP guest: dhclient asks for a lease with the host name
# "vm1"; vm1.local is announced (twice) with the lease's address, another
# guest and the host resolve it over mDNS, and when the guest releases its
# lease vm1.local gets its goodbye (TTL 0) and is no longer answered.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015,SC2119,SC2317
DN_NEEDS="dhclient tcpdump"
. "$(dirname "$0")/lib.sh"
dn_find_binaries
DN_SERVICES=0 dn_topology

CLIENT=("$DN_PYTHON" "$DN_LIB_DIR/mdns_client.py")
PCAP="$DN_DIR/mdns.pcap"
wire() { tcpdump -n -vvv -r "$PCAP" 2>/dev/null; }
wire_has() { [ "$(wire | grep -cE -- "$1")" -ge "${2:-1}" ]; }

# The bridge first, with a guest port (carrier), so that the capture runs
# before the daemon starts.
ip -n "$DN_HOST" link add "$DN_BRIDGE" type bridge && ip -n "$DN_HOST" link set "$DN_BRIDGE" up ||
	dn_fail "pre-create $DN_BRIDGE"
dn_guest peer
PNS=$DN_GUEST_NS
dn_guest vm
VNS=$DN_GUEST_NS
dn_bg "$DN_HOST" "$DN_DIR/tcpdump.out" tcpdump -Z root -i "$DN_BRIDGE" -n -U -w "$PCAP" udp port 5353
TCPDUMP_PID=$DN_BG_PID
dn_wait 5 grep -q "listening on" "$DN_DIR/tcpdump.out" || dn_fail "tcpdump did not start"

dn_start_defnetd
st="$DN_DIR/status.json"
dn_status_json "$st"
GW=$(dn_json "$st" 'd["gateway"]')
PREFIX=$(dn_json "$st" 'd["subnet"]')
dn_in "$PNS" ip addr add "$(dn_subnet_host "$PREFIX" 200)/${PREFIX#*/}" dev eth0 || dn_fail "peer address"

# dhclient with the host name vm1 (option 12), applied by a script of ours
# inside the guest only.
cat >"$DN_DIR/dhclient.conf" <<-EOF
send host-name "vm1";
request subnet-mask, routers, domain-name-servers;
EOF
cat >"$DN_DIR/dhclient-script" <<-EOF
#!/bin/sh
PATH=/usr/sbin:/usr/bin:/sbin:/bin
case "\$reason" in
BOUND|RENEW|REBIND|REBOOT)
	ip addr flush dev "\$interface"
	ip addr add "\$new_ip_address/\$new_subnet_mask" dev "\$interface"
	echo "\$new_ip_address" >"$DN_DIR/vm1.ip"
	;;
esac
exit 0
EOF
chmod 755 "$DN_DIR/dhclient-script"
dn_in "$VNS" timeout 30 dhclient -1 -v -cf "$DN_DIR/dhclient.conf" -sf "$DN_DIR/dhclient-script" \
	-pf "$DN_DIR/dhclient-vm.pid" -lf "$DN_DIR/dhclient.leases" eth0 >>"$DN_DIR/dhclient.log" 2>&1 </dev/null ||
	{ cat "$DN_DIR/dhclient.log" >&2; dn_fail "dhclient got no lease"; }
dn_stop_dhclient vm
IP=$(cat "$DN_DIR/vm1.ip")
[ -n "$IP" ] || dn_fail "no lease address"
dn_ok "vm1 leased $IP"

dn_assert_wait 5 "vm1.local announced twice with $IP" \
	wire_has "vm1\.local\. \(Cache flush\) \[2m\] A $IP" 2
sleep 1.1
got=$(dn_in "$PNS" "${CLIENT[@]}" query vm1.local eth0) || dn_fail "peer guest: no answer for vm1.local"
dn_assert_eq "$(echo "$got" | head -n 1 | cut -d' ' -f1,2,4,5)" "A $IP multicast $GW" \
	"another guest resolves vm1.local over mDNS"
sleep 1.1
got=$(dn_h "${CLIENT[@]}" query vm1.local "$DN_BRIDGE") || dn_fail "host: no answer for vm1.local"
dn_assert_eq "$(echo "$got" | head -n 1 | cut -d' ' -f1,2)" "A $IP" "the host resolves vm1.local over mDNS"
dn_assert_eq "$(dn_in "$PNS" dig -p 5353 "@$GW" vm1.local +short +time=2 +tries=1)" "$IP" \
	"dig @$GW -p 5353 vm1.local from a guest"

# Release: the lease ends, the name goes, peers are told.
dn_in "$VNS" timeout 10 dhclient -r -cf "$DN_DIR/dhclient.conf" -sf "$DN_DIR/dhclient-script" \
	-pf "$DN_DIR/dhclient-vm.pid" -lf "$DN_DIR/dhclient.leases" eth0 >>"$DN_DIR/dhclient.log" 2>&1 </dev/null
dn_stop_dhclient vm
dn_assert_wait 5 "goodbye for vm1.local (TTL 0) on release" wire_has "vm1\.local\. \[0s\] A $IP"
dn_in "$PNS" dig -p 5353 "@$GW" vm1.local +time=1 +tries=1 >/dev/null 2>&1
dn_assert_eq "$?" 9 "vm1.local no longer answered"

dn_stop_defnetd
dn_assert_eq "$DN_DAEMON_RC" 0 "SIGTERM: exit 0"
dn_kill "$TCPDUMP_PID" 5
dn_done
