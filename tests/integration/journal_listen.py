#!/usr/bin/python3
"""A stand-in for systemd-journald's native socket, for the integration tests.

Binds a unix datagram socket at PATH (normally /run/systemd/journal/socket,
on a tmpfs in a private mount namespace) and appends each entry it receives
to LOG as one JSON object per line. Parses the native protocol: KEY=value
lines, or KEY, newline, a 64-bit little-endian length, the value and a
newline (the form for values holding a newline). An entry too large for one
datagram arrives as a memfd in SCM_RIGHTS; that is read too. A datagram that
does not parse is logged as {"_error": ..., "_raw": ...} so the test fails
with the bytes shown. Runs until it is killed. Standard library only.
"""
import array
import json
import os
import socket
import struct
import sys


def parse(data):
    fields = {}
    i = 0
    n = len(data)
    while i < n:
        nl = data.find(b"\n", i)
        if nl < 0:
            raise ValueError("entry does not end with a newline at %d" % i)
        line = data[i:nl]
        eq = line.find(b"=")
        if eq >= 0:
            key, value = line[:eq], line[eq + 1:]
            i = nl + 1
        else:
            key = line
            if nl + 9 > n:
                raise ValueError("truncated length for %r" % key)
            (size,) = struct.unpack("<Q", data[nl + 1:nl + 9])
            start = nl + 9
            if start + size + 1 > n or data[start + size:start + size + 1] != b"\n":
                raise ValueError("bad binary value for %r" % key)
            value = data[start:start + size]
            i = start + size + 1
        if not key or not all(c == 0x5F or 0x30 <= c <= 0x39 or 0x41 <= c <= 0x5A
                              for c in key):
            raise ValueError("bad field name %r" % key)
        fields.setdefault(key.decode(), []).append(value.decode("utf-8", "replace"))
    return {k: v[0] if len(v) == 1 else v for k, v in fields.items()}


def receive(sock):
    fds = array.array("i")
    data, anc, _, _ = sock.recvmsg(1 << 20, socket.CMSG_SPACE(4 * fds.itemsize))
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[:len(payload) - len(payload) % fds.itemsize])
    for fd in fds:
        with os.fdopen(fd, "rb") as f:
            f.seek(0)
            data = f.read()
    return data


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: journal_listen.py SOCKET LOG\n")
        return 2
    path, log = sys.argv[1], sys.argv[2]
    if os.path.exists(path):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    with open(log, "a", encoding="utf-8") as out:
        while True:
            data = receive(sock)
            try:
                entry = parse(data)
            except ValueError as e:
                entry = {"_error": str(e), "_raw": data.decode("latin-1")}
            out.write(json.dumps(entry, sort_keys=True) + "\n")
            out.flush()


if __name__ == "__main__":
    sys.exit(main())
