#!/bin/bash
# A guest's identity is its bridge port (issue 17). From another guest's
# namespace, with its own MAC at layer 2 and only DHCP fields forged: a
# REQUEST with vm1's chaddr and the name "pwned", a RELEASE of vm1's
# address, a DISCOVER with vm1's MAC (a clone on another port), a lease of
# the name vm1: none gets an answer or changes anything, vm1 keeps its
# lease, its name and vm1.local, and the log names both ports. Once vm1's
# port is deleted, the clone gets vm1's lease back at once. A DISCOVER with
# giaddr set to vm1's address (a reflection that hides its sender) sends
# nothing to vm1's port 67. mDNS: "vm1.local is 6.6.6.6" from vm1's address
# but another port changes nothing; from vm1's own port it silences
# defnetd on vm1.local until vm1 renews its lease.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015,SC2119,SC2317
DN_NEEDS="dhclient"
. "$(dirname "$0")/lib.sh"
dn_find_binaries
DN_SERVICES=0 dn_topology
SUBNET=172.20.48.0/20
GW=172.20.48.1
cat >>"$DN_CONF" <<-EOF
[Network]
Subnet=$SUBNET
EOF
dn_start_defnetd

dn_guest vm1
VNS=$DN_GUEST_NS
dn_assert "vm1 gets a lease (dhclient, host name vm1)" dn_dhcp_guest vm1 vm1
VIP=$(dn_lease_value vm1 new_ip_address)
VMAC=$(ip -n "$VNS" -br link show eth0 | awk '{print $3}')
dn_guest evil
ENS=$DN_GUEST_NS
dn_guest peer
PNS=$DN_GUEST_NS
ip -n "$PNS" addr add 172.20.48.250/20 dev eth0 || dn_fail "peer address"

client() { dn_in "$ENS" "$DN_PYTHON" "$DN_LIB_DIR/dhcp_client.py" eth0 "$@" --timeout 1; }
lease_of() {
	dn_ctl leases --json >"$DN_DIR/leases.json" || dn_fail "leases --json"
	dn_json "$DN_DIR/leases.json" "[(l['ip'], l['hostname']) for l in d if l['mac'] == '$1']"
}
mdns_vm1() {
	dn_in "$PNS" "$DN_PYTHON" "$DN_LIB_DIR/mdns_client.py" legacy vm1.local eth0 \
		--bind 172.20.48.250 --timeout 2 | sed -n 2p | awk '{print $2}'
}
victim_intact() {
	dn_assert_eq "$(lease_of "$VMAC")" '[["'"$VIP"'", "vm1"]]' "$1: vm1 keeps $VIP and its name"
	dn_assert_eq "$(mdns_vm1)" "$VIP" "$1: vm1.local still answers $VIP"
}
victim_intact "before"

dn_assert_eq "$(client "$VMAC" reboot "$VIP" --hostname pwned)" TIMEOUT \
	"a REQUEST with vm1's chaddr and the name pwned from another port gets no answer"
victim_intact "after the forged REQUEST"
dn_assert_eq "$(client "$VMAC" release "$VIP" "$GW")" SENT "a forged RELEASE is sent"
sleep 1
victim_intact "after the forged RELEASE"
dn_assert_eq "$(client "$VMAC" dora)" TIMEOUT "vm1's MAC cloned on another port gets nothing"
victim_intact "after the clone's DISCOVER"
EMAC=$(ip -n "$ENS" -br link show eth0 | awk '{print $3}')
out=$(client "$EMAC" dora --hostname vm1)
dn_assert "the attacker gets a lease of its own ($out)" test "${out%% *}" = ACK
dn_assert_eq "$(lease_of "$EMAC")" '[["'"${out#ACK }"'", null]]' "but not the name vm1"
victim_intact "after the attacker asked for the name vm1"
dn_assert_grep "lease of $VIP vm1 ignored: it came in on port $(dn_guest_port evil), the lease belongs to port $(dn_guest_port vm1)" \
	"$DN_LOG" "the log names both ports"
n=$(grep -c "the lease belongs to port" "$DN_LOG")
[ "$n" -ge 1 ] && [ "$n" -le 2 ] || dn_fail "seven forged messages logged $n times"
dn_ok "seven forged messages, logged once per interval ($n)"

# giaddr = vm1's address: no OFFER reaches vm1's port 67.
dn_bg "$VNS" "$DN_DIR/port67.out" "$DN_PYTHON" -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("", 67))
print("listening", flush=True)
s.settimeout(8)
try:
    while s.recv(2048)[:1] != b"\x02":  # the DISCOVERs, broadcast, come here too
        pass
    print("GOT a BOOTREPLY", flush=True)
except socket.timeout:
    print("NOTHING", flush=True)'
p67=$DN_BG_PID
dn_wait 5 grep -q listening "$DN_DIR/port67.out" || dn_fail "no listener on vm1's port 67"
dn_assert_eq "$(client "$EMAC" dora --giaddr "$VIP")" TIMEOUT "a DISCOVER with giaddr = vm1's address is not answered"
dn_wait 10 grep -qE "GOT|NOTHING" "$DN_DIR/port67.out"
dn_kill "$p67" 2
dn_assert_eq "$(tail -n 1 "$DN_DIR/port67.out")" NOTHING "nothing reached vm1's port 67"

# mDNS: a forged announcement with vm1's address as source.
announce() { dn_in "$1" "$DN_PYTHON" "$DN_LIB_DIR/mdns_client.py" announce vm1.local 6.6.6.6 eth0 "${@:2}"; }
dn_assert "evil sends 'vm1.local is 6.6.6.6' from $VIP" announce "$ENS" --spoof-src "$VIP"
sleep 1
dn_assert_eq "$(mdns_vm1)" "$VIP" "a forged announcement from another port silences nothing: vm1.local answers $VIP"
dn_assert_no_grep "no longer answering" "$DN_LOG" "nothing silenced"
# The real holder, from its own port: defnetd falls silent.
dn_assert "vm1 announces 6.6.6.6 itself" announce "$VNS"
vm1_silent() { [ -z "$(mdns_vm1)" ]; }
dn_assert_wait 5 "vm1's own announcement silences defnetd on vm1.local" vm1_silent
dn_assert_grep "vm1.local: the lease holder $VIP announces the address 6.6.6.6" "$DN_LOG" "the silence is logged"

# vm1 renews from its own port: the silence ends.
dn_assert "vm1 renews (dhclient)" dn_dhcp_guest vm1 vm1
dn_assert_eq "$(dn_lease_value vm1 new_ip_address)" "$VIP" "vm1 keeps $VIP"
dn_assert_eq "$(mdns_vm1)" "$VIP" "after the renewal vm1.local answers $VIP again"

# The guest moved: its old port is gone, the clone gets the lease at once.
ip -n "$DN_HOST" link del "$(dn_guest_port vm1)" || dn_fail "delete vm1's port"
out=$(client "$VMAC" dora)
dn_assert_eq "$out" "ACK $VIP" "with vm1's port deleted, its MAC on another port gets $VIP back"
dn_assert_eq "$(lease_of "$VMAC")" '[["'"$VIP"'", "vm1"]]' "the lease keeps its name"
dn_stop_defnetd || dn_fail "defnetd exited with $DN_DAEMON_RC"
dn_ok "defnetd stopped cleanly"
dn_done
