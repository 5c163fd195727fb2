#!/bin/bash
# The host's resolvers change and the guests follow within a second:
# ResolvConf= points at a file in a directory of the test's own, which is
# rewritten in place, replaced by rename, switched as a symlink (by rename
# and by unlink + create), and, through a symlink, its target replaced by
# rename in another directory (systemd-resolved's way). The second
# resolver plays a VPN's: a zone only it knows (split DNS), and its own
# answer for www. Upstream= with a list ignores the file.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
# shellcheck source=dns_lib.sh
. "$DN_LIB_DIR/dns_lib.sh"
dn_find_binaries
DN_SERVICES=0 dn_topology
dns_start_upstream
VPN=127.0.0.54
VPN_WWW=192.0.2.99
VPN_NAME=intranet.corp.test
VPN_ADDR=10.9.9.9
dn_bg "$DN_HOST" "$DN_DIR/vpn-dnsmasq.out" dnsmasq --keep-in-foreground \
	--conf-file=/dev/null --no-resolv --no-hosts --no-poll --bind-interfaces \
	--listen-address="$VPN" --user=root --group=root \
	--pid-file="$DN_DIR/vpn-dnsmasq.pid" --local-ttl=60 \
	--local=/corp.test/ --local="/$DN_ZONE/" \
	--host-record="www.$DN_ZONE,$VPN_WWW" --host-record="$VPN_NAME,$VPN_ADDR"
dn_wait 5 dn_dig_is "$DN_HOST" "$VPN" "$VPN_NAME" "$VPN_ADDR" ||
	dn_fail "the VPN resolver did not answer"

rc="$DN_DIR/etc"
mkdir -p "$rc" "$DN_DIR/run-resolve"
plain="nameserver $DN_UP0_PEER"
vpn="nameserver $VPN"
printf '%s\n' "$plain" >"$rc/resolv.conf"
{
	dn_default_config
	printf '[DNS]\nResolvConf=%s\n' "$rc/resolv.conf"
} | dn_config
dn_start_defnetd
dns_setup
dns_static_guest g1 10
g=$DN_GUEST_NS

www() { dns_dig "$g" +short "www.$DN_ZONE" A; }
dn_assert_eq "$(www)" "$DN_ZONE_WWW" "www from the plain resolver (and cached)"
dn_assert_eq "$(dns_dig "$g" +short "$VPN_NAME" A)" "" "the VPN's name does not resolve before the VPN"

# dns_follows WHAT EXPECTED: www answers EXPECTED within a second of now.
dns_follows()
{
	local t0 t1 i
	t0=$(dns_ms)
	for ((i = 0; i < 40; i++)); do
		[ "$(www)" = "$2" ] && break
		sleep 0.05
	done
	t1=$(dns_ms)
	[ "$(www)" = "$2" ] || dn_fail "$1: www is not $2 after $((t1 - t0)) ms"
	[ $((t1 - t0)) -le 1000 ] || dn_fail "$1: took $((t1 - t0)) ms"
	dn_ok "$1: followed in $((t1 - t0)) ms"
}

# 1. Rewritten in place (same inode).
printf '# rewritten\n%s\n' "$vpn" >"$rc/resolv.conf"
dns_follows "rewritten in place" "$VPN_WWW"
dn_assert_eq "$(dns_dig "$g" +short "$VPN_NAME" A)" "$VPN_ADDR" "split DNS: the VPN's name resolves"

# 2. Replaced by rename.
printf '%s\n' "$plain" >"$rc/.resolv.conf.new"
mv "$rc/.resolv.conf.new" "$rc/resolv.conf"
dns_follows "replaced by rename" "$DN_ZONE_WWW"

# 3. A symlink switched by rename, then by unlink + create.
printf '%s\n' "$vpn" >"$rc/vpn.conf"
printf '%s\n' "$plain" >"$rc/plain.conf"
ln -s vpn.conf "$rc/.link" && mv -T "$rc/.link" "$rc/resolv.conf"
dns_follows "symlink switched by rename" "$VPN_WWW"
ln -sfn plain.conf "$rc/resolv.conf"
dns_follows "symlink switched by unlink and create" "$DN_ZONE_WWW"

# 4. A symlink to another directory whose file is replaced by rename.
printf '%s\n' "$plain" >"$DN_DIR/run-resolve/stub.conf"
ln -sfn "$DN_DIR/run-resolve/stub.conf" "$rc/resolv.conf"
sleep 0.3
printf '%s\n' "$vpn" >"$DN_DIR/run-resolve/.stub.new"
mv "$DN_DIR/run-resolve/.stub.new" "$DN_DIR/run-resolve/stub.conf"
dns_follows "the link's target replaced by rename" "$VPN_WWW"

dn_status_json "$DN_DIR/st.json"
dn_assert_eq "$(dn_json "$DN_DIR/st.json" '",".join(d["dns"]["upstreams"])')" "$VPN" "status shows the upstream in use"

# 5. No nameserver at all: like the host's resolver, 127.0.0.1.
printf '# nothing\n' >"$DN_DIR/run-resolve/stub.conf"
dn_assert_wait 2 "an empty file means 127.0.0.1" \
	sh -c "'$DEFNETCTL' --socket '$DN_RUNTIME/control' status --json | grep -q '\"upstreams\": *\[\"127.0.0.1\"\]'"

# 6. Upstream= given: the file no longer counts.
printf '%s\n' "$vpn" >"$DN_DIR/run-resolve/stub.conf"
dns_follows "back to the VPN" "$VPN_WWW"
{
	dn_default_config
	printf '[DNS]\nResolvConf=%s\nUpstream=%s\n' "$rc/resolv.conf" "$DN_UP1_PEER"
} | dn_config
dn_ctl reload || dn_fail "reload"
dn_assert_eq "$(www)" "$DN_ZONE_WWW" "Upstream= list in use after reload"
printf '%s\n' "$vpn" >"$rc/plain.conf"
sleep 0.5
dn_assert_eq "$(www)" "$DN_ZONE_WWW" "the file is not followed with Upstream= set"
dn_stop_defnetd || dn_fail "defnetd exited with $DN_DAEMON_RC"
dn_done
