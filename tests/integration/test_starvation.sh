#!/bin/bash
# Starvation (issue 8): a flood of DISCOVERs from random MACs, hundreds of
# times the pool's size, from one bridge port (perfdhcp). Meanwhile guests
# on other ports keep getting addresses (new ones, at several moments of
# the flood), a guest with a live lease renews it, a guest with a
# reservation gets its address; the flood's port gets offers at no more
# than its per-port rate (RateLimitPerPort=, 20/s by default), and the
# limit is logged once per ten seconds, not per packet.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015,SC2016,SC2119,SC2317
DN_NEEDS="perfdhcp dhclient"
. "$(dirname "$0")/lib.sh"
dn_find_binaries
DN_SERVICES=0 dn_topology
FLOOD_S=${DN_FLOOD_S:-30}
RES_MAC=52:54:00:00:00:09
RES_IP=10.98.0.200
cat >>"$DN_CONF" <<-EOF
[Network]
Subnet=10.98.0.0/24
[DHCP]
Pool=10.98.0.10-10.98.0.109
Reservation=$RES_MAC $RES_IP resvm
EOF
dn_start_defnetd

dn_guest live
dn_assert "live: a lease before the flood" dn_dhcp_guest live
LIVE_IP=$(dn_lease_value live new_ip_address)
dn_guest res
ip -n "$DN_GUEST_NS" link set eth0 address "$RES_MAC" || dn_fail "res: MAC"
dn_guest flood
# A relay sits outside the guest subnet (a giaddr inside it is a guest).
ip -n "$DN_GUEST_NS" addr add 10.98.0.250/24 dev eth0 &&
	ip -n "$DN_GUEST_NS" addr add 198.18.98.250/24 dev eth0 || dn_fail "flood: relay address"

# DISCOVERs only (-i), random MACs out of 1,000,000 (-R), as a relay agent
# on the flood port.
dn_bg "$DN_GUEST_NS" "$DN_DIR/perfdhcp.out" timeout $((FLOOD_S + 30)) perfdhcp -4 -i -r 2000 \
	-R 1000000 -p "$FLOOD_S" -l 198.18.98.250 10.98.0.1
perf_pid=$DN_BG_PID
t0=$(date +%s)
sleep 3
dn_assert "res: its reserved address during the flood" dn_dhcp_guest res
dn_assert_eq "$(dn_lease_value res new_ip_address)" "$RES_IP" "res got $RES_IP"
k=0
while [ $(($(date +%s) - t0)) -lt $((FLOOD_S - 4)) ] && [ "$k" -lt 6 ]; do
	k=$((k + 1))
	sleep 2
	dn_guest "new$k"
	dn_assert "new$k: a new guest on another port gets a lease at $(($(date +%s) - t0)) s" \
		dn_dhcp_guest "new$k"
	dn_assert "live: renews at $(($(date +%s) - t0)) s" dn_dhcp_guest live
	dn_assert_eq "$(dn_lease_value live new_ip_address)" "$LIVE_IP" "live keeps $LIVE_IP"
done
[ "$k" -ge 3 ] || dn_fail "only $k rounds fitted in the flood"
dn_alive "$perf_pid" || dn_fail "perfdhcp ended before the guests were done"
wait "$perf_pid"
sent=$(sed -n 's/^sent packets: *\([0-9]*\).*/\1/p' "$DN_DIR/perfdhcp.out" | head -n 1)
got=$(sed -n 's/^received packets: *\([0-9]*\).*/\1/p' "$DN_DIR/perfdhcp.out" | head -n 1)
[ -n "$sent" ] && [ -n "$got" ] || { cat "$DN_DIR/perfdhcp.out" >&2; dn_fail "no perfdhcp counts"; }
[ "$sent" -ge $((FLOOD_S * 1000)) ] || dn_fail "the flood was only $sent DISCOVERs"
dn_ok "the flood: $sent DISCOVERs from random MACs into a pool of 100"
[ "$got" -le $((FLOOD_S * 20 + 40)) ] || dn_fail "the flood port got $got offers in ${FLOOD_S}s (limit 20/s)"
dn_ok "the flood port got $got offers (at most 20/s and a burst)"
# The port is the flood's own (the bridge port the frames came in on, not
# the bridge), and no other port hit its limit.
flood_port=$(dn_guest_port flood)
n=$(grep -c "per-port new-lease rate limit reached on port $flood_port:" "$DN_LOG")
[ "$n" -ge 1 ] && [ "$n" -le $((FLOOD_S / 10 + 2)) ] || dn_fail "the per-port limit was logged $n times in ${FLOOD_S}s"
dn_ok "the limit of port $flood_port was logged $n times in ${FLOOD_S}s (once per 10 s)"
dn_assert_no_grep "per-port new-lease rate limit reached on port (v-new|v-res|v-live|$DN_BRIDGE)" "$DN_LOG" \
	"no other port, and not the bridge, was limited"
dn_assert_no_grep 'global new-lease rate limit' "$DN_LOG" "the global limit, which other ports share, was never hit"
dn_ctl leases --json >"$DN_DIR/leases.json" || dn_fail "leases --json"
dn_assert_eq "$(dn_json "$DN_DIR/leases.json" "sorted(l['ip'] for l in d if l['ip'] in ('$LIVE_IP', '$RES_IP'))")" \
	"[\"$LIVE_IP\", \"$RES_IP\"]" "live and reserved leases held"
dn_stop_defnetd || dn_fail "defnetd exited with $DN_DAEMON_RC"
dn_done
