#!/bin/bash
# defnet on a real systemd host: a Debian 12 system booted in a container,
# defnet installed into it from its Debian package (`apt-get install
# ./defnet_*.deb`, whose scripts create the user, enable and start the
# service). Then: defnetd is active under its sandbox,
# the bridge is up, a second booted container (systemd-networkd, hostname
# vm1) plugged into the bridge gets a lease, the host's journal tells it
# (journalctl -u defnetd, journalctl DEFNET_MAC=...), the host resolves
# vm1.local (avahi and nss-mdns, as a desktop would; with BOOT_VARIANT=
# resolved, systemd-resolved and nss-resolve instead: resolved has mDNS on
# the bridge and resolves vm1.local, and vm1.guests with Domain=guests
# routed to the gateway; its MulticastDNS=no is reported by `defnetctl
# status` with its fix), and the guest reaches the upstream through the NAT. The same version installed again with a
# changed file restarts the service with the leases kept. Last, defnetd
# started by hand as root drops to the defnet user, and `apt-get purge`
# removes the bridge, the table, /var/lib/defnet and /etc/defnet.
#
#   upstream ns (dn_topology)   host ns = the host container's network
#     dnsmasq, echo service  <-- up0/up1 --> defnetd.service, defnet0
#                                               |
#                                             vb-vm1 <-veth-> eth0: the guest
#                                                             container's ns
#
# The Debian root comes from debootstrap once and is cached, keyed by its
# package list, in DEFNET_TEST_CACHE (default /var/cache/defnet-test, a
# folder this test owns); each run boots copies of it. systemd-nspawn runs in
# a private mount namespace with cgroup2 on /sys/fs/cgroup and in a cgroup
# of the test's own, removed at the end, like the namespaces, the copies and
# every process the test started, whatever happened.
#
# Environment: DEFNET_DEB (the package to install; tools/test builds it
# with tools/deb; without it this test builds one from the working tree),
# DEFNET_TEST_CACHE, DEFNET_TEST_MIRROR (a Debian mirror).
# (a Debian mirror).
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015,SC2016,SC2317
DN_NEEDS="dnsmasq socat dig debootstrap systemd-nspawn nsenter unshare dpkg-deb flock"
. "$(dirname "$0")/lib.sh"

BOOT_CACHE=${DEFNET_TEST_CACHE:-/var/cache/defnet-test}
BOOT_MIRROR=${DEFNET_TEST_MIRROR:-http://deb.debian.org/debian}
BOOT_SUITE=bookworm
# What defnetd needs at run time, what the check of vm1.local uses (avahi
# and nss-mdns, which a desktop has), and a bootable systemd.
BOOT_PACKAGES="systemd,systemd-sysv,dbus,iproute2,libevent-core-2.1-7,libc-ares2,libmnl0,libnftnl11"
BOOT_VARIANT=${BOOT_VARIANT:-avahi}
case $BOOT_VARIANT in
avahi) BOOT_PACKAGES="$BOOT_PACKAGES,avahi-daemon,libnss-mdns" ;;
resolved) BOOT_PACKAGES="$BOOT_PACKAGES,systemd-resolved,libnss-resolve" ;;
*) dn_fail "BOOT_VARIANT is avahi or resolved, not '$BOOT_VARIANT'" ;;
esac
BOOT_RECIPE=2  # bump when the image's preparation below changes
BOOT_CG="defnet-test-$DN_ID"
# CAP_NET_ADMIN, CAP_NET_BIND_SERVICE, CAP_NET_RAW: capability(7) bits 12, 10, 13.
BOOT_CAPS=0000000000003400
BOOT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

BOOT_NSPAWN=()  # nspawn PIDs, host first
BOOT_HOST_PID=""
BOOT_GUEST_PID=""

[ -d /sys/fs/cgroup ] || dn_skip "no /sys/fs/cgroup"

# Two Debian roots do not belong in /tmp, where test runs on a shared
# machine sweep /tmp/dn-*: this run's files live in the cache's folder,
# removed at exit like the harness's.
mkdir -p "$BOOT_CACHE" || dn_fail "cannot create $BOOT_CACHE"
rm -rf "$DN_DIR"
DN_DIR=$(mktemp -d "$BOOT_CACHE/run-$DN_ID.XXXXXX") || dn_fail "mktemp in $BOOT_CACHE"
chmod 755 "$DN_DIR"
DN_STATE="$DN_DIR/state"
DN_RUNTIME="$DN_DIR/run"
DN_CONF="$DN_DIR/defnet.conf"
mkdir -p "$DN_STATE" "$DN_RUNTIME"
dn_default_config >"$DN_CONF"
dn_say "files moved to $DN_DIR"

