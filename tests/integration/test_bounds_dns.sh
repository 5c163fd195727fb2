#!/bin/bash
# Resource bounds under DNS abuse (issue 8), from a guest:
#  - a burst of 22,500 queries that the upstream never answers, from nine
#    guests (one guest alone holds at most its share, 512: issue 18):
#    queries in flight upstream stay capped (4,096); the oldest is dropped
#    for a new one (a query with an answer gets it at once, table full or
#    not), and that is logged once, not per query;
#  - two sustained floods (unanswered, answered and junk queries): the
#    daemon's RSS stays bounded, the second flood leaves it where the first
#    did, and its file descriptors come back to where they were;
#  - 1,000 TCP connections at once: at most 64 held, descriptors bounded
#    and back afterwards; UDP keeps answering meanwhile.
# RSS and descriptor counts are printed as "RESULT:" lines.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015,SC2016,SC2119,SC2317
DN_NEEDS="dig"
. "$(dirname "$0")/lib.sh"
# shellcheck source=dns_lib.sh
. "$DN_LIB_DIR/dns_lib.sh"
dn_find_binaries
DN_SERVICES=0 dn_topology
dns_start_scripted_upstream --silent slow
dn_start_defnetd
dns_setup
dns_static_guest g1 10
g=$DN_GUEST_NS
pid=$DN_DAEMON_PID

rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
fds() { find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 | wc -l; }
pending() { dns_count pending; }

dn_assert_eq "$(dns_dig "$g" +short "fast-0.$DN_ZONE" A)" "$DN_ZONE_WWW" "an answered name"
rss0=$(rss)
fds0=$(fds)
dn_say "RESULT: baseline RSS ${rss0} kB, ${fds0} fds"

# blast SECS SEED KINDS [COUNT]: queries from BLAST_NS (default: g1), as
# fast as one socket sends.
blast()
{
	dn_in "${BLAST_NS:-$g}" "$DN_PYTHON" - "$DNS_GW" "$@" <<-'EOF'
	import random, socket, struct, sys, time
	gw, secs, seed, kinds = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
	count = int(sys.argv[5]) if len(sys.argv) > 5 else 10 ** 9
	r = random.Random(seed)
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.setblocking(False)
	def q(name, qid):
	    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + \
	        b"".join(bytes([len(x)]) + x.encode() for x in name.split(".")) + b"\0\x00\x01\x00\x01"
	n, end = 0, time.monotonic() + secs
	while n < count and (n % 256 or time.monotonic() < end):
	    k = kinds[n % len(kinds)]
	    if k == "s":
	        m = q("slow-%d-%d.example.test" % (seed, n), n & 0xffff)
	    elif k == "f":
	        m = q("fast-%d.example.test" % r.randrange(50000), n & 0xffff)
	    elif k == "c":
	        m = q("fast-0.example.test", n & 0xffff)
	    else:
	        m = bytes(r.randrange(256) for _ in range(r.randrange(12, 80)))
	    try:
	        s.sendto(m, (gw, 53))
	    except BlockingIOError:
	        time.sleep(0.0002)
	        continue
	    n += 1
	    try:
	        while s.recv(4096):
	            pass
	    except BlockingIOError:
	        pass
	print(n)
	EOF
}
dns_static_guest q 20
quiet=$DN_GUEST_NS
burst_ns=("$g")
bpids=()
for k in 2 3 4 5 6 7 8 9; do
	dns_static_guest "g$k" $((10 + k))
	burst_ns+=("$DN_GUEST_NS")
done
k=0
for ns in "${burst_ns[@]}"; do
	k=$((k + 1))
	BLAST_NS=$ns blast 30 "$k" s 2500 >"$DN_DIR/burst-$k.out" &
	bpids+=($!)
done
wait "${bpids[@]}" || dn_fail "burst"
sent=$(cat "$DN_DIR"/burst-*.out | awk '{n += $1} END {print n}')
p=$(pending)
dn_say "RESULT: burst of $sent unanswered queries: $p in flight upstream, RSS $(rss) kB, $(fds) fds"
[ "$p" -le 4096 ] && [ "$p" -ge 1000 ] || dn_fail "queries in flight upstream after the burst: $p"
dn_ok "queries in flight upstream capped: $p (cap 4096)"
t0=$(dns_ms)
a=$(dns_dig "$quiet" +short "fast-1.$DN_ZONE" A)
t1=$(dns_ms)
dn_assert_eq "$a" "$DN_ZONE_WWW" "the table full, a new query is still forwarded and answered"
[ $((t1 - t0)) -lt 1000 ] || dn_fail "it took $((t1 - t0)) ms"
dn_ok "at once ($((t1 - t0)) ms): the oldest was dropped for it"
n=$(grep -c 'too many queries in flight upstream' "$DN_LOG")
dn_assert_eq "$n" 1 "the cap was logged once, not per query"
dn_assert_wait 10 "the dropped ones leave c-ares in time: nothing in flight" \
	eval '[ "$(pending)" = 0 ]'

