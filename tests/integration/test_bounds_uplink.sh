#!/bin/bash
# Resource bounds across uplink flaps (issue 8): the preferred uplink goes
# down and up FLAPS times (the first argument, or DN_FLAPS; 1,000 by
# default, 10,000 by hand), its default route put back each time, ten at
# a time with `ip -batch`. defnetd stays up, follows (up0 again at the end),
# its file descriptors come back to where they were and its RSS stays
# within 2 MB; the guest's NAT and DNS work afterwards. RSS and descriptor
# counts are printed as "RESULT:" lines.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015,SC2016,SC2119,SC2317
DN_NEEDS="dnsmasq socat dig dhclient"
. "$(dirname "$0")/lib.sh"
dn_find_binaries
FLAPS=${1:-${DN_FLAPS:-1000}}
[[ $FLAPS =~ ^[1-9][0-9]*$ ]] && [ "$FLAPS" -le 100000 ] || dn_fail "bad number of flaps: $FLAPS"
dn_topology
dn_start_defnetd
pid=$DN_DAEMON_PID
dn_guest g1
dn_assert "g1 gets a lease" dn_dhcp_guest g1
g=$DN_GUEST_NS
GW=$(dn_lease_value g1 new_routers)
dn_assert_eq "$(dn_echo_from "$g")" "$DN_UP0_HOST" "g1 reaches the internet, masqueraded to up0"

rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
fds() { find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 | wc -l; }
uplink_is()
{
	dn_ctl status --json >"$DN_DIR/st.json" 2>/dev/null &&
		[ "$(dn_json "$DN_DIR/st.json" 'd["uplink"] and d["uplink"]["interface"]')" = "$1" ]
}
rss0=$(rss)
fds0=$(fds)
dn_say "RESULT: before $FLAPS flaps: RSS ${rss0} kB, ${fds0} fds"

peak_rss=$rss0
peak_fds=$fds0
batch="$DN_DIR/flap.batch"
# Ten flaps per `ip -batch`, then 10 ms for the daemon: it sees them as
# they come, not only as one burst.
for ((i = 0; i < 10; i++)); do
	printf 'link set up0 down\nlink set up0 up\nroute replace default via %s dev up0 metric 100\n' \
		"$DN_UP0_PEER"
done >"$batch"
t0=$(date +%s)
for ((done = 0; done < FLAPS; done += 10)); do
	if [ $((FLAPS - done)) -lt 10 ]; then
		head -n $(((FLAPS - done) * 3)) "$batch" >"$batch.last"
		dn_h ip -batch "$batch.last" || dn_fail "ip -batch"
	else
		dn_h ip -batch "$batch" || dn_fail "ip -batch"
	fi
	sleep 0.01
	[ $((done % 100)) = 0 ] || continue
	dn_alive "$pid" || dn_fail "defnetd died after $done flaps"
	r=$(rss)
	f=$(fds)
	[ "$r" -gt "$peak_rss" ] && peak_rss=$r
	[ "$f" -gt "$peak_fds" ] && peak_fds=$f
done
dn_ok "$FLAPS flaps of up0 in $(($(date +%s) - t0)) s, defnetd alive"
dn_assert_wait 30 "defnetd follows: uplink up0 again" uplink_is up0
dn_assert_wait 10 "descriptors back to $fds0" eval '[ "$(fds)" = "$fds0" ]'
sleep 1
rss1=$(rss)
[ "$rss1" -gt "$peak_rss" ] && peak_rss=$rss1
dn_say "RESULT: after $FLAPS flaps: RSS ${rss1} kB (peak ${peak_rss} kB), $(fds) fds (peak ${peak_fds})"
[ "$rss1" -le $((rss0 + 2048)) ] && [ "$peak_rss" -le $((rss0 + 8192)) ] ||
	dn_fail "RSS from $rss0 to $rss1 kB (peak $peak_rss kB)"
dn_ok "RSS bounded: $rss0 -> $rss1 kB (peak $peak_rss kB)"
dn_assert_wait 10 "g1 reaches the internet through up0 afterwards" \
	eval '[ "$(dn_echo_from "$g")" = "$DN_UP0_HOST" ]'
dn_assert_eq "$(dn_in "$g" dig +short +time=2 +tries=2 "@$GW" "www.$DN_ZONE" A)" "$DN_ZONE_WWW" "g1's DNS works"
dn_assert "g1 renews" dn_dhcp_guest g1
n=$(wc -l <"$DN_LOG")
dn_say "RESULT: $n log lines for $FLAPS flaps (LogLevel=$DN_LOGLEVEL)"
dn_stop_defnetd || dn_fail "defnetd exited with $DN_DAEMON_RC"
dn_done
