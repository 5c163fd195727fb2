#!/bin/bash
# A real virtual machine on the bridge: qemu (TCG: no KVM needed) boots
# Debian's cloud kernel with an initramfs this test makes (busybox), its
# virtio-net NIC a tap port of the bridge. Inside, a script on the serial
# console leases an address with udhcpc sending the host name "vmq",
# resolves www.example.test through the gateway, and reaches the upstream's
# echo service through the NAT, each step printed as one "DEFNET-VM" line.
# From the host: the lease carries the name, and vmq.local resolves by mDNS.
#
# The kernel package (linux-image-cloud-amd64, fetched once with apt-get
# download) and the modules virtio-net needs are cached in
# DEFNET_TEST_CACHE (default /var/cache/defnet-test), like the boot suite's
# Debian root. The test is skipped, saying why, only when qemu cannot run
# at all or the kernel cannot be had.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015,SC2317
DN_NEEDS="qemu-system-x86_64 busybox cpio dpkg-deb socat"
. "$(dirname "$0")/lib.sh"

VM_CACHE=${DEFNET_TEST_CACHE:-/var/cache/defnet-test}
VM_NAME=vmq
VM_MAC=52:54:00:7e:57:01
VM_TAP=tap-vmq
VM_BUSYBOX=/bin/busybox
# virtio-net as Debian's cloud kernel builds it: modules, in load order
# (their "depends=": virtio needs virtio_ring; virtio_pci the two _dev).
VM_MODULES="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci failover net_failover virtio_net"

[ -e /dev/net/tun ] || dn_skip "no /dev/net/tun for the VM's tap port"
file -L "$VM_BUSYBOX" 2>/dev/null | grep -q 'statically linked' ||
	dn_skip "$VM_BUSYBOX is not static (apt-get install busybox-static)"

