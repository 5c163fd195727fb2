#!/usr/bin/python3
"""A guest that lies about who it is, for test_spoof_guard.sh (standard
library only): raw Ethernet frames out of IFACE with whatever source MAC
and address it is told, and a DHCPv6 server's answer. Each mode prints
"sent N".

  spoof_send.py udp IFACE SRC_MAC SRC_IP DST_MAC DST_IP PORT MARKER COUNT
      IPv4/UDP datagrams carrying MARKER
  spoof_send.py arp IFACE SRC_MAC SENDER_MAC SENDER_IP DST_MAC TARGET_IP COUNT
      ARP replies (RFC 826): SENDER_IP is at SENDER_MAC
  spoof_send.py dhcp6 IFACE COUNT
      DHCPv6 Advertise messages (RFC 8415 7.3, type 2) from port 547 to
      all nodes, port 546, as a rogue DHCPv6 server would
"""
import socket
import struct
import sys
import time

from dhcp_client import ip_udp

ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
DHCP6_ADVERTISE = 2


def mac(text):
    return bytes.fromhex(text.replace(":", ""))


def send_frames(iface, frame, count):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    for i in range(count):
        s.send(frame)
        if i + 1 < count:
            time.sleep(0.05)
    print("sent %d" % count)


def mode_udp(iface, src_mac, src_ip, dst_mac, dst_ip, port, marker, count):
    payload = marker.encode()
    frame = mac(dst_mac) + mac(src_mac) + struct.pack("!H", ETH_P_IP) + \
        ip_udp(payload, src=src_ip, dst=dst_ip, sport=40000, dport=int(port))
    send_frames(iface, frame, int(count))


def mode_arp(iface, src_mac, sender_mac, sender_ip, dst_mac, target_ip, count):
    # Ethernet, IPv4, 6- and 4-byte addresses, a reply.
    arp = struct.pack("!HHBBH", 1, ETH_P_IP, 6, 4, 2) + mac(sender_mac) + \
        socket.inet_aton(sender_ip) + mac(dst_mac) + socket.inet_aton(target_ip)
    frame = mac(dst_mac) + mac(src_mac) + struct.pack("!H", ETH_P_ARP) + arp
    send_frames(iface, frame, int(count))


def mode_dhcp6(iface, count):
    # Transaction id, then a server identifier (option 2, a DUID-LL).
    duid = struct.pack("!HH", 3, 1) + b"\x02\x66\x00\x00\x00\x01"
    msg = bytes([DHCP6_ADVERTISE]) + b"\x12\x34\x56" + struct.pack("!HH", 2, len(duid)) + duid
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    s.bind(("::", 547))
    idx = socket.if_nametoindex(iface)
    for i in range(int(count)):
        s.sendto(msg, ("ff02::1", 546, 0, idx))
        if i + 1 < int(count):
            time.sleep(0.05)
    print("sent %s" % count)


def main():
    modes = {"udp": (mode_udp, 8), "arp": (mode_arp, 7), "dhcp6": (mode_dhcp6, 2)}
    if len(sys.argv) < 2 or sys.argv[1] not in modes or len(sys.argv) - 2 != modes[sys.argv[1]][1]:
        sys.exit(__doc__)
    modes[sys.argv[1]][0](*sys.argv[2:])


if __name__ == "__main__":
    main()
