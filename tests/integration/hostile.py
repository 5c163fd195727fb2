#!/usr/bin/python3
"""A hostile guest for test_hostile_guest.sh: crafted and random packets at
every port defnetd listens on (standard library only). Each mode prints
"sent N" and exits 0; it never waits for answers (they do not matter: the
test checks the daemon afterwards).

  hostile.py dhcp IFACE SRC GW SEED N    crafted DHCP over UDP (to the
      gateway and to broadcast) and raw Ethernet frames (IPv4/UDP headers
      that lie), then N random messages
  hostile.py dns SRC GW SEED N           crafted queries over UDP, abuse
      over TCP (lying lengths, half messages, resets), N random datagrams
  hostile.py mdns IFACE SRC GW SEED N    crafted mDNS to the group and to
      the gateway, IP TTL 1, 64 and 255, N random datagrams
  hostile.py arp IFACE SEED N            junk ARP frames
  hostile.py control SOCKET SEED N       junk requests on the control
      socket (as root, from the host)
"""
import os
import random
import socket
import struct
import sys
import time

from dhcp_client import COOKIE, csum

SO_BINDTODEVICE = 25


def mac_of(iface):
    with open("/sys/class/net/%s/address" % iface) as f:
        return bytes.fromhex(f.read().strip().replace(":", ""))


# ------------------------------------------------------------------ DHCP

def dhcp_msg(chaddr, options, op=1, htype=1, hlen=6, xid=0x1234, ciaddr=b"\0" * 4,
             giaddr=b"\0" * 4, sname=b"", file=b"", cookie=COOKIE, flags=0x8000):
    hdr = struct.pack("!BBBBIHH", op, htype, hlen, 0, xid, 0, flags)
    hdr += ciaddr + b"\0" * 4 + b"\0" * 4 + giaddr
    hdr += chaddr.ljust(16, b"\0")[:16] + sname.ljust(64, b"\0")[:64] + file.ljust(128, b"\0")[:128]
    return hdr + cookie + options


def opt(code, data):
    return bytes([code, len(data)]) + data


