#!/bin/bash
# `defnetctl doctor [GUEST] [--json]`: exit 0 on a healthy set-up, 1 when
# something is wrong, naming it: a foreign inet table whose forward chain
# drops `iifname defnet0`, an iptables-nft FORWARD drop policy, forwarding
# switched off, the upstream DNS server stopped. `doctor vm1` shows its
# lease and neighbour entry; an unknown guest is a problem; the JSON parses.
# `doctor vm1 --trace 3` names the foreign table, chain and rule handle that
# drop vm1's connection attempts, and the trace chain leaves table inet
# defnet afterwards, also when the client hangs up in the middle.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015,SC2317 # functions run by dn_assert
DN_NEEDS=${DN_NEEDS:-"dnsmasq socat dig nft iptables-nft dhclient"}
. "$(dirname "$0")/lib.sh"
dn_find_binaries
dn_topology
dn_start_defnetd

dn_guest vm1
dn_assert "vm1 gets a lease" dn_dhcp_guest vm1 vm1
VM1_IP=$(dn_lease_value vm1 new_ip_address)
dn_assert_ne "$VM1_IP" "" "vm1's address"

OUT="$DN_DIR/doctor.out"
# doctor_rc ARGS...: runs doctor, output in OUT, prints its exit code.
doctor_rc()
{
	local rc=0
	dn_ctl doctor "$@" >"$OUT" 2>&1 || rc=$?
	echo "$rc"
}
# doctor_fails WHAT ERE: doctor exits 1, a FAIL line matches ERE, and its
# fix follows.
doctor_fails()
{
	dn_assert_eq "$(doctor_rc)" 1 "$1: doctor exits 1"
	dn_assert_grep "^FAIL .*$2" "$OUT" "$1: doctor names it"
	grep -A1 -E "^FAIL .*$2" "$OUT" | grep -q "^     fix: " || dn_fail "$1: no fix given"
	dn_ok "$1: with the command that fixes it"
	dn_assert_eq "$(doctor_rc --json)" 1 "$1: doctor --json exits 1"
	dn_assert "$1: the JSON parses" dn_py -m json.tool "$OUT"
	dn_assert_eq "$(dn_json "$OUT" 'd["ok"]')" false "$1: JSON ok is false"
}
json_ok() { dn_py -m json.tool "$OUT" >/dev/null && [ "$(dn_json "$OUT" 'd["ok"]')" = true ]; }

# ------------------------------------------------------------ healthy
dn_assert_eq "$(doctor_rc)" 0 "healthy: doctor exits 0"
dn_assert_grep "^doctor: ok" "$OUT" "healthy: says ok"
for c in bridge forwarding nat uplink uplink6 firewall docker networkmanager "dns $DN_UP0_PEER" mdns; do
	dn_assert_grep "^ok   $c: " "$OUT" "healthy: check $c"
done
dn_assert_eq "$(doctor_rc --json)" 0 "healthy: doctor --json exits 0"
dn_assert "healthy: the JSON parses, ok true" json_ok
dn_assert_eq "$(dn_json "$OUT" '[c for c in d["checks"] if c["name"] == "bridge"][0]["ok"]')" true \
	"healthy: JSON has the bridge check"

# ------------------------------------------------------------ a guest
VM1_NS=$(dn_guest_ns vm1)
GW=$(dn_h ip -4 -o addr show dev "$DN_BRIDGE" | awk '{sub("/.*", "", $4); print $4; exit}')
dn_assert_eq "$(dn_in "$VM1_NS" dig +short +time=2 +tries=1 "@$GW" "www.$DN_ZONE" A)" "$DN_ZONE_WWW" \
	"vm1 asks the gateway for www.$DN_ZONE"
dn_assert_eq "$(doctor_rc vm1)" 0 "doctor vm1 exits 0"
dn_assert_grep "^ok   lease: vm1: $VM1_IP at " "$OUT" "doctor vm1 shows its lease"
dn_assert_grep "^ok   neighbour: " "$OUT" "doctor vm1 shows its neighbour entry"
dn_assert_grep "^ok   dhcp exchange: [0-9a-f:]*: REQUEST for $VM1_IP on port v-vm1, answered ACK $VM1_IP, [0-9]+ s ago" \
	"$OUT" "doctor vm1 shows its last DHCP exchange"
dn_assert_grep "^ok   dns query: $VM1_IP: www.$DN_ZONE \(type 1\), forwarded to the host's resolvers, [0-9]+ s ago" \
	"$OUT" "doctor vm1 shows its last DNS query"
