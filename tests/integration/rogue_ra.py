#!/usr/bin/python3
"""A rogue router for test_guest_guards.sh (standard library only): sends
router advertisements (RFC 4861 4.2) with a prefix for SLAAC (4.6.2) out of
IFACE to all nodes, as a guest that thinks it is a router would.

    rogue_ra.py IFACE PREFIX COUNT      e.g. eth0 2001:db8:77:: 3
"""
import socket
import struct
import sys
import time

ICMPV6_RA = 134
ND_OPT_PREFIX_INFORMATION = 3


def advertisement(prefix):
    # Hop limit 64, no flags, router lifetime 1800 s, reachable and
    # retransmit timers unspecified; then the prefix, on-link and
    # autonomous (L and A), valid and preferred for an hour.
    ra = struct.pack("!BBHBBHII", ICMPV6_RA, 0, 0, 64, 0, 1800, 0, 0)
    opt = struct.pack("!BBBBIII", ND_OPT_PREFIX_INFORMATION, 4, 64, 0xc0, 3600, 3600, 0)
    return ra + opt + socket.inet_pton(socket.AF_INET6, prefix)


def main():
    iface, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    # RFC 4861 6.1.2: a receiver drops an RA whose hop limit is not 255.
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    idx = socket.if_nametoindex(iface)
    for i in range(count):
        s.sendto(advertisement(prefix), ("ff02::1", 0, 0, idx))
        if i + 1 < count:
            time.sleep(0.2)
    print("sent %d" % count)


if __name__ == "__main__":
    main()