# vm_kernel: the cloud kernel and its virtio-net modules, unpacked once
# into VM_CACHE/vm-kernel (under the boot suite's lock file). Leaves the
# folder in VM_KDIR.
vm_kernel()
{
	local tmp deb img
	VM_KDIR="$VM_CACHE/vm-kernel"
	[ -e "$VM_KDIR/.complete" ] && return 0
	mkdir -p "$VM_CACHE" || dn_fail "cannot create $VM_CACHE"
	exec 9>"$VM_CACHE/lock"
	flock -w 900 9 || dn_fail "another run holds $VM_CACHE/lock"
	if [ ! -e "$VM_KDIR/.complete" ]; then
		rm -rf "$VM_KDIR"
		tmp=$(mktemp -d "$VM_CACHE/vm-build.XXXXXX") || dn_fail "mktemp in $VM_CACHE"
		# apt-get download runs as root in a folder _apt cannot write: say so
		# quietly, it downloads all the same.
		(cd "$tmp" && timeout 300 apt-get download -q linux-image-cloud-amd64) >"$DN_DIR/apt.log" 2>&1 ||
			{ cat "$DN_DIR/apt.log" >&2; rm -rf "$tmp"; dn_skip "apt-get download linux-image-cloud-amd64 failed"; }
		img=$(dpkg-deb -f "$tmp"/linux-image-cloud-amd64_*.deb Depends | sed 's/ (.*//')
		(cd "$tmp" && timeout 300 apt-get download -q "$img") >>"$DN_DIR/apt.log" 2>&1 ||
			{ cat "$DN_DIR/apt.log" >&2; rm -rf "$tmp"; dn_skip "apt-get download $img failed"; }
		for deb in "$tmp"/linux-image-*.deb; do
			dpkg-deb -x "$deb" "$tmp/root" || dn_fail "dpkg-deb -x $deb"
		done
		cp "$tmp"/root/boot/vmlinuz-* "$tmp/vmlinuz" || dn_fail "no vmlinuz in $img"
		mkdir -p "$tmp/modules"
		for m in $VM_MODULES; do
			find "$tmp/root/lib/modules" -name "$m.ko*" -exec cp {} "$tmp/modules/" \; ||
				dn_fail "module $m"
		done
		rm -rf "$tmp/root" "$tmp"/*.deb
		mv "$tmp" "$VM_KDIR" && touch "$VM_KDIR/.complete" || dn_fail "cannot keep the kernel"
	fi
	flock -u 9
	exec 9>&-
}

# vm_initramfs GATEWAY: the guest's whole userland, a cpio of busybox, the
# modules and /init, into DN_DIR/initramfs.gz.
vm_initramfs()
{
	local root="$DN_DIR/initramfs" m
	mkdir -p "$root"/{bin,dev,proc,sys,etc,lib,tmp} || dn_fail "initramfs folders"
	cp "$VM_BUSYBOX" "$root/bin/busybox" || dn_fail "copy busybox"
	for m in $VM_MODULES; do
		cp "$VM_KDIR/modules/$m".ko* "$root/lib/" || dn_fail "copy module $m"
	done
	cat >"$root/udhcpc.sh" <<-'EOF'
	#!/bin/busybox sh
	# udhcpc's hook: configure eth0 from the lease and say so.
	case $1 in
	bound | renew)
		ip addr flush dev "$interface"
		ip addr add "$ip/$mask" dev "$interface"
		ip route add default via "$router" dev "$interface"
		echo "nameserver $dns" >/etc/resolv.conf
		echo "DEFNET-VM bound $ip router $router dns $dns"
		;;
	esac
	EOF
	cat >"$root/init" <<-EOF
	#!/bin/busybox sh
	/bin/busybox --install -s /bin
	mount -t proc proc /proc
	mount -t sysfs sys /sys
	mount -t devtmpfs dev /dev
	for m in $VM_MODULES; do insmod /lib/\$m.ko* || echo "DEFNET-VM insmod \$m failed"; done
	hostname $VM_NAME
	ip link set lo up
	ip link set eth0 up
	udhcpc -i eth0 -x hostname:$VM_NAME -s /udhcpc.sh -t 30 -T 1 -A 1 -n -q ||
		echo "DEFNET-VM no lease"
	echo "DEFNET-VM resolve \$(nslookup www.$DN_ZONE $1 2>&1 | sed -n 's/^Address: *//p' | tail -n 1)"
	echo "DEFNET-VM echo \$(nc -w 5 $DN_INTERNET $DN_ECHO_PORT </dev/null)"
	echo "DEFNET-VM done"
	sleep 300
	poweroff -f
	EOF
	chmod 755 "$root/init" "$root/udhcpc.sh"
	(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$DN_DIR/initramfs.gz" ||
		dn_fail "cpio the initramfs"
}

# vm_line WORD: the value after "DEFNET-VM WORD " on the console, if any.
vm_line() { sed -n "s/^DEFNET-VM $1 *//p" "$DN_DIR/console.log" | tr -d '\r' | tail -n 1; }
vm_said() { grep -q "^DEFNET-VM $1" "$DN_DIR/console.log"; }

dn_find_binaries
dn_topology
dn_start_defnetd
dn_status_json "$DN_DIR/status.json"
gateway=$(dn_json "$DN_DIR/status.json" 'd["gateway"]')

vm_kernel
vm_initramfs "$gateway"
dn_ok "kernel $(basename "$VM_KDIR") and an initramfs of busybox and virtio-net"

ip -n "$DN_HOST" tuntap add dev "$VM_TAP" mode tap &&
	ip -n "$DN_HOST" link set "$VM_TAP" master "$DN_BRIDGE" &&
	ip -n "$DN_HOST" link set "$VM_TAP" up || dn_fail "tap port $VM_TAP"

# TCG only: KVM exists on some machines and hangs on others. Bounded by
# timeout and, at exit, by the harness killing it.
dn_bg "$DN_HOST" "$DN_DIR/qemu.out" timeout 600 qemu-system-x86_64 -accel tcg -m 256 \
	-nographic -no-reboot -nodefaults -serial "file:$DN_DIR/console.log" \
	-kernel "$VM_KDIR/vmlinuz" -initrd "$DN_DIR/initramfs.gz" \
	-append "console=ttyS0 quiet panic=-1" \
	-netdev "tap,id=n0,ifname=$VM_TAP,script=no,downscript=no" \
	-device "virtio-net-pci,netdev=n0,mac=$VM_MAC"
vm_pid=$DN_BG_PID
sleep 1
dn_alive "$vm_pid" || { cat "$DN_DIR/qemu.out" >&2; dn_skip "qemu cannot run here"; }

vm_done() { vm_said done || ! dn_alive "$vm_pid"; }
dn_wait 240 vm_done || true
vm_said bound || {
	tail -n 30 "$DN_DIR/console.log" >&2
	dn_fail "the VM got no lease in 240 s"
}
vm_ip=$(vm_line bound | awk '{print $1}')
dn_ok "the VM leased $vm_ip ($(vm_line bound))"
dn_assert_eq "$(vm_line bound | awk '{print $3}')" "$gateway" "... with the gateway as its router"
dn_assert_eq "$(vm_line bound | awk '{print $5}')" "$gateway" "... and as its DNS server"
dn_assert_eq "$(vm_line resolve)" "$DN_ZONE_WWW" "the VM resolves www.$DN_ZONE through the gateway"
dn_assert_eq "$(vm_line echo)" "$DN_UP0_HOST" "the VM reaches the upstream, masqueraded behind the uplink"

dn_ctl leases --json >"$DN_DIR/leases.json" || dn_fail "defnetctl leases"
dn_assert_eq "$(dn_json "$DN_DIR/leases.json" "[l['hostname'] for l in d if l['mac'] == '$VM_MAC'][0]")" \
	"$VM_NAME" "the lease carries the VM's host name"
resolves_vmq() {
	dn_h "$DN_PYTHON" "$DN_LIB_DIR/mdns_client.py" query "$VM_NAME.local" "$DN_BRIDGE" --timeout 1 |
		grep -q "^A $vm_ip "
}
dn_assert_wait 10 "the host resolves $VM_NAME.local to $vm_ip (mDNS on the bridge)" resolves_vmq

dn_kill "$vm_pid" 10
dn_done
