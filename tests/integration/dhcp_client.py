#!/usr/bin/python3
"""A small DHCPv4 client for the integration tests: exact control over what
it sends (any client MAC, any host name bytes, INIT-REBOOT), standard
library only. Runs inside a guest namespace on a packet socket, sends from
0.0.0.0:68 with the broadcast flag, and prints one line per exchange:

    dhcp_client.py IFACE MAC dora [--hostname TEXT | --hostname-hex HEX]
        -> "ACK 172.20.48.7" | "NAK" | "TIMEOUT"
    dhcp_client.py IFACE MAC reboot IP      (REQUEST, option 50, no server id)
    dhcp_client.py IFACE MAC release IP SERVER
    --timeout S: seconds to wait for each of the three tries (3)
    --giaddr IP: the DISCOVER claims to come through a relay at IP

A host name longer than 255 bytes goes as several option 12 parts
(RFC 3396), the way a hostile guest may send it.
"""
import argparse
import os
import random
import select
import socket
import struct
import sys
import time

ETH_P_IP = 0x0800
COOKIE = b"\x63\x82\x53\x63"


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip_udp(payload, src="0.0.0.0", dst="255.255.255.255", sport=68, dport=67):
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    ulen = 8 + len(payload)
    pseudo = s + d + struct.pack("!BBH", 0, 17, ulen)
    udp = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    c = csum(pseudo + udp) or 0xffff
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 0, 0x4000, 64, 17, 0, s, d)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + udp


def option(code, value):
    out = b""
    while True:
        part, value = value[:255], value[255:]
        out += bytes([code, len(part)]) + part
        if not value:
            return out


def message(mac, xid, mtype, opts=b"", ciaddr="0.0.0.0", giaddr="0.0.0.0"):
    hdr = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0, 0x8000,
                      socket.inet_aton(ciaddr), b"\0" * 4, b"\0" * 4, socket.inet_aton(giaddr),
                      mac, b"", b"")
    body = COOKIE + option(53, bytes([mtype])) + opts + b"\xff"
    msg = hdr + body
    return msg + b"\0" * max(0, 300 - len(msg))


def parse(pkt, xid):
    """(type, yiaddr, options) of a BOOTREPLY for xid, or None."""
    if len(pkt) < 28 or pkt[9] != 17:
        return None
    ihl = (pkt[0] & 15) * 4
    dport = struct.unpack("!H", pkt[ihl + 2:ihl + 4])[0]
    d = pkt[ihl + 8:]
    if dport != 68 or len(d) < 240 or d[0] != 2 or struct.unpack("!I", d[4:8])[0] != xid:
        return None
    opts, i = {}, 240
    while i < len(d) and d[i] != 255:
        if d[i] == 0:
            i += 1
            continue
        opts[d[i]] = d[i + 2:i + 2 + d[i + 1]]
        i += 2 + d[i + 1]
    return opts.get(53, b"\0")[0], socket.inet_ntoa(d[16:20]), opts


class Client:
    def __init__(self, iface, mac):
        self.iface = iface
        self.mac = bytes.fromhex(mac.replace(":", ""))
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
        self.s.bind((iface, ETH_P_IP))

    def send(self, payload):
        self.s.sendto(ip_udp(payload), (self.iface, ETH_P_IP, 0, 0, b"\xff" * 6))

    def exchange(self, payload, xid, want, timeout=3.0):
        for _ in range(3):
            self.send(payload)
            end = time.monotonic() + timeout
            while True:
                left = end - time.monotonic()
                if left <= 0 or not select.select([self.s], [], [], left)[0]:
                    break
                r = parse(self.s.recv(2048), xid)
                if r and r[0] in want:
                    return r
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("iface")
    ap.add_argument("mac")
    ap.add_argument("op", choices=("dora", "reboot", "release"))
    ap.add_argument("args", nargs="*")
    ap.add_argument("--hostname")
    ap.add_argument("--hostname-hex")
    ap.add_argument("--giaddr", default="0.0.0.0", help="as a relay agent would set it")
    ap.add_argument("--timeout", type=float, default=3.0, help="seconds per try (3 tries)")
    a = ap.parse_args()
    c = Client(a.iface, a.mac)
    xid = random.getrandbits(32)
    name = b""
    if a.hostname is not None:
        name = option(12, a.hostname.encode())
    elif a.hostname_hex is not None:
        name = option(12, bytes.fromhex(a.hostname_hex))
    if a.op == "release":
        server = socket.inet_aton(a.args[1])
        c.send(message(c.mac, xid, 7, option(54, server), ciaddr=a.args[0]))
        print("SENT")
        return
    if a.op == "reboot":
        req = a.args[0]
    else:
        r = c.exchange(message(c.mac, xid, 1, name, giaddr=a.giaddr), xid, (2,), a.timeout)
        if not r:
            print("TIMEOUT")
            return
        req = r[1]
        name += option(54, r[2][54])
    r = c.exchange(message(c.mac, xid, 3, option(50, socket.inet_aton(req)) + name), xid,
                   (5, 6), a.timeout)
    print("TIMEOUT" if not r else ("ACK %s" % r[1] if r[0] == 5 else "NAK"))


if __name__ == "__main__":
    main()
