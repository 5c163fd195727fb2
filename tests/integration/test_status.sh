#!/bin/bash
# defnetctl status: the JSON object agrees with the kernel (bridge, ifindex,
# MAC, gateway, ports, uplink as the routing table changes); the text form
# names the bridge; the socket is 0660 and an unprivileged user is refused;
# bad usage is exit 2.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
dn_find_binaries
dn_topology
dn_start_defnetd
dn_guest g1
dn_guest g2

st="$DN_DIR/status.json"
dn_status_json "$st"
dn_ok "status --json parses as an object"
for k in version pid bridge ifindex mac subnet subnet_mode gateway uplink ports leases reservations uptime; do
	dn_json "$st" "'$k' in d" | grep -qx true || { cat "$st" >&2; dn_fail "status: no key \"$k\""; }
done
dn_ok "status has every contract key"

link="$DN_DIR/link.json"
dn_h ip -j link show dev "$DN_BRIDGE" >"$link" || dn_fail "no link $DN_BRIDGE"
dn_assert_eq "$(dn_json "$st" 'd["bridge"]')" "$DN_BRIDGE" "bridge"
dn_assert_eq "$(dn_json "$st" 'd["ifindex"]')" "$(dn_json "$link" 'd[0]["ifindex"]')" "ifindex agrees with ip"
dn_assert_eq "$(dn_json "$st" 'd["mac"].lower()')" "$(dn_json "$link" 'd[0]["address"]')" "mac agrees with ip"
dn_assert_eq "$(dn_json "$st" 'd["pid"]')" "$DN_DAEMON_PID" "pid"
dn_assert_eq "$(dn_json "$st" 'd["subnet_mode"]')" auto "subnet_mode"
dn_assert_eq "$(dn_json "$st" 'isinstance(d["uptime"], (int, float)) and d["uptime"] >= 0')" true "uptime is a number"
version=$(dn_json "$st" 'd["version"]')
dn_defnetd_once --version
grep -qF -- "$version" "$DN_ONCE_ERR" || dn_fail "status version '$version' is not in 'defnetd --version': $(cat "$DN_ONCE_ERR")"
dn_ok "version $version agrees with defnetd --version"

subnet=$(dn_json "$st" 'd["subnet"]')
gateway=$(dn_json "$st" 'd["gateway"]')
addrs=$(dn_h ip -j -4 addr show dev "$DN_BRIDGE" |
	dn_py -c 'import json,sys; print(" ".join("%s/%d" % (a["local"], a["prefixlen"]) for l in json.load(sys.stdin) for a in l.get("addr_info", [])))')
case " $addrs " in
*" $gateway/${subnet#*/} "*) dn_ok "gateway $gateway/${subnet#*/} is on the bridge" ;;
*) dn_fail "bridge addresses '$addrs' lack $gateway/${subnet#*/}" ;;
esac

want=$(dn_h ip -j link show master "$DN_BRIDGE" | dn_py -c 'import json,sys; print(" ".join(sorted(l["ifname"] for l in json.load(sys.stdin))))')
dn_assert_eq "$want" "$(dn_guest_port g1) $(dn_guest_port g2)" "ip: the two guests are the bridge's ports"
ports=$(dn_status_ports "$st" | sort | tr '\n' ' ')
ports=${ports% }
case $ports in
"#"*) dn_assert_eq "$ports" "#2" "status: two ports" ;;
*) dn_assert_eq "$ports" "$want" "status: ports agree with ip" ;;
esac

dn_assert_eq "$(dn_json "$st" 'd["uplink"]["interface"]')" up0 "uplink interface up0"
dn_assert_eq "$(dn_json "$st" 'd["uplink"]["gateway"]')" "$DN_UP0_PEER" "uplink gateway $DN_UP0_PEER"

# The uplink follows the routing table.
dn_uplink_is()
{
	dn_ctl status --json >"$DN_DIR/uplink.json" 2>/dev/null &&
		[ "$(dn_json "$DN_DIR/uplink.json" "$1")" = "$2" ]
}
dn_h ip route del default via "$DN_UP0_PEER" dev up0 || dn_fail "delete up0 default"
dn_assert_wait 5 "without up0's default route: uplink up1" \
	dn_uplink_is 'd["uplink"] and d["uplink"]["interface"] + " " + d["uplink"]["gateway"]' "up1 $DN_UP1_PEER"
dn_h ip route del default via "$DN_UP1_PEER" dev up1 || dn_fail "delete up1 default"
dn_assert_wait 5 "without any default route: uplink null" dn_uplink_is 'd["uplink"] is None' true
dn_h ip route add default via "$DN_UP0_PEER" dev up0 metric 100 || dn_fail "restore up0 default"
dn_assert_wait 5 "up0's route back: uplink up0" \
	dn_uplink_is 'd["uplink"] and d["uplink"]["interface"]' up0

txt="$DN_DIR/status.txt"
dn_ctl status >"$txt" 2>&1 || { cat "$txt" >&2; dn_fail "defnetctl status failed"; }
dn_assert_grep "$DN_BRIDGE" "$txt" "text status names the bridge"
dn_assert_grep "${subnet%/*}" "$txt" "text status names the subnet"

mode=$(stat -c %a "$DN_RUNTIME/control") || dn_fail "no control socket at $DN_RUNTIME/control"
dn_assert_eq "$mode" 660 "control socket mode"
err="$DN_DIR/nobody.err"
dn_h setpriv --reuid=65534 --regid=65534 --clear-groups \
	timeout 10 "$DEFNETCTL" --socket "$DN_RUNTIME/control" status >/dev/null 2>"$err"
rc=$?
dn_assert_eq "$rc" 1 "unprivileged user (65534): exit 1"
dn_assert_grep '[Pp]ermission denied|EACCES' "$err" "unprivileged user: permission denied ($(head -n 1 "$err"))"

dn_ctl no-such-command >/dev/null 2>&1
dn_assert_eq "$?" 2 "unknown command: exit 2"
dn_ctl >/dev/null 2>&1
dn_assert_eq "$?" 2 "no command: exit 2"
dn_ctl status --bogus >/dev/null 2>&1
dn_assert_eq "$?" 2 "status --bogus: exit 2"
dn_h timeout 10 "$DEFNETCTL" --socket "$DN_DIR/no-such-socket" status >/dev/null 2>&1
dn_assert_eq "$?" 1 "no daemon at the socket: exit 1"

dn_stop_defnetd
dn_assert_eq "$DN_DAEMON_RC" 0 "SIGTERM: exit 0"
dn_done
