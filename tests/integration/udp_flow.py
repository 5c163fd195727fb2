#!/usr/bin/python3
"""A long-lived UDP flow, for the uplink tests and bench/nat.sh.

  udp_flow.py log PORT FILE SECONDS [BIND]
      Listens on BIND (default 0.0.0.0; an IPv6 address such as :: for
      IPv6 only):PORT and writes one line per datagram to FILE:
      "<CLOCK_MONOTONIC ns> <source address>", flushed at once.
  udp_flow.py send ADDR PORT INTERVAL_MS SECONDS [SPORT]
      Sends a datagram every INTERVAL_MS from one socket (one flow,
      source port SPORT or any) for SECONDS; over IPv6 when ADDR is.
  udp_flow.py at CMD...
      Prints CLOCK_MONOTONIC in ns, then runs CMD: the moment of a change.
  udp_flow.py first FILE T0_NS ADDR [WAIT_S]
      Prints the ms from T0_NS to the first datagram at or after it from
      ADDR, reading FILE again every 0.1 s for up to WAIT_S seconds
      (default 0: once); exit 1 when there is none.

CLOCK_MONOTONIC is one clock for every network namespace, so the times
of the logger, the change and the sender compare directly. Every loop is
bounded by SECONDS."""
import socket
import subprocess
import sys
import time


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def log(port, path, seconds, bind="0.0.0.0"):
    s = socket.socket(family(bind), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if ":" in bind:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((bind, int(port)))
    end = time.monotonic() + float(seconds)
    with open(path, "a", buffering=1) as out:
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return 0
            s.settimeout(left)
            try:
                _, peer = s.recvfrom(2048)
            except socket.timeout:
                return 0
            out.write("%d %s\n" % (time.monotonic_ns(), peer[0]))


def send(addr, port, interval_ms, seconds, sport="0"):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.bind(("::" if ":" in addr else "0.0.0.0", int(sport)))
    interval = float(interval_ms) / 1000.0
    end = time.monotonic() + float(seconds)
    n = 0
    nxt = time.monotonic()
    while time.monotonic() < end:
        try:
            s.sendto(b"defnet flow %d" % n, (addr, int(port)))
        except OSError:
            pass  # no route for a moment: the flow goes on
        n += 1
        nxt += interval
        pause = nxt - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    return 0


def at(cmd):
    sys.stdout.write("%d\n" % time.monotonic_ns())
    sys.stdout.flush()
    return subprocess.call(cmd)


def first(path, t0, addr, wait="0"):
    t0 = int(t0)
    deadline = time.monotonic() + float(wait)
    while True:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2 and int(parts[0]) >= t0 and parts[1] == addr:
                    print("%.1f" % ((int(parts[0]) - t0) / 1e6))
                    return 0
        if time.monotonic() >= deadline:
            return 1
        time.sleep(0.1)


def main(argv):
    if len(argv) in (4, 5) and argv[0] == "log":
        return log(*argv[1:])
    if len(argv) in (5, 6) and argv[0] == "send":
        return send(*argv[1:])
    if len(argv) >= 2 and argv[0] == "at":
        return at(argv[1:])
    if len(argv) in (4, 5) and argv[0] == "first":
        return first(*argv[1:])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