def dhcp_cases(rnd, victim_ip, gw):
    """Crafted messages: (name, bytes)."""
    mac = b"\x02\x66" + bytes(rnd.randrange(256) for _ in range(4))
    disc = opt(53, b"\x01") + opt(55, b"\x01\x03\x06\x0f") + b"\xff"
    good = dhcp_msg(mac, disc)
    out = []
    for k in (0, 1, 10, 100, 235, 236, 239, 240, 241, 243):
        out.append(("truncated-%d" % k, good[:k]))
    out.append(("oversized-1400", dhcp_msg(mac, opt(53, b"\x01") + b"\0" * 1150 + b"\xff")))
    out.append(("oversized-1472", dhcp_msg(mac, opt(53, b"\x01") + opt(43, b"A" * 255) * 4 + b"\0" * 190 + b"\xff")))
    out.append(("no-cookie", dhcp_msg(mac, disc, cookie=b"\0\0\0\0")))
    out.append(("no-end", dhcp_msg(mac, opt(53, b"\x01"))))
    out.append(("option-len-past-end", dhcp_msg(mac, opt(53, b"\x01") + b"\x0c\xff" + b"host")))
    out.append(("type-len-lies", dhcp_msg(mac, b"\x35\xc8\x01\xff")))
    out.append(("type-len-0", dhcp_msg(mac, b"\x35\x00\xff")))
    out.append(("type-0", dhcp_msg(mac, opt(53, b"\x00") + b"\xff")))
    out.append(("type-99", dhcp_msg(mac, opt(53, b"\x63") + b"\xff")))
    out.append(("type-twice", dhcp_msg(mac, opt(53, b"\x01") + opt(53, b"\x03") + b"\xff")))
    out.append(("hlen-255", dhcp_msg(mac, disc, hlen=255)))
    out.append(("hlen-0", dhcp_msg(mac, disc, hlen=0)))
    out.append(("htype-99", dhcp_msg(mac, disc, htype=99)))
    out.append(("bootreply-from-guest", dhcp_msg(mac, opt(53, b"\x02") + b"\xff", op=2)))
    out.append(("zero-mac", dhcp_msg(b"\0" * 6, disc)))
    out.append(("broadcast-mac", dhcp_msg(b"\xff" * 6, disc)))
    # Option overload (52): both fields, each naming overload again, and
    # options that run past the end of file and sname.
    loop_file = opt(52, b"\x03") + opt(53, b"\x01") + b"\x0c\x7f" + b"x" * 10
    loop_sname = opt(52, b"\x03") + b"\x3d\x40" + b"y" * 20
    out.append(("overload-loop", dhcp_msg(mac, opt(53, b"\x01") + opt(52, b"\x03") + b"\xff",
                                          sname=loop_sname, file=loop_file)))
    out.append(("overload-file-no-end", dhcp_msg(mac, opt(53, b"\x01") + opt(52, b"\x01") + b"\xff",
                                                 file=b"\x0c\x05hosts" * 18)))
    out.append(("overload-value-9", dhcp_msg(mac, opt(53, b"\x01") + opt(52, b"\x09") + b"\xff")))
    out.append(("overload-len-0", dhcp_msg(mac, opt(53, b"\x01") + b"\x34\x00\xff")))
    # Long options split in many parts (RFC 3396), a name of 1000 bytes.
    parts = b"".join(opt(12, b"n" * 250) for _ in range(4))
    out.append(("hostname-1000", dhcp_msg(mac, opt(53, b"\x01") + parts + b"\xff")))
    out.append(("client-id-empty", dhcp_msg(mac, opt(53, b"\x01") + b"\x3d\x00\xff")))
    out.append(("max-size-0", dhcp_msg(mac, opt(53, b"\x01") + opt(57, b"\0\0") + b"\xff")))
    out.append(("max-size-3", dhcp_msg(mac, opt(53, b"\x01") + opt(57, b"\x00\x03\x04") + b"\xff")))
    out.append(("param-list-255", dhcp_msg(mac, opt(53, b"\x01") + opt(55, bytes(range(1, 256))) + b"\xff")))
    out.append(("relay-agent-lies", dhcp_msg(mac, opt(53, b"\x01") + b"\x52\x10\x01\x40abc" + b"\xff")))
    # Aimed at another guest's lease, from another MAC.
    v = socket.inet_aton(victim_ip)
    g = socket.inet_aton(gw)
    out.append(("request-victim-ip", dhcp_msg(mac, opt(53, b"\x03") + opt(50, v) + opt(54, g) + b"\xff")))
    out.append(("reboot-victim-ip", dhcp_msg(mac, opt(53, b"\x03") + opt(50, v) + b"\xff")))
    out.append(("renew-victim-ip", dhcp_msg(mac, opt(53, b"\x03") + b"\xff", ciaddr=v)))
    out.append(("release-victim-ip", dhcp_msg(mac, opt(53, b"\x07") + opt(54, g) + b"\xff", ciaddr=v)))
    out.append(("decline-victim-ip", dhcp_msg(mac, opt(53, b"\x04") + opt(50, v) + opt(54, g) + b"\xff")))
    out.append(("inform-victim-ip", dhcp_msg(mac, opt(53, b"\x08") + b"\xff", ciaddr=v)))
    return out


def dhcp_random(rnd):
    mac = bytes(rnd.randrange(256) for _ in range(6))
    opts = b""
    for _ in range(rnd.randrange(12)):
        code = rnd.choice([rnd.randrange(256), 53, 50, 54, 61, 12, 81, 52, 55, 57, 82])
        n = rnd.randrange(0, 40) if rnd.random() < 0.9 else 255
        opts += bytes([code, n]) + bytes(rnd.randrange(256) for _ in range(rnd.randrange(n + 1)))
    if rnd.random() < 0.7:
        opts += b"\xff"
    m = dhcp_msg(mac, opts, op=rnd.choice([1, 1, 1, 2, 0]), hlen=rnd.choice([6, 6, 6, 0, 16, 17]),
                 xid=rnd.randrange(1 << 32))
    if rnd.random() < 0.2:
        m = m[:rnd.randrange(len(m) + 1)]
    return m


def eth_ip_udp(src_mac, payload, sport=68, dport=67, src="0.0.0.0", dst="255.255.255.255",
               ihl=5, tot=None, ulen=None, frag=0, ttl=64, bad_csum=False, version=4):
    opts = b"\x01" * ((ihl - 5) * 4) if ihl > 5 else b""
    ulen = 8 + len(payload) if ulen is None else ulen
    udp = struct.pack("!HHHH", sport, dport, ulen & 0xffff, 0) + payload
    tot = 20 + len(opts) + len(udp) if tot is None else tot
    ip = struct.pack("!BBHHHBBH4s4s", (version << 4) | (ihl & 15), 0, tot & 0xffff, 1, frag,
                     ttl, 17, 0, socket.inet_aton(src), socket.inet_aton(dst)) + opts
    c = csum(ip) ^ (0x5555 if bad_csum else 0)
    ip = ip[:10] + struct.pack("!H", c) + ip[12:]
    return b"\xff" * 6 + src_mac + b"\x08\x00" + ip + udp