# A MAC that never asked, and one that asked and got nothing.
dn_assert_eq "$(doctor_rc 52:54:00:99:99:99)" 1 "doctor MAC without a lease: exit 1"
dn_assert_grep "^ok   dhcp exchange: 52:54:00:99:99:99: no DHCP message from it" "$OUT" \
	"... and it says no DHCP message came from it"
dn_assert_eq "$(doctor_rc "$VM1_IP" --json)" 0 "doctor by address --json exits 0"
dn_assert "doctor by address: JSON parses" json_ok
dn_assert_eq "$(doctor_rc nosuchguest)" 1 "an unknown guest: exit 1"
dn_assert_grep "^FAIL lease: nosuchguest has no lease" "$OUT" "an unknown guest: no lease"
dn_assert_eq "$(doctor_rc a b)" 1 "two guests: refused"

# ------------------------------------------------------------ problems
dn_h nft -f - <<-NFT || dn_fail "a foreign table"
	table inet hostile {
		chain forward {
			type filter hook forward priority 0; policy accept;
			iifname "$DN_BRIDGE" drop
		}
	}
NFT
doctor_fails "foreign inet table" "inet hostile forward drops forwarded traffic from $DN_BRIDGE"

# ------------------------------------------------------------ --trace
VM1_NS=$(dn_guest_ns vm1)
trace_chain() { dn_h nft list chain inet defnet trace >/dev/null 2>&1; }
# A connection attempt from vm1 to the upstream, which the table drops.
vm1_tries() { dn_in "$VM1_NS" timeout 2 socat -T1 - \
	"TCP4:$DN_INTERNET:$DN_ECHO_PORT,connect-timeout=0.5" </dev/null >/dev/null 2>&1; }
dn_bg "$DN_HOST" "$DN_DIR/trace.out" timeout 30 "$DEFNETCTL" --socket "$DN_RUNTIME/control" \
	doctor vm1 --trace 3
TRACE_PID=$DN_BG_PID
dn_assert_wait 2 "trace: the trace chain is in table inet defnet" trace_chain
for i in 1 2; do vm1_tries; done
rc=0
wait "$TRACE_PID" || rc=$?
dn_assert_eq "$rc" 1 "trace: doctor exits 1"
dn_assert_grep "^FAIL trace: [0-9]+ packets? dropped by inet hostile forward rule handle [0-9]+: " \
	"$DN_DIR/trace.out" "trace: names the table, chain and rule handle that drop vm1's packets"
dn_assert_grep "^     fix: nft delete rule inet hostile forward handle [0-9]+" "$DN_DIR/trace.out" \
	"trace: with the command that removes the rule"
dn_assert_not "trace: the trace chain is gone afterwards" trace_chain
dn_bg "$DN_HOST" "$DN_DIR/trace2.out" timeout 30 "$DEFNETCTL" --socket "$DN_RUNTIME/control" \
	doctor vm1 --trace 30
TRACE_PID=$DN_BG_PID
dn_assert_wait 2 "trace 2: the trace chain is in" trace_chain
dn_kill "$TRACE_PID"
dn_assert_wait 2 "trace 2: the client gone, the trace chain is gone" sh -c \
	"! ip netns exec $DN_HOST nft list chain inet defnet trace >/dev/null 2>&1"
dn_assert_eq "$(doctor_rc vm1 --trace 0)" 1 "trace: 0 s is refused"

dn_h nft delete table inet hostile || dn_fail "delete the foreign table"
dn_assert_eq "$(doctor_rc)" 0 "foreign table gone: doctor exits 0"

dn_h iptables-nft -P FORWARD DROP || dn_fail "iptables-nft -P FORWARD DROP"
doctor_fails "iptables-nft FORWARD drop" "iptables' FORWARD policy is DROP"
dn_h iptables-nft -P FORWARD ACCEPT || dn_fail "iptables-nft -P FORWARD ACCEPT"

dn_h sysctl -qw net.ipv4.ip_forward=0 || dn_fail "forwarding off"
doctor_fails "forwarding off" "forwarding: IPv4 forwarding is off"
dn_h sysctl -qw net.ipv4.ip_forward=1 || dn_fail "forwarding on"
dn_assert_eq "$(doctor_rc)" 0 "all fixed: doctor exits 0"

dn_kill "$DN_DNS_PID"
doctor_fails "upstream DNS stopped" "dns $DN_UP0_PEER: refused"
dn_assert_eq "$(doctor_rc)" 1 "upstream DNS stopped: text again"
dn_assert_grep "^FAIL dns $DN_UP1_PEER: " "$OUT" "every upstream server is probed"

dn_stop_defnetd || dn_fail "defnetd exited with $DN_DAEMON_RC"
dn_done
