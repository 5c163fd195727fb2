#!/usr/bin/python3
"""A DNS client that controls every byte it sends, for the DNS tests.

  dns_query.py SERVER query NAME TYPE [--id N] [--count K]
      sends K queries (names NAME, or NAME with {i} replaced by 0..K-1) with
      the given ID; prints "ID RCODE ANCOUNT" per answer, or "timeout".
  dns_query.py SERVER raw HEX
      sends the bytes; prints "RCODE QDCOUNT ID" of the answer, or "timeout".
"""
import random
import socket
import struct
import sys

TYPES = {"A": 1, "NS": 2, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28}


def build(name, qtype, qid):
    out = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0" + struct.pack(">HH", qtype, 1)


def exchange(server, data, timeout=3.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.sendto(data, (server, 53))
    try:
        return s.recv(65535)
    except socket.timeout:
        return None
    finally:
        s.close()


def main():
    server, mode = sys.argv[1], sys.argv[2]
    if mode == "raw":
        ans = exchange(server, bytes.fromhex(sys.argv[3]), 2.0)
        if ans is None or len(ans) < 12:
            print("timeout")
            return
        qid, flags, qd = struct.unpack(">HHH", ans[:6])
        print(flags & 0xF, qd, qid)
        return
    name, qtype = sys.argv[3], TYPES[sys.argv[4]]
    args = sys.argv[5:]
    qid = int(args[args.index("--id") + 1]) if "--id" in args else random.randrange(65536)
    count = int(args[args.index("--count") + 1]) if "--count" in args else 1
    for i in range(count):
        ans = exchange(server, build(name.replace("{i}", str(i)), qtype, qid))
        if ans is None:
            print("timeout")
            continue
        rid, flags, _, an = struct.unpack(">HHHH", ans[:8])
        print(rid, flags & 0xF, an)


if __name__ == "__main__":
    main()
