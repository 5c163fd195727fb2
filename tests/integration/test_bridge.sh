#!/bin/bash
# The bridge: created with a stable, locally administered MAC and the
# gateway address, up, forwarding on; left in place on SIGTERM; adopted on
# restart with the same MAC and subnet; recreated with the same MAC when
# gone; guests plugged into it count as ports.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
dn_find_binaries
dn_topology

dn_start_defnetd
dn_assert_grep "bridge $DN_BRIDGE created" "$DN_LOG" "log: bridge $DN_BRIDGE created"
dn_assert_grep "subnet" "$DN_LOG" "log: a line about the subnet"

link="$DN_DIR/link.json"
dn_h ip -j -d link show dev "$DN_BRIDGE" >"$link" || dn_fail "no link $DN_BRIDGE"
dn_assert_eq "$(dn_json "$link" 'd[0]["linkinfo"]["info_kind"]')" bridge "$DN_BRIDGE is a bridge"
dn_assert_eq "$(dn_json "$link" '"UP" in d[0]["flags"]')" true "$DN_BRIDGE is up"
mac=$(dn_json "$link" 'd[0]["address"]')
dn_assert_eq "$(dn_py -c 'import sys; b=int(sys.argv[1][:2],16); print(b & 3)' "$mac")" 2 \
	"MAC $mac is locally administered unicast"

st="$DN_DIR/status1.json"
dn_status_json "$st"
subnet=$(dn_json "$st" 'd["subnet"]')
gateway=$(dn_json "$st" 'd["gateway"]')
plen=${subnet#*/}
dn_assert_eq "$gateway" "$(dn_subnet_host "$subnet" 1)" "gateway is the first host of $subnet"
addrs=$(dn_h ip -j -4 addr show dev "$DN_BRIDGE" |
	dn_py -c 'import json,sys; print(" ".join("%s/%d" % (a["local"], a["prefixlen"]) for l in json.load(sys.stdin) for a in l.get("addr_info", [])))')
case " $addrs " in
*" $gateway/$plen "*) dn_ok "bridge carries $gateway/$plen" ;;
*) dn_fail "bridge addresses '$addrs' lack $gateway/$plen" ;;
esac
dn_assert_eq "$(dn_json "$st" 'd["mac"].lower()')" "$mac" "status mac is the link's"
dn_assert_eq "$(dn_h sysctl -n net.ipv4.ip_forward)" 1 "ip_forward=1 in the host namespace"
dn_assert_eq "$(dn_status_nports "$st")" 0 "no ports yet"

dn_stop_defnetd
dn_assert_eq "$DN_DAEMON_RC" 0 "SIGTERM: exit 0"
dn_assert_eq "$(dn_notify_count STOPPING=1)" 1 "STOPPING=1 sent"
dn_assert "the bridge stays after stop" dn_h ip link show dev "$DN_BRIDGE"

dn_start_defnetd
dn_assert_grep "bridge $DN_BRIDGE adopted" "$DN_LOG" "restart: log says adopted"
dn_assert_no_grep "bridge $DN_BRIDGE created" "$DN_LOG" "restart: not created anew"
st="$DN_DIR/status2.json"
dn_status_json "$st"
dn_assert_eq "$(dn_json "$st" 'd["mac"].lower()')" "$mac" "restart: same MAC"
dn_assert_eq "$(dn_json "$st" 'd["subnet"]')" "$subnet" "restart: same subnet"
dn_assert_eq "$(dn_h ip -j link show dev "$DN_BRIDGE" | dn_py -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')" \
	"$mac" "restart: the link keeps the MAC"

dn_guest g1
port=$(dn_guest_port g1)
dn_ports_are()
{
	dn_ctl status --json >"$DN_DIR/ports.json" 2>/dev/null &&
		[ "$(dn_status_nports "$DN_DIR/ports.json")" = "$1" ]
}
dn_assert_wait 5 "guest port $port counts in status" dn_ports_are 1
st="$DN_DIR/status3.json"
dn_status_json "$st"
dn_assert_eq "$(dn_status_nports "$st")" 1 "status: one port"
ports=$(dn_status_ports "$st")
case $ports in
"#"*) dn_ok "status: ports is a count" ;;
*) dn_assert_eq "$ports" "$port" "status: the port is $port" ;;
esac

dn_stop_defnetd
dn_assert_eq "$DN_DAEMON_RC" 0 "second SIGTERM: exit 0"
master=$(dn_h ip -j link show dev "$port" | dn_py -c 'import json,sys; print(json.load(sys.stdin)[0].get("master",""))')
dn_assert_eq "$master" "$DN_BRIDGE" "the guest stays plugged in across the stop"

# Gone bridge: recreated, with the MAC derived again, not a random one.
dn_h ip link del dev "$DN_BRIDGE" || dn_fail "delete the bridge"
dn_start_defnetd
dn_assert_grep "bridge $DN_BRIDGE created" "$DN_LOG" "after deletion: created again"
dn_assert_eq "$(dn_h ip -j link show dev "$DN_BRIDGE" | dn_py -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')" \
	"$mac" "after deletion: the same derived MAC"
dn_stop_defnetd
dn_assert_eq "$DN_DAEMON_RC" 0 "third SIGTERM: exit 0"

dn_done
