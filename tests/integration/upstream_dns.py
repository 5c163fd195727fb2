#!/usr/bin/python3
"""A scripted upstream DNS server for the tests that attack the forwarder
(standard library only), UDP on ADDR:53. Every query it gets is logged to
LOG as "SPORT ID QNAME" (for RFC 5452's checks: IDs and source ports).

  upstream_dns.py ADDR LOG [--spoof] [--silent PREFIX]

Names get A 192.0.2.1 (the test zone's www), answered at once, except:
  --silent PREFIX   names starting with PREFIX get no answer at all
  --spoof           for names starting with "spoof", first, answers that
                    must be dropped, each carrying A 6.6.6.6: the wrong ID, another name, another type,
                    another class, no question; then the real answer.
                    Names starting with "spoofonly" get only the bad ones,
                    and one more: the right ID and question with QR clear.
"""
import argparse
import socket
import struct
import sys
import time

GOOD = bytes([192, 0, 2, 1])
BAD = bytes([6, 6, 6, 6])


def qname(msg):
    off, labels = 12, []
    while off < len(msg) and msg[off]:
        n = msg[off]
        labels.append(msg[off + 1:off + 1 + n].decode("ascii", "replace"))
        off += 1 + n
    return ".".join(labels), off + 1


def answer(qid, flags, question, addr, qd=1):
    hdr = struct.pack("!HHHHHH", qid, flags, qd, 1, 0, 0)
    rr = b"\xc0\x0c\x00\x01\x00\x01" + struct.pack("!IH", 60, 4) + addr
    return hdr + question + rr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("addr")
    ap.add_argument("log")
    ap.add_argument("--spoof", action="store_true")
    ap.add_argument("--silent", default=None)
    a = ap.parse_args()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((a.addr, 53))
    log = open(a.log, "a", buffering=1)
    while True:
        msg, peer = s.recvfrom(4096)
        if len(msg) < 12:
            continue
        qid, flags = struct.unpack("!HH", msg[:4])
        name, end = qname(msg)
        if end + 4 > len(msg):
            continue
        question = msg[12:end + 4]
        log.write("%d %d %s\n" % (peer[1], qid, name))
        if a.silent and name.startswith(a.silent):
            continue
        rd = flags & 0x0100
        if a.spoof and name.startswith("spoof"):
            other = b"\x05other" + question[question[0] + 1:]
            qtype = struct.unpack("!H", question[-4:-2])[0]
            qclass = struct.unpack("!H", question[-2:])[0]
            bads = [answer((qid + 1) & 0xffff, 0x8180 | rd, question, BAD),
                    answer(qid, 0x8180 | rd, other, BAD),
                    answer(qid, 0x8180 | rd, question[:-4] + struct.pack("!HH", qtype ^ 0x1c, qclass), BAD),
                    answer(qid, 0x8180 | rd, question[:-4] + struct.pack("!HH", qtype, 3), BAD),
                    answer(qid, 0x8180 | rd, b"", BAD, qd=0)[:12]]
            if name.startswith("spoofonly"):
                # The right ID and question, but not an answer (QR clear):
                # it ends the query (c-ares looks no further), as SERVFAIL.
                bads.append(answer(qid, 0x0180 | rd, question, BAD))
            for bad in bads:
                s.sendto(bad, peer)
            time.sleep(0.01)
            if name.startswith("spoofonly"):
                continue
        s.sendto(answer(qid, 0x8180 | rd, question, GOOD), peer)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
