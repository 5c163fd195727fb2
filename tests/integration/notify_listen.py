#!/usr/bin/python3
"""sd_notify listener for the integration tests.

Binds a unix datagram socket at PATH ('@' prefix: abstract) and appends each
datagram to LOG as its KEY=value lines followed by a line '--', flushed at
once, so a test can wait for READY=1 and check the order of the states.
Runs until it is killed. Standard library only.
"""
import os
import socket
import sys


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: notify_listen.py SOCKET LOG\n")
        return 2
    path, log = sys.argv[1], sys.argv[2]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if path.startswith("@"):
        sock.bind("\0" + path[1:])
    else:
        if os.path.exists(path):
            os.unlink(path)
        sock.bind(path)
    with open(log, "a", encoding="utf-8") as out:
        while True:
            data = sock.recv(65536)
            text = data.decode("utf-8", errors="replace")
            for line in text.split("\n"):
                if line:
                    out.write(line + "\n")
            out.write("--\n")
            out.flush()


if __name__ == "__main__":
    sys.exit(main())