def frame_cases(src_mac, payload):
    return [
        eth_ip_udp(src_mac, payload, ihl=4),
        eth_ip_udp(src_mac, payload, ihl=15),
        eth_ip_udp(src_mac, payload, ihl=6),
        eth_ip_udp(src_mac, payload, tot=20),
        eth_ip_udp(src_mac, payload, tot=65535),
        eth_ip_udp(src_mac, payload, tot=27),
        eth_ip_udp(src_mac, payload, ulen=7),
        eth_ip_udp(src_mac, payload, ulen=0),
        eth_ip_udp(src_mac, payload, ulen=65535),
        eth_ip_udp(src_mac, payload, ulen=9),
        eth_ip_udp(src_mac, payload, frag=0x2000),           # more fragments
        eth_ip_udp(src_mac, payload, frag=0x0010),           # an offset
        eth_ip_udp(src_mac, payload, bad_csum=True),
        eth_ip_udp(src_mac, payload, version=6),
        eth_ip_udp(src_mac, b"", ulen=8),
        eth_ip_udp(src_mac, payload)[:14 + 20 + 4],          # cut in the UDP header
        eth_ip_udp(src_mac, payload)[:14 + 10],              # cut in the IPv4 header
        b"\xff" * 6 + src_mac + b"\x08\x00",                 # no IPv4 header at all
    ]


def mode_dhcp(iface, src, gw, seed, n):
    rnd = random.Random(seed)
    victim = os.environ.get("HOSTILE_VICTIM", gw)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    u.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    u.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, iface.encode())
    u.bind((src, 68))
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    raw.bind((iface, 0))
    src_mac = mac_of(iface)
    sent = 0

    def udp(data, dst):
        nonlocal sent
        try:
            u.sendto(data, (dst, 67))
            sent += 1
        except OSError:
            pass  # too big for one datagram, a full buffer: next one
        time.sleep(0.0005)

    for _, m in dhcp_cases(rnd, victim, gw):
        udp(m, "255.255.255.255")
        udp(m, gw)
    good = dhcp_msg(src_mac, opt(53, b"\x01") + b"\xff")
    for f in frame_cases(src_mac, good):
        raw.send(f)
        sent += 1
    # Bigger than the MTU: the kernel fragments it.
    udp(dhcp_msg(src_mac, opt(53, b"\x01") + b"\0" * 3000 + b"\xff"), gw)
    for _ in range(n):
        udp(dhcp_random(rnd), rnd.choice(["255.255.255.255", gw]))
    print("sent", sent)


# ------------------------------------------------------------------- DNS

def name(labels):
    return b"".join(bytes([len(x)]) + x for x in labels) + b"\0"


