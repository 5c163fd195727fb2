#!/bin/bash
# Port forwards: `defnetctl forward add` makes a guest's service reachable
# at HOSTPORT on every address of the host: from the uplink side (the guest
# sees the real client address), from the host itself (localhost and its
# own address), from another guest (hairpin); TCP and UDP; the forward
# follows the guest to a new address, survives a restart, ends on remove;
# every refusal says why. [Forward] Port= applies on reload.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015,SC2016
. "$(dirname "$0")/lib.sh"
dn_find_binaries
DN_SERVICES=0 dn_topology
cat >>"$DN_CONF" <<-EOF
[Network]
Subnet=10.99.0.0/24
[DHCP]
Pool=10.99.0.100-10.99.0.150
EOF
dn_start_defnetd
MAC_A=52:54:00:00:66:01
dn_guest a
ip -n "$(dn_guest_ns a)" link set eth0 address "$MAC_A" || dn_fail "guest a: MAC"
dn_guest b
dn_dhcp_guest a vm1 || dn_fail "guest a: no lease"
dn_dhcp_guest b vm2 || dn_fail "guest b: no lease"
IP_A=$(dn_lease_value a new_ip_address)
[ -n "$IP_A" ] || dn_fail "guest a: no address"

# The guest's services answer with the address they see the client at.
dn_bg "$(dn_guest_ns a)" "$DN_DIR/tcp.out" socat TCP4-LISTEN:22,fork,reuseaddr 'SYSTEM:echo $SOCAT_PEERADDR'
dn_bg "$(dn_guest_ns a)" "$DN_DIR/udp.out" socat UDP4-RECVFROM:5000,fork 'SYSTEM:echo $SOCAT_PEERADDR'
udp_listening() { [ -n "$(dn_in "$1" ss -Hlun "sport = :$2")" ]; }
dn_wait 5 dn_listening "$(dn_guest_ns a)" 22 && dn_wait 5 udp_listening "$(dn_guest_ns a)" 5000 ||
	dn_fail "guest services did not listen"

tcp_from() { dn_in "$1" timeout 5 socat -T 3 - "TCP4:$2:$3,connect-timeout=3" </dev/null 2>/dev/null; }
# UDP may lose a datagram: udp_is NS ADDR PORT WANT, for dn_wait.
udp_is() { [ "$(echo ping | dn_in "$1" timeout 3 socat -T 1 - "UDP4:$2:$3" 2>/dev/null)" = "$4" ]; }
fwd_addr() { dn_ctl forward list --json | dn_py -c "import json,sys; print([f['address'] for f in json.load(sys.stdin) if f['port'] == $1][0])"; }
refused() { # refused WHY-PATTERN ARGS...: exit 1 and the reason on stderr
	local pat=$1 rc
	shift
	dn_ctl forward "$@" >/dev/null 2>"$DN_DIR/err"
	rc=$?
	dn_assert_eq "$rc" 1 "forward $*: refused with exit 1"
	dn_assert_grep "$pat" "$DN_DIR/err" "forward $*: says why ($pat)"
}

dn_assert "forward add tcp 2222 vm1 22" dn_ctl forward add tcp 2222 vm1 22
dn_assert_eq "$(fwd_addr 2222)" "$IP_A" "forward list: the guest's address"
dn_assert_eq "$(tcp_from "$DN_UP" "$DN_UP0_HOST" 2222)" "$DN_UP0_PEER" \
	"from upstream: the guest answers and sees the upstream's own address"
dn_assert_eq "$(tcp_from "$DN_UP" "$DN_UP1_HOST" 2222)" "$DN_UP1_PEER" \
	"from upstream, on the host's other uplink address"
dn_assert_eq "$(tcp_from "$DN_HOST" 127.0.0.1 2222)" 10.99.0.1 "from the host: localhost:2222"
dn_assert_eq "$(tcp_from "$DN_HOST" "$DN_UP0_HOST" 2222)" "$DN_UP0_HOST" \
	"from the host: its own uplink address"
dn_assert_eq "$(tcp_from "$(dn_guest_ns b)" "$DN_UP0_HOST" 2222)" 10.99.0.1 \
	"from another guest to the host's uplink address (hairpin)"
dn_assert_not "no other port is opened" tcp_from "$DN_UP" "$DN_UP0_HOST" 2223

dn_assert "forward add udp 5000 vm1 (GUESTPORT defaults to HOSTPORT)" dn_ctl forward add udp 5000 vm1
dn_assert_wait 6 "UDP from upstream, seen from the upstream's address" \
	udp_is "$DN_UP" "$DN_UP0_HOST" 5000 "$DN_UP0_PEER"
dn_assert "forward add tcp 2200 by MAC" dn_ctl forward add tcp 2200 "$MAC_A" 22
dn_assert_eq "$(tcp_from "$DN_UP" "$DN_UP0_HOST" 2200)" "$DN_UP0_PEER" "a forward by MAC"
dn_assert "forward add tcp 2201 by address" dn_ctl forward add tcp 2201 "$IP_A" 22
dn_assert_eq "$(tcp_from "$DN_UP" "$DN_UP0_HOST" 2201)" "$DN_UP0_PEER" "a forward by address"
dn_assert "forward add tcp 2300 to a guest with no lease" dn_ctl forward add tcp 2300 nobody 22
dn_assert_eq "$(fwd_addr 2300)" None "forward list: address null without a lease"
dn_ctl status >"$DN_DIR/status" || dn_fail "status"
dn_assert_grep "1 without a lease" "$DN_DIR/status" "status: says which forward has no lease"
dn_status_json "$DN_DIR/status.json"
dn_assert_eq "$(dn_json "$DN_DIR/status.json" 'len(d["forwards"])')" 5 "status --json: the forwards"

