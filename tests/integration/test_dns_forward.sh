#!/bin/bash
# DNS forwarding from a guest through defnetd to the host's resolvers:
# A/AAAA/MX/TXT/NXDOMAIN against the upstream test zone, over UDP and TCP;
# the cache (hits counted, TTLs counted down, negative answers); an answer
# too big for UDP comes back with TC and dig's TCP retry gets all of it;
# a burst of 20,000 queries at 20,000/s is answered in full, read in
# coalesced batches, and the listener goes back to reading each query as
# it comes; upstream queries carry IDs other than the guest's; an upstream
# that stops answering gives SERVFAIL promptly.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015
DN_NEEDS="dnsmasq dig tcpdump"
. "$(dirname "$0")/lib.sh"
# shellcheck source=dns_lib.sh
. "$DN_LIB_DIR/dns_lib.sh"
dn_find_binaries
DN_SERVICES=0 dn_topology
dns_start_upstream
dn_start_defnetd
dns_setup
dns_static_guest g1 10
g=$DN_GUEST_NS
dn_ok "guest g1 at $DNS_GUEST_IP, gateway $DNS_GW"

dn_assert_eq "$(dns_dig "$g" +short "www.$DN_ZONE" A)" "$DN_ZONE_WWW" "A www.$DN_ZONE"
dn_assert_eq "$(dns_dig "$g" +short "$DN_ZONE" MX)" "10 mail.$DN_ZONE." "MX $DN_ZONE"
dn_assert_eq "$(dns_dig "$g" +short "txt.$DN_ZONE" TXT)" "\"$DN_ZONE_TXT\"" "TXT txt.$DN_ZONE"
dn_assert_eq "$(dns_rcode "$g" "www.$DN_ZONE" AAAA)" NOERROR "AAAA www.$DN_ZONE: NOERROR"
dn_assert_eq "$(dns_dig "$g" +short "www.$DN_ZONE" AAAA)" "" "AAAA www.$DN_ZONE: no data"
dn_assert_eq "$(dns_rcode "$g" "nope.$DN_ZONE" A)" NXDOMAIN "NXDOMAIN nope.$DN_ZONE"
dn_assert_eq "$(dns_dig "$g" +short +tcp "mail.$DN_ZONE" A)" "$DN_ZONE_MAIL" "A mail.$DN_ZONE over TCP"
dn_assert_eq "$(dns_dig "$g" +short +tcp +keepopen "www.$DN_ZONE" A "txt.$DN_ZONE" TXT | tr '\n' ' ')" \
	"$DN_ZONE_WWW \"$DN_ZONE_TXT\" " "two queries on one TCP connection"
dn_assert_eq "$(dns_dig "$g" +short +dnssec "www.$DN_ZONE" A | head -n1)" "$DN_ZONE_WWW" "a DO query"
out=$(dns_dig "$g" +bufsize=4096 "www.$DN_ZONE" A)
grep -q 'udp: 1232' <<<"$out" || dn_fail "our OPT (1232) not in the answer: $out"
dn_ok "the answer carries our OPT record (1232)"
out=$(dns_dig "$g" +noedns "www.$DN_ZONE" A)
! grep -q 'OPT PSEUDOSECTION' <<<"$out" || dn_fail "OPT in an answer to a query without one"
dn_ok "no OPT in an answer to a query without one"

# The cache: the upstream sees www once; the TTL counts down.
hits0=$(dns_count cache_hits)
ttl1=$(dns_dig "$g" +noall +answer "www.$DN_ZONE" A | awk '{print $2}')
sleep 2.1
ttl2=$(dns_dig "$g" +noall +answer "WWW.${DN_ZONE^^}" A | awk '{print $2}')
[ -n "$ttl1" ] && [ -n "$ttl2" ] && [ "$ttl2" -lt "$ttl1" ] && [ "$ttl1" -le 60 ] ||
	dn_fail "TTL did not count down: $ttl1 then $ttl2"
dn_ok "cached TTL counts down ($ttl1 -> $ttl2)"
[ "$(dns_count cache_hits)" -ge $((hits0 + 2)) ] || dn_fail "cache_hits did not grow"
dn_ok "cache hits counted"
name=$(dns_dig "$g" +noall +answer "WwW.$DN_ZONE" A | awk '{print $1}')
dn_assert_eq "$name" "WwW.$DN_ZONE." "a hit answers in the asker's case"
n=$(grep -c "query\[A\] www.$DN_ZONE from $DN_UP0_HOST" "$DN_DIR/dnsmasq.log")
dn_assert_eq "$n" 2 "the upstream was asked for www twice (once without DO, once with)"
dns_dig "$g" "nope2.$DN_ZONE" A >/dev/null
dns_dig "$g" "nope2.$DN_ZONE" A >/dev/null
n=$(grep -c "query\[A\] nope2.$DN_ZONE from" "$DN_DIR/dnsmasq.log")
# dnsmasq's --local NXDOMAIN has no SOA: RFC 2308 5 says not to cache it
# (negative caching with an SOA is in the unit tests).
dn_assert_eq "$n" 2 "a negative answer without SOA is not cached"

