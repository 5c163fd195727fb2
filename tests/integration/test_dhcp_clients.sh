#!/bin/bash
# DHCP with real clients: dhclient, dhcpcd and udhcpc each get a lease with
# router, DNS server and lease time, renew it keeping the address (RENEWING
# at T1 of a 60 s lease), and release it; the host name each sends is
# recorded (leases --json); each lease event reaches the journal with its
# DEFNET_* fields and the event kind's MESSAGE_ID.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015
DN_NEEDS="dnsmasq socat dig dhclient dhcpcd udhcpc"
. "$(dirname "$0")/lib.sh"
dn_find_binaries
dn_topology
cat >>"$DN_CONF" <<-EOF
[DHCP]
LeaseTime=60s
EOF

MSGID_ACK=b56de6afcab247b7ac72f21a5ed05325
MSGID_RELEASE=baad9e385e2b4261880d4c3c7370f4df

# defnetd with its log going to a stand-in journal.
jlog="$DN_DIR/journal.jsonl"
dn_start_defnetd_journal "$jlog"

dn_status_json "$DN_DIR/st.json"
gw=$(dn_json "$DN_DIR/st.json" 'd["gateway"]')
subnet=$(dn_json "$DN_DIR/st.json" 'd["subnet"]')

# Each client's hook records what it got in lease-NAME.env, one file per
# event (reason-N), and nothing outside its namespace is touched.
hook()
{
	local name=$1 f="$DN_DIR/hook-$1"
	cat >"$f" <<-EOF
	#!/bin/sh
	PATH=/usr/sbin:/usr/bin:/sbin:/bin
	r=\${reason:-\$1}
	env | sort >"$DN_DIR/lease-$name.\$r.env"
	env | sort >"$DN_DIR/lease-$name.env"
	case "\$r" in
	bound|renew)
		ip addr flush dev "\$interface"
		ip addr add "\$ip/\$mask" dev "\$interface" ;;
	BOUND|RENEW|REBIND|REBOOT)
		[ -n "\${new_ip_address:-}" ] && [ -n "\${new_subnet_mask:-}" ] &&
			ip addr replace "\$new_ip_address/\$new_subnet_mask" dev "\$interface" ;;
	esac
	exit 0
	EOF
	chmod 755 "$f"
	printf '%s' "$f"
}

dn_guest dc
dn_guest dd
dn_guest du
mac_of() { dn_in "$(dn_guest_ns "$1")" cat /sys/class/net/eth0/address; }

printf 'send host-name "gdc";\n' >"$DN_DIR/dhclient.conf"
dn_bg "$(dn_guest_ns dc)" "$DN_DIR/dhclient.log" dhclient -d -v -4 \
	-cf "$DN_DIR/dhclient.conf" -sf "$(hook dc)" -pf "$DN_DIR/dhclient.pid" \
	-lf "$DN_DIR/dhclient.leases" eth0
pid_dc=$DN_BG_PID
# dhcpcd keeps its DUID and leases in /var/lib/dhcpcd (the package makes
# it) and its sockets in /run/dhcpcd: private tmpfs over /var/lib/dhcpcd
# and /run, so the machine's files stay untouched.
# shellcheck disable=SC2016 # expanded by the inner shell
dn_bg "$(dn_guest_ns dd)" "$DN_DIR/dhcpcd.log" unshare --mount --propagation private sh -c '
	mount -t tmpfs -o mode=0755 dn-dhcpcd /var/lib/dhcpcd &&
	mount -t tmpfs -o mode=0755 dn-dhcpcd /run || exit 97
	exec dhcpcd -B -4 -K -L -A --noipv4ll -d -h gdd -c "$0" eth0' "$(hook dd)"
pid_dd=$DN_BG_PID
dn_bg "$(dn_guest_ns du)" "$DN_DIR/udhcpc.log" udhcpc -f -i eth0 \
	-s "$(hook du)" -x hostname:gdu -t 10 -T 2
pid_du=$DN_BG_PID

value() { sed -n "s/^$2=//p" "$DN_DIR/lease-$1.$3.env" 2>/dev/null | tr -d "'" | head -n 1; }
dn_assert_wait 30 "dhclient: bound" test -s "$DN_DIR/lease-dc.BOUND.env"
dn_assert_wait 30 "dhcpcd: bound" test -s "$DN_DIR/lease-dd.BOUND.env"
dn_assert_wait 30 "udhcpc: bound" test -s "$DN_DIR/lease-du.bound.env"
ip_dc=$(value dc new_ip_address BOUND)
ip_dd=$(value dd new_ip_address BOUND)
ip_du=$(value du ip bound)
for ip in "$ip_dc" "$ip_dd" "$ip_du"; do
	dn_overlap "$ip/32" "$subnet" || dn_fail "address '$ip' is not in $subnet"
done
dn_ok "three addresses in $subnet: $ip_dc $ip_dd $ip_du"
dn_assert_eq "$(value dc new_routers BOUND) $(value dc new_domain_name_servers BOUND) $(value dc new_dhcp_lease_time BOUND)" \
	"$gw $gw 60" "dhclient: router, DNS server, lease time"
