#!/usr/bin/python3
"""A DNS client that controls every byte it sends, for the DNS tests.

  dns_query.py SERVER query NAME TYPE [--id N] [--count K]
      sends K queries (names NAME, or NAME with {i} replaced by 0..K-1) with
      the given ID; prints "ID RCODE ANCOUNT" per answer, or "timeout".
  dns_query.py SERVER raw HEX
      sends the bytes; prints "RCODE QDCOUNT ID" of the answer, or "timeout".
  dns_query.py SERVER burst NAME TYPE --count K --rate R
      sends K queries from one socket, R a second, with IDs 0..K-1 and
      NAME's {i} replaced by the ID modulo 100; reads the answers as they
      come and up to 3 s after the last query; prints "sent K answered M
      wrong W", W counting answers whose ID, name or type is not one sent.
"""
import random
import select
import socket
import struct
import sys
import time

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


def question(msg):
    """The question of a message (bytes after the header), or None."""
    end = 12
    while end < len(msg) and msg[end] != 0:
        end += msg[end] + 1
    return msg[12:end + 5] if end + 5 <= len(msg) else None


def burst(server, name, qtype, count, rate):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.connect((server, 53))
    s.setblocking(False)
    sent = {}
    answered = wrong = 0

    def drain(wait):
        nonlocal answered, wrong
        while select.select([s], [], [], wait)[0]:
            wait = 0
            ans = s.recv(65535)
            qid = struct.unpack(">H", ans[:2])[0] if len(ans) >= 12 else None
            if qid in sent and question(ans) == sent.pop(qid):
                answered += 1
            else:
                wrong += 1

    start = time.monotonic()
    for i in range(count):
        q = build(name.replace("{i}", str(i % 100)), qtype, i)
        sent[i] = question(q)
        while True:
            try:
                s.send(q)
                break
            except BlockingIOError:
                drain(0.001)
        drain(0)
        ahead = start + (i + 1) / rate - time.monotonic()
        if ahead > 0:
            drain(ahead)
    deadline = time.monotonic() + 3
    while sent and time.monotonic() < deadline:
        drain(0.1)
    print("sent", count, "answered", answered, "wrong", wrong)


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
    if mode == "burst":
        burst(server, name, qtype, int(args[args.index("--count") + 1]),
              float(args[args.index("--rate") + 1]))
        return
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