def dns_hdr(qid=0x4242, flags=0x0100, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


def dns_cases():
    www = name([b"www", b"example", b"test"])
    q = www + b"\x00\x01\x00\x01"
    out = [
        b"", b"\x00", dns_hdr()[:11], dns_hdr(),
        dns_hdr() + b"\xc0\x0c\x00\x01\x00\x01",                    # pointer to itself
        dns_hdr() + b"\x01a\xc0\x0c\x00\x01\x00\x01",                # loop through a label
        dns_hdr() + b"\xc0\x0e\xc0\x0c\x00\x01\x00\x01",             # a pair of pointers
        dns_hdr() + b"\xc0\xff\x00\x01\x00\x01",                    # pointer past the end
        dns_hdr() + b"\x40" + b"a" * 64 + b"\0\x00\x01\x00\x01",     # label 64
        dns_hdr() + b"\x3f" + b"a" * 70 + b"\0\x00\x01\x00\x01",     # label runs on
        dns_hdr() + b"\x80abc\0\x00\x01\x00\x01",                    # reserved label type
        dns_hdr() + name([b"a" * 63] * 5) + b"\x00\x01\x00\x01",     # name over 255
        dns_hdr(qd=65535) + q,                                       # counts that lie
        dns_hdr(an=65535, ns=65535, ar=65535) + q,
        dns_hdr(ar=1) + q + b"\x00\x00\x29\x10\x00\x00\x00\x00\x00\xff\xff",  # OPT rdlen lies
        dns_hdr(ar=1) + q + b"\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x08\x00\x0a\x00\x40abc",
        dns_hdr(ar=2) + q + (b"\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00") * 2,
        dns_hdr(flags=0x8180) + q,                                   # a response
        dns_hdr(flags=0x2800) + q,                                   # UPDATE
        dns_hdr(flags=0x7900) + q,                                   # opcode 15
        dns_hdr() + www + b"\x00\xfc\x00\x01",                       # AXFR
        dns_hdr() + www + b"\x00\xff\x00\xff",                       # ANY/ANY
        dns_hdr() + www,                                             # no type
        dns_hdr() + q + b"\0" * 3000,                                # trailing junk
        dns_hdr() + q + b"\0" * 5000,                                # over 4096
        dns_hdr() + name([b"1", b"0", b"0", b"10", b"in-addr", b"arpa"]) + b"\x00\x0c\x00\x01",
        dns_hdr() + name([b"x" * 60, b"local"]) + b"\x00\x01\x00\x01",
    ]
    return out


def dns_random(rnd):
    if rnd.random() < 0.3:
        return bytes(rnd.randrange(256) for _ in range(rnd.randrange(600)))
    labels = [bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 70))) for _ in range(rnd.randrange(6))]
    body = b"".join(bytes([min(len(x), 255) if rnd.random() < 0.9 else rnd.randrange(256)]) + x for x in labels)
    body += rnd.choice([b"\0", b"\xc0\x0c", b"\xc0" + bytes([rnd.randrange(256)]), b""])
    body += struct.pack("!HH", rnd.choice([1, 28, 12, 255, 41, rnd.randrange(65536)]), rnd.choice([1, 255, 0x8001]))
    return dns_hdr(rnd.randrange(65536), rnd.randrange(65536), rnd.randrange(4), rnd.randrange(4),
                   rnd.randrange(3), rnd.randrange(3)) + body


def tcp_abuse(src, gw):
    q = dns_hdr() + name([b"www", b"example", b"test"]) + b"\x00\x01\x00\x01"
    msgs = 0

    def conn():
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(2)
        s.bind((src, 0))
        s.connect((gw, 53))
        return s

    plays = [
        lambda s: s.sendall(b"\x00\x00"),                          # length 0
        lambda s: s.sendall(b"\xff\xff" + q),                      # length lies: more
        lambda s: s.sendall(b"\x00\x05" + q),                      # length lies: less
        lambda s: s.sendall(b"\x00"),                              # half a length
        lambda s: s.sendall(struct.pack("!H", len(q)) + q[:10]),   # half a message
        lambda s: s.sendall((struct.pack("!H", 14) + dns_hdr() + b"\xc0\x0c") * 40),
        lambda s: s.sendall(os.urandom(3000)),
        lambda s: s.sendall((struct.pack("!H", len(q)) + q) * 100),  # pipelined, never read
    ]
    for play in plays:
        try:
            s = conn()
            play(s)
            msgs += 1
            s.shutdown(socket.SHUT_WR)
            time.sleep(0.05)
            s.close()
        except OSError:
            pass
    # Resets in the middle of a query.
    for _ in range(10):
        try:
            s = conn()
            s.sendall(struct.pack("!H", len(q)) + q[:7])
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
            msgs += 1
        except OSError:
            pass
    # A few left open and idle: the server's idle timeout closes them.
    idle = []
    for _ in range(20):
        try:
            idle.append(conn())
        except OSError:
            pass
    time.sleep(0.2)
    for s in idle:
        s.close()
    return msgs + len(idle)


def mode_dns(src, gw, seed, n):
    rnd = random.Random(seed)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((src, 0))
    sent = 0
    for m in dns_cases():
        try:
            u.sendto(m, (gw, 53))
            sent += 1
        except OSError:
            pass
    for _ in range(n):
        try:
            u.sendto(dns_random(rnd), (gw, 53))
            sent += 1
        except OSError:
            pass
        time.sleep(0.0005)
    sent += tcp_abuse(src, gw)
    print("sent", sent)


# ------------------------------------------------------------------ mDNS