# Two sustained floods: unanswered (s), answered (f), cached (c), junk (j).
peak_rss=0
peak_fds=0
flood()
{
	local seed=$1 bpid
	blast 15 "$seed" sffcj >"$DN_DIR/flood-$seed.out" &
	bpid=$!
	while dn_alive "$bpid"; do
		r=$(rss)
		f=$(fds)
		[ "$r" -gt "$peak_rss" ] && peak_rss=$r
		[ "$f" -gt "$peak_fds" ] && peak_fds=$f
		sleep 0.5
	done
	wait "$bpid" || dn_fail "flood $seed"
	dn_wait 10 eval '[ "$(pending)" = 0 ]' || dn_fail "flood $seed: queries still in flight after 10 s"
}
flood 2
rss1=$(rss)
fds1=$(fds)
dn_say "RESULT: flood 1: $(cat "$DN_DIR/flood-2.out") queries in 15 s; peak RSS ${peak_rss} kB, peak ${peak_fds} fds; after: RSS ${rss1} kB, ${fds1} fds"
flood 3
rss2=$(rss)
fds2=$(fds)
dn_say "RESULT: flood 2: $(cat "$DN_DIR/flood-3.out") queries in 15 s; peak RSS ${peak_rss} kB, peak ${peak_fds} fds; after: RSS ${rss2} kB, ${fds2} fds"
[ "$peak_rss" -le $((rss0 + 32768)) ] || dn_fail "RSS grew from $rss0 to $peak_rss kB"
dn_ok "RSS bounded: ${rss0} kB at rest, at most ${peak_rss} kB under the floods"
[ "$rss2" -le $((rss1 + 2048)) ] || dn_fail "the second flood left RSS at $rss2 kB, the first at $rss1 kB"
dn_ok "the second flood left RSS where the first did ($rss1 -> $rss2 kB)"
[ "$peak_fds" -le $((fds0 + 24)) ] || dn_fail "descriptors grew from $fds0 to $peak_fds"
dn_assert_eq "$fds2" "$fds0" "descriptors back to $fds0 (peak $peak_fds)"

# 1,000 TCP connections at once, each then sending a query.
out=$(dn_in "$g" "$DN_PYTHON" - "$DNS_GW" "$pid" <<-'EOF'
import os, resource, select, socket, struct, sys, time
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
gw, pid = sys.argv[1], sys.argv[2]
socks = []
for _ in range(1000):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.connect_ex((gw, 53))
    socks.append(s)
time.sleep(3)
held = len(os.listdir("/proc/%s/fd" % pid))
q = struct.pack("!HHHHHH", 7, 0x0100, 1, 0, 0, 0) + b"\x06fast-0\x07example\x04test\0\x00\x01\x00\x01"
for s in socks:
    try:
        s.send(struct.pack("!H", len(q)) + q)
    except OSError:
        pass
answered, end = 0, time.monotonic() + 5
live = list(socks)
while live and time.monotonic() < end:
    r, _, _ = select.select(live, [], [], 0.5)
    for s in r:
        live.remove(s)
        try:
            if len(s.recv(4096)) > 2:
                answered += 1
        except OSError:
            pass
for s in socks:
    s.close()
print(held, answered)
EOF
) || dn_fail "1,000 TCP connections: $out"
read -r held answered <<<"$out"
dn_say "RESULT: 1,000 TCP connections: daemon held ${held} fds (baseline $fds0), $answered got an answer, RSS $(rss) kB"
[ "$held" -le $((fds0 + 64 + 8)) ] || dn_fail "with 1,000 connections the daemon held $held descriptors"
dn_ok "1,000 connections: at most 64 held ($held fds, baseline $fds0)"
[ "$answered" -ge 1 ] && [ "$answered" -le 64 ] || dn_fail "$answered connections got an answer"
dn_ok "$answered of them answered, the rest closed"
dn_assert_wait 15 "descriptors back to $fds0" eval '[ "$(fds)" = "$fds0" ]'
dn_assert_eq "$(dns_dig "$g" +tcp +short "fast-2.$DN_ZONE" A)" "$DN_ZONE_WWW" "TCP answers again"
dn_assert_eq "$(dns_dig "$g" +short "fast-3.$DN_ZONE" A)" "$DN_ZONE_WWW" "UDP answers"
dn_say "RESULT: end: RSS $(rss) kB, $(fds) fds"
dn_stop_defnetd || dn_fail "defnetd exited with $DN_DAEMON_RC"
dn_done
