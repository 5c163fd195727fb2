#!/usr/bin/python3
"""A small mDNS client for test_mdns.sh (stdlib only).

  mdns_client.py query NAME IFNAME [--qu] [--type A|AAAA|PTR] [--timeout S] [--all] [--v6]
      Sends one query from port 5353 to 224.0.0.251 (--v6: ff02::fb) out of
      IFNAME and prints each record for NAME, answers and additional ones,
      as "TYPE DATA TTL multicast|unicast SOURCE" (--v6: then "hops=N", the
      hop limit it came with), from the first packet that has one (--all:
      from every packet until the timeout). Exit 0 when one came, 1 when
      none came in time.
  mdns_client.py legacy NAME IFNAME --bind ADDR [--id N] [--timeout S]
      A legacy unicast query (RFC 6762 6.7): from an ephemeral port on ADDR
      to 224.0.0.251 out of IFNAME, on an unconnected socket (BIND 9.18's
      dig connects its socket to the group, so the kernel drops answers
      from the responder's own address). Prints "id=N question=NAME" and
      the answer records as above.
  mdns_client.py announce NAME ADDR IFNAME [--ttl N] [--spoof-src SRC]
      Sends one unsolicited response: NAME A ADDR (cache-flush), from port
      5353 to the group, as a guest's own responder (avahi) would. With
      --spoof-src, from the IPv4 source SRC, on a packet socket (the frame
      keeps IFNAME's own MAC): the forgery a hostile guest would send.
"""
import argparse
import select
import socket
import struct
import sys
import time

from dhcp_client import csum, ip_udp

GROUP = "224.0.0.251"
GROUP6 = "ff02::fb"
PORT = 5353
IP_PKTINFO = 8
IPV6_RECVPKTINFO = 49
IPV6_PKTINFO = 50
IPV6_RECVHOPLIMIT = 51
IPV6_HOPLIMIT = 52
TYPES = {"A": 1, "PTR": 12, "AAAA": 28, "NSEC": 47, "ANY": 255}


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def read_name(msg, off):
    labels, jumped, end, hops = [], False, off, 0
    while True:
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if not jumped:
                end = off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            jumped = True
            hops += 1
            if hops > 32:
                raise ValueError("pointer loop")
            continue
        if n == 0:
            return ".".join(labels), (end if jumped else off + 1)
        labels.append(msg[off + 1:off + 1 + n].decode("ascii", "replace"))
        off += 1 + n


def records(msg):
    _, _, qd, an, ns, ar = struct.unpack(">HHHHHH", msg[:12])
    off = 12
    for _ in range(qd):
        _, off = read_name(msg, off)
        off += 4
    for _ in range(an + ns + ar):
        name, off = read_name(msg, off)
        rtype, rclass, ttl, rdlen = struct.unpack(">HHIH", msg[off:off + 10])
        off += 10
        rdata_off = off
        off += rdlen
        if rtype == 1 and rdlen == 4:
            data = socket.inet_ntoa(msg[rdata_off:rdata_off + 4])
        elif rtype == 28 and rdlen == 16:
            data = socket.inet_ntop(socket.AF_INET6, msg[rdata_off:rdata_off + 16])
        elif rtype == 12:
            data = read_name(msg, rdata_off)[0]
        else:
            data = msg[rdata_off:off].hex()
        yield name, rtype, rclass, ttl, data


def open_socket(ifname):
    ifindex = socket.if_nametoindex(ifname)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
    s.bind(("", PORT))
    mreqn = socket.inet_aton(GROUP) + socket.inet_aton("0.0.0.0") + struct.pack("=i", ifindex)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
                 socket.inet_aton("0.0.0.0") + socket.inet_aton("0.0.0.0") + struct.pack("=i", ifindex))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
    return s


def open_socket6(ifname):
    ifindex = socket.if_nametoindex(ifname)
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind(("::", PORT))
    mreq = socket.inet_pton(socket.AF_INET6, GROUP6) + struct.pack("=I", ifindex)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifindex)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
    s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
    s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1)
    return s, (GROUP6, PORT, 0, ifindex)


def arrival(anc):
    """The destination address and (IPv6) hop limit of a datagram."""
    dst, hops = None, None
    for level, ctype, cdata in anc:
        if level == socket.IPPROTO_IP and ctype == IP_PKTINFO:
            dst = socket.inet_ntoa(cdata[8:12])
        elif level == socket.IPPROTO_IPV6 and ctype == IPV6_PKTINFO:
            dst = socket.inet_ntop(socket.AF_INET6, cdata[:16])
        elif level == socket.IPPROTO_IPV6 and ctype == IPV6_HOPLIMIT:
            hops = struct.unpack("=i", cdata[:4])[0]
    return dst, hops


