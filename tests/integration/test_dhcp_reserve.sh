#!/bin/bash
# Reservations: Reservation= in the configuration and `defnetctl reserve MAC
# IP [NAME]` are honoured (static leases with their names), refused when they
# clash, applied live (reserve, unreserve, reload) and kept across a restart.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC2015
. "$(dirname "$0")/lib.sh"
dn_find_binaries
DN_SERVICES=0 dn_topology
cat >>"$DN_CONF" <<-EOF
[Network]
Subnet=10.99.0.0/24
[DHCP]
Pool=10.99.0.100-10.99.0.150
Reservation=52:54:00:00:55:01 10.99.0.20 buildbox
EOF
dn_start_defnetd
dn_guest r
client() { dn_in "$(dn_guest_ns r)" timeout 20 "$DN_PYTHON" "$DN_LIB_DIR/dhcp_client.py" eth0 "$@"; }
lease() { dn_ctl leases --json | dn_py -c "import json,sys; print([(l['ip'], l['hostname'], l['static']) for l in json.load(sys.stdin) if l['mac'] == '$1'])"; }

dn_assert_eq "$(client 52:54:00:00:55:01 dora)" "ACK 10.99.0.20" "Reservation=: the reserved address"
dn_assert_eq "$(lease 52:54:00:00:55:01)" "[('10.99.0.20', 'buildbox', True)]" "Reservation=: static, with its name"

dn_assert "reserve 10.99.0.30 as web" dn_ctl reserve 52:54:00:00:55:02 10.99.0.30 web
dn_assert_eq "$(client 52:54:00:00:55:02 dora)" "ACK 10.99.0.30" "reserve: applied at once"
dn_assert_eq "$(lease 52:54:00:00:55:02)" "[('10.99.0.30', 'web', True)]" "reserve: static, with its name"
dn_assert_not "reserve: an address reserved for another MAC" dn_ctl reserve 52:54:00:00:55:03 10.99.0.20
dn_assert_not "reserve: an address leased to another client" dn_ctl reserve 52:54:00:00:55:03 10.99.0.30
dn_assert_not "reserve: outside the subnet" dn_ctl reserve 52:54:00:00:55:03 10.98.0.5
dn_assert_not "reserve: the gateway" dn_ctl reserve 52:54:00:00:55:03 10.99.0.1
dn_assert_not "reserve: not a MAC" dn_ctl reserve 52:54:00:00:55 10.99.0.40
dn_assert_not "reserve: not a host name" dn_ctl reserve 52:54:00:00:55:03 10.99.0.40 a..b
dn_ctl reserve 52:54:00:00:55:03 10.99.0.20 >/dev/null 2>"$DN_DIR/err" || true
dn_assert_grep "reserved for another MAC" "$DN_DIR/err" "reserve: the reason is given"
dn_assert "reserve 10.99.0.40 (no name)" dn_ctl reserve 52:54:00:00:55:04 10.99.0.40
dn_assert_eq "$(dn_ctl status --json | dn_py -c 'import json,sys; print(json.load(sys.stdin)["reservations"])')" 3 \
	"status counts three reservations"

# A restart keeps them (in the lease store).
dn_stop_defnetd
dn_start_defnetd
dn_assert_eq "$(client 52:54:00:00:55:04 dora)" "ACK 10.99.0.40" "after a restart: the reservation holds"
dn_assert "unreserve" dn_ctl unreserve 52:54:00:00:55:04
dn_assert_not "unreserve: twice" dn_ctl unreserve 52:54:00:00:55:04
dn_assert_not "unreserve: a Reservation= entry is the file's" dn_ctl unreserve 52:54:00:00:55:01
dn_stop_defnetd
dn_start_defnetd
dn_assert "after a restart: 10.99.0.40 may be reserved again" dn_ctl reserve 52:54:00:00:55:05 10.99.0.41

# Reload: a new Reservation= applies live.
printf 'Reservation=52:54:00:00:55:06 10.99.0.60 db\n' >>"$DN_CONF"
dn_assert "reload" dn_ctl reload
dn_assert_eq "$(client 52:54:00:00:55:06 dora)" "ACK 10.99.0.60" "reload: the new reservation is honoured"
dn_assert_eq "$(lease 52:54:00:00:55:06)" "[('10.99.0.60', 'db', True)]" "reload: static, with its name"
dn_done