dn_assert_eq "$(value dd new_routers BOUND) $(value dd new_domain_name_servers BOUND) $(value dd new_dhcp_lease_time BOUND)" \
	"$gw $gw 60" "dhcpcd: router, DNS server, lease time"
dn_assert_eq "$(value du router bound) $(value du dns bound) $(value du lease bound)" \
	"$gw $gw 60" "udhcpc: router, DNS server, lease time"

leases="$DN_DIR/leases.json"
lease_of()
{
	dn_ctl leases --json >"$leases" || return 1
	dn_json "$leases" "[(l['ip'], l['hostname']) for l in d if l['mac'] == '$1']"
}
dn_assert_eq "$(lease_of "$(mac_of dc)")" "[[\"$ip_dc\", \"gdc\"]]" "dhclient's lease and host name"
dn_assert_eq "$(lease_of "$(mac_of dd)")" "[[\"$ip_dd\", \"gdd\"]]" "dhcpcd's lease and host name"
dn_assert_eq "$(lease_of "$(mac_of du)")" "[[\"$ip_du\", \"gdu\"]]" "udhcpc's lease and host name"
dn_assert_eq "$(dn_json "$leases" 'sorted(d[0].keys())')" \
	'["expires", "hostname", "ip", "ip6", "mac", "static"]' "leases --json keys"
dn_assert_eq "$(dn_json "$leases" 'all(0 < l["expires"] - __import__("time").time() <= 61 for l in d)')" \
	true "expires: Unix seconds, within the lease time"

# RENEWING at T1 (30 s): unicast, same address, a renewal event each.
renewed()
{
	grep -q "\"DEFNET_EVENT\": \"ack-renew\"" "$jlog" &&
		[ "$(dn_py - "$jlog" "$1" "$2" <<-'EOF'
		import json, sys
		n = 0
		for l in open(sys.argv[1]):
		    e = json.loads(l)
		    if e.get("DEFNET_EVENT") == "ack-renew" and e.get("DEFNET_MAC") == sys.argv[2] \
		       and e.get("DEFNET_IP") == sys.argv[3]:
		        n += 1
		print(n)
		EOF
		)" -gt 0 ]
}
dn_assert_wait 60 "dhclient renewed $ip_dc" renewed "$(mac_of dc)" "$ip_dc"
dn_assert_wait 20 "dhcpcd renewed $ip_dd" renewed "$(mac_of dd)" "$ip_dd"
dn_assert_wait 20 "udhcpc renewed $ip_du" renewed "$(mac_of du)" "$ip_du"

dn_journal_event()
{
	dn_py - "$jlog" "$@" <<-'EOF'
	import json, sys
	path, event, mac, ip, msgid, host = sys.argv[1:]
	for l in open(path):
	    e = json.loads(l)
	    if e.get("DEFNET_EVENT") == event and e.get("DEFNET_MAC") == mac:
	        want = {"DEFNET_IP": ip, "MESSAGE_ID": msgid, "DEFNET_HOSTNAME": host}
	        bad = {k: e.get(k) for k, v in want.items() if e.get(k) != v}
	        sys.exit("%s: %r" % (event, bad) if bad else 0)
	sys.exit("no %s event for %s" % (event, mac))
	EOF
}
out=$(dn_journal_event ack-new "$(mac_of dd)" "$ip_dd" "$MSGID_ACK" gdd) || dn_fail "$out"
dn_ok "journal: ack-new with DEFNET_MAC, DEFNET_IP, DEFNET_HOSTNAME and the ACK MESSAGE_ID"

# Release: DHCPRELEASE from each; the lease leaves the list.
kill -USR2 "$pid_du"
# dhcpcd releases on SIGALRM (what dhcpcd -k asks for), udhcpc on SIGUSR2.
kill -ALRM "$pid_dd"
dn_in "$(dn_guest_ns dc)" timeout 20 dhclient -r -v -4 -cf "$DN_DIR/dhclient.conf" \
	-sf "$(hook dc)" -pf "$DN_DIR/dhclient.pid" -lf "$DN_DIR/dhclient.leases" eth0 \
	>>"$DN_DIR/dhclient.log" 2>&1
released() { dn_journal_event release "$1" "$2" "$MSGID_RELEASE" "$3" >/dev/null 2>&1; }
dn_assert_wait 10 "dhclient released" released "$(mac_of dc)" "$ip_dc" gdc
dn_assert_wait 10 "dhcpcd released" released "$(mac_of dd)" "$ip_dd" gdd
dn_assert_wait 10 "udhcpc released" released "$(mac_of du)" "$ip_du" gdu
dn_assert_eq "$(dn_ctl leases --json | dn_py -c 'import json,sys; print(len(json.load(sys.stdin)))')" 0 \
	"no live lease left"
dn_kill "$pid_dc" 2
dn_kill "$pid_dd" 2
dn_kill "$pid_du" 2
dn_done
