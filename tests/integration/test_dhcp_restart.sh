#!/bin/bash
# Leases survive restarts: after a clean stop and after kill -9, every lease
# is still listed, dhclient (INIT-REBOOT from its lease file) and udhcpc
# (RENEWING, on SIGUSR1) keep their addresses, and a client coming back
# after its lease was forgotten by nobody gets the same address (sticky).
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015
DN_NEEDS="dnsmasq socat dig dhclient udhcpc"
. "$(dirname "$0")/lib.sh"
dn_find_binaries
DN_SERVICES=0 dn_topology
dn_start_defnetd
dn_guest g1
dn_guest g2
dn_guest py
client() { dn_in "$(dn_guest_ns py)" timeout 20 "$DN_PYTHON" "$DN_LIB_DIR/dhcp_client.py" eth0 "$@"; }
leases() { dn_ctl leases --json | dn_py -c 'import json,sys; print(" ".join(sorted("%s=%s" % (l["mac"], l["ip"]) for l in json.load(sys.stdin))))'; }

dn_dhcp_guest g1 || dn_fail "dhclient got no lease"
ip1=$(dn_lease_value g1 new_ip_address)
cat >"$DN_DIR/udhcpc-script" <<-EOF
#!/bin/sh
[ "\$1" = bound ] || [ "\$1" = renew ] || exit 0
ip addr replace "\$ip/\$mask" dev "\$interface"
echo "\$1 \$ip" >>"$DN_DIR/udhcpc-events"
EOF
chmod 755 "$DN_DIR/udhcpc-script"
dn_bg "$(dn_guest_ns g2)" "$DN_DIR/udhcpc.log" udhcpc -f -i eth0 -s "$DN_DIR/udhcpc-script" -t 10 -T 2
pid_u=$DN_BG_PID
dn_assert_wait 20 "udhcpc bound" grep -q "^bound " "$DN_DIR/udhcpc-events"
ip2=$(sed -n 's/^bound //p' "$DN_DIR/udhcpc-events" | head -n 1)
ipp=()
for i in 1 2 3; do
	out=$(client "52:54:00:00:66:0$i" dora) && [ "${out%% *}" = ACK ] || dn_fail "client $i: $out"
	ipp[i]=${out#ACK }
done
before=$(leases)
dn_assert_eq "$(wc -w <<<"$before")" 5 "five leases"

dn_stop_defnetd
dn_assert_eq "$DN_DAEMON_RC" 0 "clean stop"
dn_start_defnetd
dn_assert_eq "$(leases)" "$before" "after a restart: the same leases"
kill -KILL "$DN_DAEMON_PID"
wait "$DN_DAEMON_PID" 2>/dev/null
DN_DAEMON_PID=""
dn_start_defnetd
dn_assert_eq "$(leases)" "$before" "after kill -9: the same leases"

dn_dhcp_guest g1 || dn_fail "dhclient got no lease after the restarts"
dn_assert_eq "$(dn_lease_value g1 new_ip_address)" "$ip1" "dhclient keeps $ip1 (INIT-REBOOT)"
dn_assert_grep "DHCPACK, renewed: $ip1 " "$DN_LOG" "dhclient's lease was renewed, not made anew"
kill -USR1 "$pid_u"
dn_assert_wait 10 "udhcpc renews $ip2 (RENEWING)" grep -q "^renew $ip2\$" "$DN_DIR/udhcpc-events"
dn_assert_grep "DHCPACK, renewed: $ip2 " "$DN_LOG" "udhcpc's lease was renewed"
for i in 1 2 3; do
	dn_assert_eq "$(client "52:54:00:00:66:0$i" dora)" "ACK ${ipp[i]}" "client $i comes back to ${ipp[i]}"
done
dn_kill "$pid_u" 2
dn_done