def mdns_cases():
    vm = name([b"vm1", b"local"])
    q = vm + b"\x00\x01\x00\x01"
    ans = vm + b"\x00\x01\x80\x01" + struct.pack("!IH", 120, 4) + b"\x0a\x06\x06\x06"
    return [
        dns_hdr(0, 0) + q,
        dns_hdr(0, 0) + b"\xc0\x0c\x00\x01\x00\x01",
        dns_hdr(0, 0) + b"\x40" + b"a" * 64 + b"\0\x00\x01\x00\x01",
        dns_hdr(0, 0, qd=65535) + q,
        dns_hdr(0, 0, qd=1, an=65535) + q,
        dns_hdr(0, 0, qd=1, an=1) + q + vm + b"\x00\x01\x00\x01" + struct.pack("!IH", 120, 400),
        dns_hdr(0, 0, qd=1, an=40) + q + ans * 40,                  # known answers
        dns_hdr(0, 0x8400, qd=0, an=1) + ans,                       # claims vm1.local
        dns_hdr(0, 0x8400, qd=0, an=1) + vm + b"\x00\x01\x80\x01" + struct.pack("!IH", 0, 4) + b"\0\0\0\0",
        dns_hdr(0, 0, qd=1, ns=1) + vm + b"\x00\xff\x00\x01" + ans,  # a probe
        dns_hdr(0, 0x2800) + q,
        dns_hdr(0, 0) + name([b"x"] * 127)[:250],
        dns_hdr(0, 0)[:7],
        dns_hdr(0, 0) + q + b"\0" * 8000,
    ]


def mode_mdns(iface, src, gw, seed, n):
    rnd = random.Random(seed)
    socks = []
    for ttl in (1, 64, 255):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(src))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
        s.bind((src, 5353 if ttl == 255 else 0))
        socks.append(s)
    sent = 0

    def send(m, dst):
        nonlocal sent
        for s in socks:
            try:
                s.sendto(m, (dst, 5353))
                sent += 1
            except OSError:
                pass
        time.sleep(0.0005)

    for m in mdns_cases() + dns_cases():
        send(m, "224.0.0.251")
        send(m, gw)
    for _ in range(n):
        send(dns_random(rnd), rnd.choice(["224.0.0.251", gw]))
    print("sent", sent)


# ------------------------------------------------------------------- ARP

def mode_arp(iface, seed, n):
    rnd = random.Random(seed)
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    raw.bind((iface, 0))
    me = mac_of(iface)
    sent = 0
    for _ in range(n):
        kind = rnd.randrange(4)
        if kind == 0:
            body = os.urandom(rnd.randrange(60))
        elif kind == 1:
            body = b"\x00\x01\x08\x00\x06\x04" + os.urandom(rnd.randrange(40))
        else:
            body = struct.pack("!HHBBH", rnd.choice([1, 6, 0xffff]), rnd.choice([0x800, 0x86dd]),
                               rnd.choice([6, 0, 255]), rnd.choice([4, 0, 16]), rnd.choice([1, 2, 99]))
            body += os.urandom(6) + os.urandom(4) + os.urandom(6) + os.urandom(4)
        raw.send(b"\xff" * 6 + me + b"\x08\x06" + body)
        sent += 1
    print("sent", sent)


# --------------------------------------------------------------- control

def mode_control(path, seed, n):
    rnd = random.Random(seed)
    plays = [b"", b"\n", b"status", b"\0\n", b"status\0--json\n", b"status --json --json --json\n",
             b"a " * 300 + b"\n", b"x" * 600, b"x" * 5000 + b"\n", b"status\r\n",
             b"reserve 52:54:00:12:34:56 999.1.1.1 x\n", b"reserve zz:54:00:12:34:56 1.1.1.1\n",
             b"reserve 52:54:00:12:34:56 10.0.0.1 " + b"n" * 300 + b"\n",
             b"unreserve ff:ff:ff:ff:ff:ff\n", b"leases --json extra\n", b"\xff\xfe\n",
             b"status\nstatus\nstatus\n"]
    plays += [bytes(rnd.randrange(256) for _ in range(rnd.randrange(700))) for _ in range(n)]
    sent = 0
    for p in plays:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(6)
        try:
            s.connect(path)
            s.sendall(p)
            s.shutdown(socket.SHUT_WR)
            while s.recv(65536):
                pass
            sent += 1
        except OSError:
            pass
        finally:
            s.close()
    # More connections than the daemon takes, all open at once, silent.
    held = []
    for _ in range(64):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            held.append(s)
        except OSError:
            s.close()
    time.sleep(0.5)
    for s in held:
        s.close()
    print("sent", sent + len(held))


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "dhcp":
        mode_dhcp(args[0], args[1], args[2], int(args[3]), int(args[4]))
    elif mode == "dns":
        mode_dns(args[0], args[1], int(args[2]), int(args[3]))
    elif mode == "mdns":
        mode_mdns(args[0], args[1], args[2], int(args[3]), int(args[4]))
    elif mode == "arp":
        mode_arp(args[0], int(args[1]), int(args[2]))
    elif mode == "control":
        mode_control(args[0], int(args[1]), int(args[2]))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