# ------------------------------------------------------------- clean-up

# boot_cg CMD: runs the shell command CMD with cgroup2 on /sys/fs/cgroup,
# in a private mount namespace (the machine's mounts stay as they are).
boot_cg()
{
	unshare -m --propagation private sh -c \
		'umount -R /sys/fs/cgroup 2>/dev/null; mount -t cgroup2 none /sys/fs/cgroup && eval "$0"' "$1"
}

# Stops each container (nspawn turns SIGTERM into a clean poweroff), then
# removes the test's cgroup, before lib.sh's clean-up does the rest.
boot_exit()
{
	local rc=$? i pid
	trap '' INT TERM
	for ((i = ${#BOOT_NSPAWN[@]} - 1; i >= 0; i--)); do
		dn_kill "${BOOT_NSPAWN[i]}" 30
	done
	boot_cg "[ -d /sys/fs/cgroup/$BOOT_CG ] || exit 0
		for pid in \$(cat \$(find /sys/fs/cgroup/$BOOT_CG -name cgroup.procs)); do kill -KILL \$pid; done
		sleep 0.2
		find /sys/fs/cgroup/$BOOT_CG -depth -type d -exec rmdir {} +" 2>/dev/null
	(exit "$rc")
	dn_cleanup
}
trap boot_exit EXIT
boot_cg true 2>/dev/null || dn_skip "cannot mount cgroup2 in a mount namespace (systemd-nspawn needs it)"

# ----------------------------------------------------------------- image

# boot_image: the cached Debian root, built on first use (under a lock, in
# a temporary folder renamed when complete). Leaves its path in BOOT_BASE.
boot_image()
{
	local key tmp rc
	key=$(printf '%s\n' "$BOOT_SUITE" "$BOOT_PACKAGES" "$BOOT_RECIPE" | sha256sum | cut -c1-16)
	BOOT_BASE="$BOOT_CACHE/debian12-$BOOT_VARIANT-$key"
	exec 9>"$BOOT_CACHE/lock"
	flock -w 900 9 || dn_fail "another run holds $BOOT_CACHE/lock"
	# A run's folder a day old is a dead run's (a live one is minutes old).
	find "$BOOT_CACHE" -mindepth 1 -maxdepth 1 -name 'run-*' -mmin +1440 -exec rm -rf {} +
	if [ ! -e "$BOOT_BASE/.complete" ]; then
		# Under the lock anything half-built is a dead run's.
		rm -rf "$BOOT_CACHE"/build.* "$BOOT_BASE"
		tmp=$(mktemp -d "$BOOT_CACHE/build.XXXXXX") || dn_fail "mktemp in $BOOT_CACHE"
		dn_say "debootstrap $BOOT_SUITE into $BOOT_CACHE (once; about 35 s)"
		timeout 900 debootstrap --variant=minbase --include="$BOOT_PACKAGES" \
			"$BOOT_SUITE" "$tmp/root" "$BOOT_MIRROR" >"$DN_DIR/debootstrap.log" 2>&1
		rc=$?
		if [ "$rc" != 0 ]; then
			tail -n 20 "$DN_DIR/debootstrap.log" >&2
			rm -rf "$tmp"
			dn_skip "debootstrap failed (exit $rc): is $BOOT_MIRROR reachable?"
		fi
		boot_image_prepare "$tmp/root"
		mv "$tmp" "$BOOT_BASE" && touch "$BOOT_BASE/.complete" || dn_fail "cannot keep the image"
		# Only the current image of each variant is kept.
		find "$BOOT_CACHE" -mindepth 1 -maxdepth 1 -name 'debian12-*' ! -path "$BOOT_BASE" \
			! -name "debian12-$(boot_other_variant)-*" -exec rm -rf {} +
	fi
	flock -u 9
	exec 9>&-
}

boot_other_variant() { [ "$BOOT_VARIANT" = avahi ] && echo resolved || echo avahi; }

# What every copy shares: no machine id (systemd makes one per boot, so
# host and guest differ; D-Bus's copy would be used instead), no hostname or resolv.conf of the machine that ran
# debootstrap, no package cache.
boot_image_prepare()
{
	local root=$1
	: >"$root/etc/machine-id"
	rm -f "$root/var/lib/dbus/machine-id"
	rm -f "$root/etc/hostname"
	# systemd-resolved's package makes it a link to its stub, whose
	# absolute target is no file of this root.
	rm -f "$root/etc/resolv.conf"
	: >"$root/etc/resolv.conf"
	rm -f "$root"/var/cache/apt/archives/*.deb
}

# boot_copy NAME: a copy of the image at DN_DIR/NAME.
boot_copy()
{
	cp -a --reflink=auto "$BOOT_BASE/root" "$DN_DIR/$1" || dn_fail "cannot copy the image for $1"
}

# boot_package: the .deb to install (DEFNET_DEB, or one built now from the
# working tree), and the same version with one file changed, for the
# upgrade; both copied into the host's /root.
boot_package()
{
	local deb=${DEFNET_DEB:-} x="$DN_DIR/deb-changed"
	if [ -z "$deb" ]; then
		dn_say "no DEFNET_DEB: building the package (tools/deb --worktree --no-install)"
		"$DN_REPO/tools/deb" --worktree --no-install "$DN_DIR/deb" >"$DN_DIR/deb.log" 2>&1 ||
			{ tail -n 30 "$DN_DIR/deb.log" >&2; dn_fail "tools/deb could not build the package"; }
		deb=$(ls "$DN_DIR"/deb/defnet_*_amd64.deb)
	fi
	[ -f "$deb" ] || dn_fail "no package at '$deb'"
	dpkg-deb -R "$deb" "$x" || dn_fail "dpkg-deb -R $deb"
	echo "# installed again by the boot test" >>"$x/usr/share/defnet/defnet.conf"
	dpkg-deb -b "$x" "$DN_DIR/host/root/defnet-changed.deb" >/dev/null || dn_fail "dpkg-deb -b"
	cp "$deb" "$DN_DIR/host/root/defnet.deb" || dn_fail "cannot copy $deb into the host"
}

# The host: the image as it is, the upstream's resolvers; defnet comes
# from its package once the host has booted.
boot_prepare_host()
{
	local root="$DN_DIR/host"
	boot_copy host
	boot_package
	printf 'nameserver %s\nnameserver %s\n' "$DN_UP0_PEER" "$DN_UP1_PEER" >"$root/etc/resolv.conf"
}

# The guest: systemd-networkd as its DHCP client on eth0, hostname vm1, and
# no avahi of its own (vm1.local must come from defnet, not from vm1).
boot_prepare_guest()
{
	local root="$DN_DIR/guest"
	boot_copy guest
	echo vm1 >"$root/etc/hostname"
	mkdir -p "$root/etc/systemd/network"
	printf '[Match]\nName=eth0\n[Network]\nDHCP=ipv4\n' >"$root/etc/systemd/network/50-eth0.network"
	systemctl --root="$root" enable systemd-networkd.service >/dev/null 2>&1 ||
		dn_fail "systemctl --root enable systemd-networkd"
	if [ "$BOOT_VARIANT" = avahi ]; then
		systemctl --root="$root" mask avahi-daemon.service avahi-daemon.socket >/dev/null 2>&1 ||
			dn_fail "systemctl --root mask avahi-daemon"
	else
		systemctl --root="$root" mask systemd-resolved.service >/dev/null 2>&1 ||
			dn_fail "systemctl --root mask systemd-resolved"
	fi
}

# ------------------------------------------------------------ containers

# boot_start NAME NETNS: boots DN_DIR/NAME on the network namespace NETNS,
# in the test's cgroup; leaves nspawn's PID in BOOT_PID and the console in
# DN_DIR/NAME-console.log.
boot_start()
{
	local name=$1 ns=$2
	# shellcheck disable=SC2016 # for the inner shell
	unshare -m --propagation private sh -c '
		umount -R /sys/fs/cgroup 2>/dev/null
		mount -t cgroup2 none /sys/fs/cgroup || exit 97
		mkdir -p "/sys/fs/cgroup/$0/$1" && echo $$ >"/sys/fs/cgroup/$0/$1/cgroup.procs" || exit 98
		exec systemd-nspawn --boot --register=no --keep-unit --link-journal=no \
			--resolv-conf=off --timezone=off --console=read-only \
			--directory="$2" --machine="$3" --hostname="$4" \
			--private-network --network-namespace-path="/run/netns/$5" \
			--capability=CAP_NET_ADMIN,CAP_NET_RAW,CAP_NET_BIND_SERVICE' \
		"$BOOT_CG" "$name" "$DN_DIR/$name" "$DN_ID-$name" "$name" "$ns" \
		>"$DN_DIR/$name-console.log" 2>&1 </dev/null &
	BOOT_PID=$!
	BOOT_NSPAWN+=("$BOOT_PID")
}

# boot_leader NSPAWN-PID: the container's PID 1 (nspawn's child whose PID
# in its own namespace is 1).
boot_leader()
{
	local c
	for c in $(pgrep -P "$1"); do
		if grep -Eq '^NSpid:[[:space:]]+[0-9]+[[:space:]]+1$' "/proc/$c/status" 2>/dev/null; then
			echo "$c"
			return 0
		fi
	done
	return 1
}

# boot_wait_leader NSPAWN-PID NAME: waits for the container's PID 1 and
# leaves it in BOOT_LEADER.
boot_wait_leader()
{
	local i
	for ((i = 0; i < 150; i++)); do
		BOOT_LEADER=$(boot_leader "$1") && return 0
		dn_alive "$1" || break
		sleep 0.1
	done
	tail -n 30 "$DN_DIR/$2-console.log" >&2
	dn_fail "container $2 did not start"
}

# (Checks that read a command's output with grep let grep read all of it:
# with pipefail, grep -q quitting early would fail the pipe by SIGPIPE.)
#
# boot_in PID CMD...: runs CMD inside the container whose PID 1 is PID
# (every namespace, the container's root), bounded.
boot_in()
{
	local pid=$1
	shift
	timeout -k 2 60 nsenter --target "$pid" --all env -i PATH="$BOOT_PATH" LANG=C.UTF-8 "$@" </dev/null
}
boot_h() { boot_in "$BOOT_HOST_PID" "$@"; }

boot_state() { boot_h systemctl is-system-running 2>/dev/null; }
boot_booted() { case $(boot_state) in running | degraded) return 0 ;; *) return 1 ;; esac; }
boot_active() { [ "$(boot_h systemctl is-active "$1" 2>/dev/null)" = active ]; }

# The main PID of defnetd.service, as the host container sees it.
boot_main_pid() { boot_h systemctl show -P MainPID defnetd.service; }

# boot_status_field PID FIELD: a line of /proc/PID/status in the container.
boot_status_field() { boot_h sh -c "sed -n 's/^$2:[[:space:]]*//p' /proc/$1/status"; }

boot_journal() { boot_h journalctl --no-pager -o cat "$@"; }

dn_find_binaries
boot_image
dn_say "image $BOOT_BASE"
dn_topology
boot_prepare_host
boot_prepare_guest
dn_ok "host and guest roots prepared"

# ------------------------------------------------------- the host boots

boot_start host "$DN_HOST"
host_nspawn=$BOOT_PID
boot_wait_leader "$host_nspawn" host
BOOT_HOST_PID=$BOOT_LEADER
dn_say "host container up (nspawn $host_nspawn, PID 1 is $BOOT_HOST_PID)"
dn_wait 60 boot_booted || {
	boot_h systemctl --failed --no-pager >&2
	tail -n 40 "$DN_DIR/host-console.log" >&2
	dn_fail "host container: not booted after 60 s (state '$(boot_state)')"
}
dn_ok "host container booted ($(boot_state))"

# boot_apt ARGS...: apt-get in the host; nothing to fetch (the image has every
# dependency), its output kept.
boot_apt()
{
	boot_h env DEBIAN_FRONTEND=noninteractive apt-get -y -q "$@" \
		>>"$DN_DIR/apt.log" 2>&1 || { tail -n 30 "$DN_DIR/apt.log" >&2; return 1; }
}
dn_assert "apt-get install ./defnet.deb" boot_apt install /root/defnet.deb
dn_wait 30 boot_active defnetd.service || {
	boot_h systemctl status --no-pager defnetd.service >&2
	boot_journal -u defnetd.service >&2
	dn_fail "defnetd.service is not active 30 s after the package's install"
}
dn_ok "defnetd.service is active: the package's scripts started it"
dn_assert "defnetd.service is enabled (multi-user.target wants it)" \
	boot_h systemctl is-enabled defnetd.service
dn_assert "the package made /etc/defnet/defnet.conf (tmpfiles)" boot_h test -s /etc/defnet/defnet.conf

has_bridge_up() { ip -n "$DN_HOST" -o link show dev "$DN_BRIDGE" 2>/dev/null | grep '[<,]UP[,>]' >/dev/null; }
dn_assert "bridge $DN_BRIDGE exists and is up" has_bridge_up
gw_cidr=$(ip -n "$DN_HOST" -4 -o addr show dev "$DN_BRIDGE" | awk '{print $4; exit}')
[ -n "$gw_cidr" ] || dn_fail "no IPv4 address on $DN_BRIDGE"
dn_ok "$DN_BRIDGE has the gateway address $gw_cidr"
gateway=${gw_cidr%/*}
dn_assert_eq "$(dn_h sysctl -n net.ipv4.ip_forward)" 1 \
	"forwarding on (ExecStartPre=, though ProtectKernelTunables=)"
dn_assert_eq "$(dn_h sysctl -n net.ipv6.conf.all.forwarding)" 1 \
	"IPv6 forwarding on (the same step, IPv6=yes by default)"
dn_assert "nftables table inet defnet is in place" dn_h nft list table inet defnet

# The sandbox as the running system sees it.
main_pid=$(boot_main_pid)
[ -n "$main_pid" ] && [ "$main_pid" != 0 ] || dn_fail "no MainPID for defnetd.service"
defnet_uid=$(boot_h sh -c 'id -u defnet')
dn_assert_eq "$(boot_status_field "$main_pid" Uid | awk '{print $1, $2}')" "$defnet_uid $defnet_uid" \
	"defnetd runs as user defnet"
dn_assert_eq "$(boot_status_field "$main_pid" CapEff)" "$BOOT_CAPS" \
	"effective capabilities: NET_ADMIN, NET_BIND_SERVICE, NET_RAW only"
dn_assert_eq "$(boot_status_field "$main_pid" CapBnd)" "$BOOT_CAPS" "bounding set: the same three"
dn_assert_eq "$(boot_status_field "$main_pid" NoNewPrivs)" 1 "no new privileges"
dn_assert_eq "$(boot_status_field "$main_pid" Seccomp)" 2 "a system call filter"
level=$(boot_h systemd-analyze security --no-pager defnetd.service 2>/dev/null |
	sed -n 's/.*Overall exposure level for defnetd.service: \([0-9.]*\).*/\1/p')
dn_assert "systemd-analyze security on the booted host: exposure $level <= 2.0" \
	dn_py -c 'import sys; sys.exit(0 if sys.argv[1] and float(sys.argv[1]) <= 2.0 else 1)' "$level"
dn_assert "systemd-analyze verify defnetd.service" boot_h systemd-analyze verify --man=no defnetd.service

catalog_listed() { boot_h journalctl --list-catalog --no-pager | grep '^b56de6afcab247b7ac72f21a5ed05325 defnet: ' >/dev/null; }
dn_assert "the journal's catalog has defnet's lease entries" catalog_listed
bridge_logged() { boot_journal -u defnetd.service | grep -E "bridge $DN_BRIDGE (created|adopted)" >/dev/null; }
dn_assert "journalctl -u defnetd: the bridge line" bridge_logged
boot_h defnetctl status --json >"$DN_DIR/status.json" 2>"$DN_DIR/status.err" ||
	{ cat "$DN_DIR/status.err" >&2; dn_fail "defnetctl status inside the host"; }
dn_assert_eq "$(dn_json "$DN_DIR/status.json" 'd["bridge"]')" "$DN_BRIDGE" \
	"defnetctl status (default socket /run/defnet/control)"
dn_assert "systemctl reload defnetd (ExecReload=defnetctl reload)" \
	boot_h systemctl reload defnetd.service
reload_logged() { boot_journal -u defnetd.service | grep "configuration reloaded" >/dev/null; }
dn_assert_wait 10 "... the journal says it reloaded" reload_logged
dn_assert "... and it is still active" boot_active defnetd.service

# ------------------------------------------------------ the guest boots

guest_ns=$(dn_guest_ns vm1)
dn_netns_add "$guest_ns"
ip -n "$DN_HOST" link add vb-vm1 type veth peer name eth0 netns "$guest_ns" ||
	dn_fail "guest veth"
ip -n "$DN_HOST" link set vb-vm1 master "$DN_BRIDGE" && ip -n "$DN_HOST" link set vb-vm1 up ||
	dn_fail "plug vb-vm1 into $DN_BRIDGE"
guest_mac=$(ip -n "$guest_ns" -o link show dev eth0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
boot_start guest "$guest_ns"
boot_wait_leader "$BOOT_PID" guest
BOOT_GUEST_PID=$BOOT_LEADER
dn_say "guest container up (PID 1 is $BOOT_GUEST_PID, MAC $guest_mac)"

guest_addr() { ip -n "$guest_ns" -4 -o addr show dev eth0 | awk '{print $4; exit}'; }
guest_has_addr() { [ -n "$(guest_addr)" ]; }
dn_wait 60 guest_has_addr || {
	boot_in "$BOOT_GUEST_PID" journalctl --no-pager -u systemd-networkd -n 30 >&2
	boot_journal -u defnetd.service -n 30 >&2
	dn_fail "the guest got no lease within 60 s (systemd-networkd as its DHCP client)"
}
guest_ip=$(guest_addr)
guest_ip=${guest_ip%/*}
dn_ok "the guest got $guest_ip by DHCP"
prefix6=$(boot_h defnetctl status --json | dn_py -c 'import json,sys; print(json.load(sys.stdin)["ipv6"]["prefix"])')
[ -n "$prefix6" ] && [ "$prefix6" != None ] || dn_fail "no IPv6 prefix in status"
guest_slaac() { ip -n "$guest_ns" -6 -o addr show dev eth0 scope global | grep -q "inet6 ${prefix6%%::/64}:"; }
dn_assert_wait 20 "the guest configured an address in $prefix6 from the router advertisements" guest_slaac
dn_assert "... inside the bridge's subnet" dn_overlap "$guest_ip/32" "$gw_cidr"

lease_logged() { boot_journal -u defnetd.service | grep -i "$guest_mac" | grep "$guest_ip" >/dev/null; }
dn_assert_wait 10 "journalctl -u defnetd: the lease line (MAC and IP)" lease_logged
by_mac() { boot_journal "DEFNET_MAC=$guest_mac" | grep "$guest_ip" >/dev/null; }
dn_assert_wait 10 "journalctl DEFNET_MAC=$guest_mac finds it" by_mac
explained() { boot_h journalctl --no-pager -x "DEFNET_MAC=$guest_mac" | grep "uses $guest_ip on the bridge" >/dev/null; }
dn_assert "journalctl -x explains it (the installed catalog)" explained
boot_h defnetctl leases --json >"$DN_DIR/leases.json" 2>"$DN_DIR/leases.err" ||
	{ cat "$DN_DIR/leases.err" >&2; dn_fail "defnetctl leases inside the host"; }
dn_assert_eq "$(dn_json "$DN_DIR/leases.json" "[l['hostname'] for l in d if l['mac'] == '$guest_mac'][0]")" \
	vm1 "defnetctl leases: the guest's hostname, sent by systemd-networkd"

resolves_vm1() { [ "$(boot_h getent ahostsv4 vm1.local | awk 'NR == 1 {print $1}')" = "$guest_ip" ]; }
if [ "$BOOT_VARIANT" = avahi ]; then
	dn_assert_wait 15 "the host resolves vm1.local to $guest_ip (nss-mdns, avahi)" resolves_vm1
else
	# systemd-resolved drops every mDNS packet from one of the host's own
	# addresses (the gateway's answers included): it hears defnet through
	# the host-only copies from the guests' addresses (mdns_responder.h).
	mdns_on_link() { boot_h resolvectl mdns "$DN_BRIDGE" 2>/dev/null | grep -q resolve; }
	dn_assert_wait 10 "resolvectl mdns $DN_BRIDGE: resolve (the unit's ExecStartPost=)" mdns_on_link
	resolvectl_local() { boot_h resolvectl query vm1.local 2>&1 | grep "$guest_ip" >/dev/null; }
	dn_assert_wait 15 "resolvectl query vm1.local: $guest_ip (systemd-resolved, mDNS on $DN_BRIDGE)" \
		resolvectl_local
	dn_assert_wait 10 "getent hosts vm1.local: $guest_ip (nss-resolve)" resolves_vm1
	# The unicast path too: the guests' names under Domain=, routed to the
	# gateway's DNS server for that domain.
	boot_h sh -c "printf '[Network]\nDomain=guests\n' >/etc/defnet/defnet.conf &&
		systemctl reload defnetd && resolvectl dns $DN_BRIDGE $gateway &&
		resolvectl domain $DN_BRIDGE '~guests'" || dn_fail "Domain=guests, and resolved routing it to $gateway"
	resolvectl_vm1() { boot_h resolvectl query vm1.guests 2>&1 | grep "$guest_ip" >/dev/null; }
	dn_assert_wait 15 "resolvectl query vm1.guests: $guest_ip (Domain=, unicast DNS to the gateway)" \
		resolvectl_vm1
	getent_vm1() { [ "$(boot_h getent ahostsv4 vm1.guests | awk 'NR == 1 {print $1}')" = "$guest_ip" ]; }
	dn_assert_wait 10 "getent hosts vm1.guests: $guest_ip (nss-resolve)" getent_vm1
	status_hint() { boot_h defnetctl status 2>/dev/null | grep "mdns hint:.*MulticastDNS=no.*fix:" >/dev/null; }
	dn_assert_not "defnetctl status has no mDNS hint while resolved resolves .local" status_hint
	boot_h sh -c 'mkdir -p /etc/systemd/resolved.conf.d &&
		printf "[Resolve]\nMulticastDNS=no\n" >/etc/systemd/resolved.conf.d/90-test-off.conf &&
		systemctl restart systemd-resolved' || dn_fail "turning resolved's mDNS off"
	dn_assert_wait 10 "with MulticastDNS=no, defnetctl status says so with the fix" status_hint
	boot_h defnetctl status --json >"$DN_DIR/status-off.json" || dn_fail "defnetctl status --json"
	dn_assert "... and status --json carries the same hint" \
		grep -q 'MulticastDNS=no' "$DN_DIR/status-off.json"
	boot_h defnetctl doctor >"$DN_DIR/doctor-off.txt" 2>&1
	dn_assert_eq "$?" 1 "... and defnetctl doctor exits 1"
	dn_assert_grep "^FAIL mdns: " "$DN_DIR/doctor-off.txt" "... naming the mdns check"
	dn_assert_grep "fix: .*MulticastDNS=resolve" "$DN_DIR/doctor-off.txt" "... with the fix"
	boot_h sh -c 'rm /etc/systemd/resolved.conf.d/90-test-off.conf && systemctl restart systemd-resolved' ||
		dn_fail "turning resolved's mDNS back on"
fi

seen=$(dn_echo_from "$guest_ns")
dn_assert_eq "$seen" "$DN_UP0_HOST" "the guest reaches the upstream, masqueraded behind the host's uplink"
dn_assert_eq "$(dn_in "$guest_ns" dig +short +time=2 +tries=2 "@$gateway" "www.$DN_ZONE" A)" \
	"$DN_ZONE_WWW" "the guest resolves www.$DN_ZONE through the gateway"

# ------------------------------------------- upgrade: the same version again

old_pid=$(boot_main_pid)
dn_assert "apt-get install --reinstall of the same version with a changed file" \
	boot_apt install --reinstall /root/defnet-changed.deb
restarted() { local p; p=$(boot_main_pid); [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$old_pid" ] && boot_active defnetd.service; }
dn_assert_wait 30 "... the service restarted (MainPID $old_pid -> another)" restarted
changed() { boot_h grep -q "installed again by the boot test" /usr/share/defnet/defnet.conf; }
dn_assert "... and the changed file is in place" changed
lease_kept() {
	boot_h defnetctl leases --json >"$DN_DIR/leases2.json" 2>/dev/null &&
		[ "$(dn_json "$DN_DIR/leases2.json" "[l['ip'] for l in d if l['mac'] == '$guest_mac'][0]")" = "$guest_ip" ]
}
dn_assert_wait 10 "... with the guest's lease kept ($guest_ip)" lease_kept

# ---------------------------------------- stop; by hand as root; purge

dn_assert "systemctl stop defnetd" boot_h systemctl stop defnetd.service
dn_assert "the bridge stays when the service stops" has_bridge_up

# Outside systemd as root: it drops to the defnet user by itself.
boot_h sh -c 'mkdir -p /tmp/byhand || exit 1
	cd / || exit 1
	defnetd --state-dir /tmp/byhand/state --runtime-dir /tmp/byhand/run \
		>/tmp/byhand/log 2>&1 </dev/null &
	echo $! >/tmp/byhand/pid' ||
	dn_fail "start defnetd by hand in the host container"
hand_pid=$(boot_h cat /tmp/byhand/pid)
by_hand_dropped() { boot_h grep -q "running as user defnet" /tmp/byhand/log; }
dn_wait 15 by_hand_dropped || { boot_h cat /tmp/byhand/log >&2; dn_fail "defnetd by hand: no privilege drop"; }
dn_ok "defnetd as root outside systemd says it runs as user defnet"
dn_assert_eq "$(boot_status_field "$hand_pid" Uid | awk '{print $1, $2, $3, $4}')" \
	"$defnet_uid $defnet_uid $defnet_uid $defnet_uid" "by hand: every uid is defnet's"
dn_assert_eq "$(boot_status_field "$hand_pid" Gid | awk '{print $1, $2}')" \
	"$(boot_h sh -c 'id -g defnet') $(boot_h sh -c 'id -g defnet')" "by hand: group defnet"
dn_assert_eq "$(boot_status_field "$hand_pid" Groups)" "" "by hand: no supplementary groups"
dn_assert_eq "$(boot_status_field "$hand_pid" CapEff)" "$BOOT_CAPS" "by hand: effective capabilities, the three"
dn_assert_eq "$(boot_status_field "$hand_pid" CapPrm)" "$BOOT_CAPS" "by hand: permitted, the three"
dn_assert_eq "$(boot_status_field "$hand_pid" CapBnd)" "$BOOT_CAPS" "by hand: bounding set, the three"
dn_assert_eq "$(boot_h stat -c %U /tmp/byhand/state)" defnet "by hand: the state directory is defnet's"
dn_assert "by hand: root still uses the control socket" \
	boot_h defnetctl --socket /tmp/byhand/run/control status
dn_assert "by hand: reload works after the drop" \
	boot_h defnetctl --socket /tmp/byhand/run/control reload
boot_h sh -c "kill -TERM $hand_pid" || dn_fail "by hand: cannot send SIGTERM to $hand_pid"
# Gone, or a zombie until the container's init reaps it.
hand_gone() { case $(boot_status_field "$hand_pid" State 2>/dev/null) in "" | Z*) return 0 ;; *) return 1 ;; esac; }
hand_ok=0
dn_wait 10 hand_gone && hand_ok=1
boot_h cat /tmp/byhand/log >"$DN_DIR/byhand.log"
[ "$hand_ok" = 1 ] || {
	cat "$DN_DIR/byhand.log" >&2
	dn_fail "by hand: still there 10 s after SIGTERM (state $(boot_status_field "$hand_pid" State))"
}
dn_ok "by hand: SIGTERM stops it"
dn_assert_grep "SIGTERM received, stopping" "$DN_DIR/byhand.log" "by hand: it logged the stop"
dn_assert_no_grep "error" "$DN_DIR/byhand.log" "by hand: no error in its log"

dn_assert "apt-get purge defnet" boot_apt purge defnet
dn_assert_grep "bridge $DN_BRIDGE: removed" "$DN_DIR/apt.log" "... it ran defnetd --teardown, which removed the bridge"
dn_assert_not "... which is gone" ip -n "$DN_HOST" link show dev "$DN_BRIDGE"
dn_assert_not "... and so is table inet defnet" dn_h nft list table inet defnet
dn_assert_not "... and /var/lib/defnet" boot_h test -e /var/lib/defnet
dn_assert_not "... and /etc/defnet" boot_h test -e /etc/defnet
dn_assert_not "... and the package" boot_h dpkg -s defnet

dn_done
