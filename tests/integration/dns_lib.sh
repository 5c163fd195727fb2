# shellcheck shell=bash disable=SC2034
# Helpers for the DNS tests (test_dns_*.sh), sourced after lib.sh.
#
# The upstream here is lib.sh's test zone served by our own dnsmasq (TTL
# 60 so that answers can be cached, and a TXT set too big for 1232 bytes),
# started with DN_SERVICES=0 so lib.sh starts none.

DNS_BIG=big.$DN_ZONE
DNS_BIG_N=24     # TXT records of 100 bytes: about 2.7 KB, TCP only

# dns_start_upstream [EXTRA DNSMASQ ARGS...]
dns_start_upstream()
{
	local i args=() s
	s=$(printf '%0100d' 0)
	for ((i = 0; i < DNS_BIG_N; i++)); do
		args+=("--txt-record=$DNS_BIG,$i-${s:0:96}")
	done
	dn_bg "$DN_UP" "$DN_DIR/dnsmasq.out" dnsmasq --keep-in-foreground \
		--conf-file=/dev/null --no-resolv --no-hosts --no-poll \
		--bind-interfaces --listen-address="$DN_UP0_PEER" \
		--listen-address="$DN_UP1_PEER" --user=root --group=root \
		--pid-file="$DN_DIR/dnsmasq.pid" \
		--log-facility="$DN_DIR/dnsmasq.log" --log-queries \
		--local-ttl=60 --local="/$DN_ZONE/" \
		--host-record="www.$DN_ZONE,$DN_ZONE_WWW" \
		--host-record="mail.$DN_ZONE,$DN_ZONE_MAIL" \
		--mx-host="$DN_ZONE,mail.$DN_ZONE,10" \
		--txt-record="txt.$DN_ZONE,$DN_ZONE_TXT" "${args[@]}" "$@"
	DN_DNS_PID=$DN_BG_PID
	dn_wait 5 dn_dns_answers "$DN_UP" "$DN_UP0_PEER" ||
		{ cat "$DN_DIR/dnsmasq.out" >&2; dn_fail "upstream DNS server did not answer"; }
}

# dns_start_scripted_upstream [ARGS...]: upstream_dns.py (its ARGS: which
# names it answers, and how) as the only resolver, on DN_UP0_PEER.
dns_start_scripted_upstream()
{
	dn_bg "$DN_UP" "$DN_DIR/upstream.out" "$DN_PYTHON" "$DN_LIB_DIR/upstream_dns.py" \
		"$DN_UP0_PEER" "$DN_DIR/upstream.log" "$@"
	printf 'nameserver %s\n' "$DN_UP0_PEER" >"$DN_DIR/resolv.conf"
	dn_wait 5 dns_scripted_listening || dn_fail "the scripted upstream did not start"
}

dns_scripted_listening() { [ -n "$(dn_in "$DN_UP" ss -Hlnu "sport = :53")" ]; }

# dns_setup: gateway and subnet from status (DNS_GW, DNS_SUBNET).
dns_setup()
{
	dn_status_json "$DN_DIR/st.json"
	DNS_GW=$(dn_json "$DN_DIR/st.json" 'd["gateway"]')
	DNS_SUBNET=$(dn_json "$DN_DIR/st.json" 'd["subnet"]')
}

# dns_static_guest NAME N: a guest with the Nth address of the subnet
# (no DHCP) and a default route via the gateway; the address is left in
# DNS_GUEST_IP, the namespace in DN_GUEST_NS.
dns_static_guest()
{
	local ns
	dn_static_guest "$1" "$DNS_SUBNET" "$DNS_GW" "$2"
	ns=$DN_GUEST_NS
	DNS_GUEST_IP=$DN_GUEST_IP
	# The first exchange may wait for the bridge port and ARP: a question
	# the gateway always answers itself.
	dn_wait 5 dns_answers_local "$ns" || dn_fail "guest $1 gets no DNS answer from $DNS_GW"
}

dns_answers_local() { [ "$(dns_rcode "$1" local SOA)" = NOERROR ]; }

# dns_dig NS ARGS...: dig at the gateway, bounded.
dns_dig() { local ns=$1; shift; dn_in "$ns" dig +time=2 +tries=1 "@$DNS_GW" "$@"; }

# dns_rcode NS ARGS...: the status of the answer.
dns_rcode() { dns_dig "$@" | sed -n 's/.*status: \([A-Z]*\).*/\1/p'; }

# dns_count KEY: a counter from status --json's "dns" object.
dns_count()
{
	dn_status_json "$DN_DIR/c.json"
	dn_json "$DN_DIR/c.json" "d['dns']['$1']"
}

# dns_ms: a millisecond clock for timing.
dns_ms() { echo $(($(date +%s%N) / 1000000)); }

# dns_py NS ARGS...: dns_query.py in NS (a client with full control of
# the bytes it sends).
dns_py() { local ns=$1; shift; dn_in "$ns" "$DN_PYTHON" "$DN_LIB_DIR/dns_query.py" "$@"; }