def query(args):
    if args.v6:
        s, group = open_socket6(args.ifname)
    else:
        s, group = open_socket(args.ifname), (GROUP, PORT)
    qclass = 1 | (0x8000 if args.qu else 0)
    msg = struct.pack(">HHHHHH", 0, 0, 1, 0, 0, 0) + encode_name(args.name) + \
        struct.pack(">HH", TYPES[args.type], qclass)
    s.sendto(msg, group)
    deadline = time.monotonic() + args.timeout
    found = 0
    while time.monotonic() < deadline:
        r, _, _ = select.select([s], [], [], max(0, deadline - time.monotonic()))
        if not r:
            break
        data, anc, _, src = s.recvmsg(9000, 256)
        dst, hops = arrival(anc)
        if len(data) < 12 or not struct.unpack(">H", data[2:4])[0] & 0x8000:
            continue
        try:
            recs = list(records(data))
        except (ValueError, IndexError, struct.error):
            continue
        for name, rtype, _, ttl, rdata in recs:
            if name.lower() != args.name.lower().rstrip("."):
                continue
            kind = "multicast" if dst == group[0] else "unicast"
            tname = {v: k for k, v in TYPES.items()}.get(rtype, str(rtype))
            extra = " hops=%s" % hops if args.v6 else ""
            print("%s %s %d %s %s%s" % (tname, rdata, ttl, kind, src[0], extra), flush=True)
            found += 1
        if found and not args.all:
            break
    return 0 if found else 1


def legacy(args):
    ifindex = socket.if_nametoindex(args.ifname)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((args.bind, 0))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
                 socket.inet_aton("0.0.0.0") + socket.inet_aton("0.0.0.0") + struct.pack("=i", ifindex))
    msg = struct.pack(">HHHHHH", args.id, 0x0100, 1, 0, 0, 0) + encode_name(args.name) + \
        struct.pack(">HH", 1, 1)
    s.sendto(msg, (GROUP, PORT))
    r, _, _ = select.select([s], [], [], args.timeout)
    if not r:
        return 1
    data, src = s.recvfrom(9000)
    rid, _, qd = struct.unpack(">HHH", data[:6])
    qname = read_name(data, 12)[0] if qd else ""
    print("id=%d question=%s source=%s:%d" % (rid, qname, src[0], src[1]), flush=True)
    for name, rtype, rclass, ttl, rdata in records(data):
        print("%d %s %d %d %s" % (rtype, rdata, ttl, rclass, name), flush=True)
    return 0


def spoofed(payload, src, ifname):
    """payload in UDP 5353 -> 5353, IPv4 from src to the group, TTL 255."""
    pkt = ip_udp(payload, src=src, dst=GROUP, sport=PORT, dport=PORT)
    pkt = pkt[:8] + b"\xff" + pkt[9:10] + b"\0\0" + pkt[12:]
    pkt = pkt[:10] + struct.pack(">H", csum(pkt[:20])) + pkt[12:]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
    s.sendto(pkt, (ifname, 0x0800, 0, 0, b"\x01\x00\x5e\x00\x00\xfb"))


def announce(args):
    rr = encode_name(args.name) + struct.pack(">HHIH", 1, 0x8001, args.ttl, 4) + \
        socket.inet_aton(args.addr)
    msg = struct.pack(">HHHHHH", 0, 0x8400, 0, 1, 0, 0) + rr
    if args.spoof_src:
        spoofed(msg, args.spoof_src, args.ifname)
        return 0
    s = open_socket(args.ifname)
    s.sendto(msg, (GROUP, PORT))
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("query")
    q.add_argument("name")
    q.add_argument("ifname")
    q.add_argument("--qu", action="store_true")
    q.add_argument("--type", default="A", choices=sorted(TYPES))
    q.add_argument("--timeout", type=float, default=2.0)
    q.add_argument("--all", action="store_true",
                   help="print every answer until the timeout, not the first packet's only")
    q.add_argument("--v6", action="store_true", help="over IPv6, to ff02::fb")
    lg = sub.add_parser("legacy")
    lg.add_argument("name")
    lg.add_argument("ifname")
    lg.add_argument("--bind", required=True)
    lg.add_argument("--id", type=int, default=0x1234)
    lg.add_argument("--timeout", type=float, default=2.0)
    a = sub.add_parser("announce")
    a.add_argument("name")
    a.add_argument("addr")
    a.add_argument("ifname")
    a.add_argument("--ttl", type=int, default=120)
    a.add_argument("--spoof-src")
    args = p.parse_args()
    return {"query": query, "legacy": legacy, "announce": announce}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