# Refusals.
refused "already forwarded" add tcp 2222 vm2 22
dn_bg "$DN_HOST" "$DN_DIR/busy.out" socat TCP4-LISTEN:8080,reuseaddr -
dn_wait 5 dn_listening "$DN_HOST" 8080 || dn_fail "host listener"
refused "in use on the host by socat" add tcp 8080 vm1 22
# Under DN_WRAPPER (valgrind) the process is the wrapper's.
self_name=defnetd
[ -z "$DN_WRAPPER" ] || self_name='[^ ]+'
refused "in use on the host by $self_name" add udp 53 vm1
refused "GUEST is" add tcp 2400 'a..b' 22
refused "not in the guest subnet" add tcp 2400 192.0.2.9 22
refused "1-65535" add tcp 0 vm1 22
refused "1-65535" add tcp 70000 vm1 22
refused "1-65535" add tcp 2400 vm1 65536
refused "tcp or udp" add icmp 2400 vm1
refused "not forwarded" remove tcp 2401

# The guest moves: a reservation and a new lease; the forward follows.
dn_assert "reserve a new address for vm1" dn_ctl reserve "$MAC_A" 10.99.0.60 vm1
rm -f "$DN_DIR/dhclient-a.leases"
dn_dhcp_guest a vm1 || dn_fail "guest a: no new lease"
dn_assert_eq "$(dn_lease_value a new_ip_address)" 10.99.0.60 "the guest moved to 10.99.0.60"
dn_assert_eq "$(fwd_addr 2222)" 10.99.0.60 "forward list: the forward follows the guest"
dn_assert_eq "$(fwd_addr 2200)" 10.99.0.60 "forward list: a forward by MAC follows too"
dn_assert_eq "$(tcp_from "$DN_UP" "$DN_UP0_HOST" 2222)" "$DN_UP0_PEER" "from upstream, to the new address"
dn_assert_grep "forward tcp 2222 to vm1:22 now points at 10.99.0.60" "$DN_LOG" "log: the retargeting"
dn_assert_grep "forward tcp 2222 to vm1:22 added, $IP_A" "$DN_LOG" "log: the addition"

# A restart keeps the CLI's forwards.
dn_stop_defnetd
dn_assert_grep "tcp:2222:vm1:22" "$DN_STATE/forwards" "the forwards are on disk"
# This run logs to a stand-in journal, for the structured fields.
jlog="$DN_DIR/journal.jsonl"
dn_start_defnetd_journal "$jlog"
dn_assert_eq "$(fwd_addr 2222)" 10.99.0.60 "after a restart: the forward and its guest's address"
dn_assert_eq "$(tcp_from "$DN_UP" "$DN_UP0_HOST" 2222)" "$DN_UP0_PEER" "after a restart: it answers"

dn_assert "forward remove tcp 2222" dn_ctl forward remove tcp 2222
dn_assert_not "after remove: nothing answers" tcp_from "$DN_UP" "$DN_UP0_HOST" 2222
journal_has() {
	dn_py - "$jlog" "$@" <<-'EOF'
	import json, sys
	want = dict(zip(("DEFNET_EVENT", "DEFNET_PROTO", "DEFNET_PORT", "DEFNET_GUEST",
	                 "DEFNET_GUEST_PORT", "DEFNET_IP", "MESSAGE_ID"), sys.argv[2:]))
	for line in open(sys.argv[1]):
	    e = json.loads(line)
	    if all(e.get(k) == v for k, v in want.items()):
	        sys.exit(0)
	sys.exit(1)
	EOF
}
dn_assert_wait 3 "journal: forward-remove with its protocol, ports, guest, address and MESSAGE_ID" \
	journal_has forward-remove tcp 2222 vm1 22 10.99.0.60 0b814954105d494f8399a4dde8e3c857

# [Forward] Port= applies on reload, and is the file's to remove.
printf '[Forward]\nPort=tcp:3333:vm1:22\n' >>"$DN_CONF"
dn_assert "reload with [Forward] Port=" dn_ctl reload
dn_assert_eq "$(tcp_from "$DN_UP" "$DN_UP0_HOST" 3333)" "$DN_UP0_PEER" "[Forward] Port=: applied on reload"
refused "configuration file" remove tcp 3333
printf 'Port=tcp:3333:vm2\n' >>"$DN_CONF"
refused_line=$(wc -l <"$DN_CONF")
dn_ctl reload >/dev/null 2>"$DN_DIR/err" && dn_fail "reload: a HOSTPORT twice in the file was accepted"
dn_assert_grep ":$refused_line: .*already forwarded" "$DN_DIR/err" "reload: the error names FILE:LINE"
dn_done
