#!/bin/bash
# defnetd --host-forwarding, the unit's one unsandboxed step, in a
# namespace: IPv4 forwarding on; with IPv6=yes IPv6 forwarding on, after a
# link that takes router advertisements (accept_ra=1) moved to 2 and one
# that takes none (0) left alone; with IPv6=no IPv6 untouched.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015
DN_NEEDS=""
. "$(dirname "$0")/lib.sh"
dn_find_binaries
dn_netns_add "$DN_HOST"
ip -n "$DN_HOST" link add ra1 type veth peer name ra0 || dn_fail "veths"
dn_h sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0 \
	net.ipv6.conf.ra1.accept_ra=1 net.ipv6.conf.ra0.accept_ra=0 || dn_fail "sysctls"
sysctl_is() { [ "$(dn_h sysctl -n "$1")" = "$2" ]; }

printf '[Network]\nIPv6=no\n' >"$DN_CONF"
dn_assert "IPv6=no: it succeeds" dn_h "$DEFNETD" --config "$DN_CONF" --host-forwarding
dn_assert "... IPv4 forwarding on" sysctl_is net.ipv4.ip_forward 1
dn_assert "... IPv6 forwarding left off" sysctl_is net.ipv6.conf.all.forwarding 0
dn_assert "... accept_ra left at 1" sysctl_is net.ipv6.conf.ra1.accept_ra 1

printf '[Network]\nIPv6=yes\n' >"$DN_CONF"
dn_assert "IPv6=yes: it succeeds" dn_h "$DEFNETD" --config "$DN_CONF" --host-forwarding
dn_assert "... IPv6 forwarding on" sysctl_is net.ipv6.conf.all.forwarding 1
dn_assert "... a link that took router advertisements keeps taking them (accept_ra 2)" \
	sysctl_is net.ipv6.conf.ra1.accept_ra 2
dn_assert "... a link that took none is left alone (accept_ra 0)" sysctl_is net.ipv6.conf.ra0.accept_ra 0

printf '[Network]\nIPv6=perhaps\n' >"$DN_CONF"
dn_assert_not "a bad configuration: it fails" dn_h "$DEFNETD" --config "$DN_CONF" --host-forwarding
dn_done