# Under load the UDP listener coalesces its reads (dns/udp_pacing.h):
# 20,000 cached queries at 20,000/s each get their own answer, many of
# them read on the tick; once the load is gone, queries are read as they
# come again (none on the tick). Under valgrind the daemon is too slow
# for the rate: only the answers are checked there.
co0=$(dns_count udp_coalesced)
out=$(dns_py "$g" "$DNS_GW" burst "www.$DN_ZONE" A --count 20000 --rate 20000)
read -r _ _ _ answered _ wrong <<<"$out"
dn_assert_eq "$wrong" 0 "burst: no answer with the wrong ID or question ($out)"
if [ "$DN_SLOW" = 1 ]; then
	[ "$answered" -gt 0 ] || dn_fail "burst: nothing answered ($out)"
	dn_say "under a wrapper: $out, coalescing not checked"
else
	dn_assert_eq "$answered" 20000 "burst: every query answered ($out)"
	co1=$(dns_count udp_coalesced)
	[ "$co1" -gt "$co0" ] || dn_fail "burst: no query was read on the tick"
	dn_ok "burst: $((co1 - co0)) of the queries read on the tick"
	sleep 0.2
	for i in 1 2 3 4 5; do
		dn_assert_eq "$(dns_dig "$g" +short "www.$DN_ZONE" A)" "$DN_ZONE_WWW" "after the burst: answer $i"
		sleep 0.05
	done
	dn_assert_eq "$(dns_count udp_coalesced)" "$co1" "after the burst: queries read as they come"
fi

# Too big for UDP: TC without TCP retry, all of it with.
out=$(dns_dig "$g" +ignore +noedns "$DNS_BIG" TXT)
grep -Eq 'flags:[a-z ]* tc' <<<"$out" || dn_fail "no TC for a 2.7 KB answer over UDP: $out"
dn_ok "an answer too big for 512 bytes comes back with TC"
out=$(dns_dig "$g" +ignore +bufsize=1232 "$DNS_BIG" TXT)
grep -Eq 'flags:[a-z ]* tc' <<<"$out" || dn_fail "no TC for a 2.7 KB answer over EDNS 1232"
dn_ok "an answer too big for 1232 bytes comes back with TC"
n=$(dns_dig "$g" +short "$DNS_BIG" TXT | wc -l)
dn_assert_eq "$n" "$DNS_BIG_N" "dig retries over TCP and gets all $DNS_BIG_N TXT records"

# RFC 5452: the upstream never sees the guest's ID.
dn_bg "$DN_UP" "$DN_DIR/tcpdump.out" tcpdump -n -l -i any 'udp dst port 53'
tcpdump_pid=$DN_BG_PID
dn_wait 5 grep -q 'listening on' "$DN_DIR/tcpdump.out" || dn_fail "tcpdump did not start"
answers=$(dns_py "$g" "$DNS_GW" query "idcheck-{i}.$DN_ZONE" A --id 4242 --count 20)
dn_assert_eq "$(grep -c '^4242 3 0$' <<<"$answers")" 20 "20 answers to ID 4242 (NXDOMAIN, the guest's ID)"
sleep 0.5
dn_kill "$tcpdump_pid" 2
ids=$(grep 'idcheck-' "$DN_DIR/tcpdump.out" | sed -n 's/.*: \([0-9]*\)[+%*]* .*/\1/p')
dn_assert_eq "$(wc -l <<<"$ids")" 20 "the upstream saw 20 queries"
! grep -qx 4242 <<<"$ids" || dn_fail "an upstream query carried the guest's ID 4242"
distinct=$(sort -u <<<"$ids" | wc -l)
[ "$distinct" -ge 18 ] || dn_fail "upstream IDs are not random: $(tr '\n' ' ' <<<"$ids")"
dn_ok "upstream IDs differ from the guest's and from each other ($distinct distinct of 20)"

# An upstream that stops answering: SERVFAIL, promptly.
fail0=$(dns_count upstream_failures)
kill -STOP "$DN_DNS_PID"
t0=$(dns_ms)
rc=$(dn_in "$g" dig +time=9 +tries=1 "@$DNS_GW" "silent.$DN_ZONE" A | sed -n 's/.*status: \([A-Z]*\).*/\1/p')
t1=$(dns_ms)
kill -CONT "$DN_DNS_PID"
dn_assert_eq "$rc" SERVFAIL "a silent upstream gives SERVFAIL"
[ $((t1 - t0)) -lt 4500 ] || dn_fail "SERVFAIL took $((t1 - t0)) ms"
dn_ok "SERVFAIL after $((t1 - t0)) ms (c-ares: 2 servers x 2 tries)"
dn_kill "$DN_DNS_PID" 5
t0=$(dns_ms)
rc=$(dns_rcode "$g" "gone.$DN_ZONE" A)
t1=$(dns_ms)
dn_assert_eq "$rc" SERVFAIL "a stopped upstream gives SERVFAIL"
[ $((t1 - t0)) -lt 2000 ] || dn_fail "SERVFAIL took $((t1 - t0)) ms"
dn_ok "SERVFAIL after $((t1 - t0)) ms (port unreachable)"
dn_assert_eq "$(dns_dig "$g" +short "www.$DN_ZONE" A)" "$DN_ZONE_WWW" "cached answers outlive the upstream"
[ "$(dns_count upstream_failures)" -ge $((fail0 + 2)) ] || dn_fail "upstream_failures not counted"
dn_ok "upstream failures counted"

dn_status_json "$DN_DIR/final.json"
dn_say "dns counters: $(dn_json "$DN_DIR/final.json" 'd["dns"]')"
dn_stop_defnetd || dn_fail "defnetd exited with $DN_DAEMON_RC"
dn_ok "defnetd stopped cleanly"
dn_done
