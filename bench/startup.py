#!/usr/bin/python3
"""Start-up time and idle memory of defnetd, beside dnsmasq, in one run.

Run as root from the repository after building (ninja -C build):
    bench/startup.py [--runs 10] [--defnetd build/daemon/defnetd]

Everything happens inside a network namespace this script creates and
deletes. defnetd: time from exec to READY=1 on $NOTIFY_SOCKET, with the
bridge already present (the second and later starts), and with it created
(the first start). dnsmasq: time from exec to its first DNS answer on the
namespace's loopback. Memory: RSS and RssAnon of each, idle, from
/proc/PID/status.
"""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

NS = f"dn-bench-startup-{os.getpid()}"


def proc_mem(pid):
    mem = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon"):
                mem[key] = int(value.split()[0])
    return mem


def stop(p):
    p.terminate()
    try:
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def defnetd_once(binary, tmp, keep=False):
    """Returns (ms to READY=1, process) and stops it unless keep."""
    path = os.path.join(tmp, "notify")
    if os.path.exists(path):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(10)
    env = dict(os.environ, NOTIFY_SOCKET=path)
    cmd = [binary, "--config", os.path.join(tmp, "none.conf"),
                "--state-dir", os.path.join(tmp, "state"),
                "--runtime-dir", os.path.join(tmp, "run")]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, env=env, stderr=subprocess.DEVNULL)
    try:
        while b"READY=1" not in sock.recv(4096):
            pass
    finally:
        sock.close()
    ms = (time.monotonic() - t0) * 1000
    if not keep:
        stop(p)
    return ms, p



def dnsmasq_once(tmp, keep=False):
    """Returns (ms from exec to the first DNS answer, process)."""
    query = (b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
             b"\x01a\x04test\x00\x00\x01\x00\x01")  # a.test A IN
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.001)
    cmd = ["dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts",
           "--port=5300", "--listen-address=127.0.0.1", "--bind-interfaces",
           "--address=/test/192.0.2.7", f"--pid-file={tmp}/dnsmasq.pid", "--user=root"]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
    try:
        for _ in range(10000):
            try:
                s.sendto(query, ("127.0.0.1", 5300))
                if s.recv(512)[:2] == query[:2]:
                    break
            except OSError:
                pass
        else:
            raise RuntimeError("dnsmasq never answered")
    finally:
        s.close()
    ms = (time.monotonic() - t0) * 1000
    if not keep:
        stop(p)
    return ms, p


def measure(args):
    binary = os.path.abspath(args.defnetd)
    tmp = tempfile.mkdtemp(prefix="dn-bench-")
    try:
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        open(os.path.join(tmp, "none.conf"), "w").close()
        created, _ = defnetd_once(binary, tmp)
        ready = [defnetd_once(binary, tmp)[0] for _ in range(args.runs)]
        _, p = defnetd_once(binary, tmp, keep=True)
        time.sleep(1)
        dmem = proc_mem(p.pid)
        stop(p)
        have_dnsmasq = shutil.which("dnsmasq") is not None
        if have_dnsmasq:
            first = [dnsmasq_once(tmp)[0] for _ in range(args.runs)]
            _, p = dnsmasq_once(tmp, keep=True)
            time.sleep(1)
            mmem = proc_mem(p.pid)
            stop(p)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'':28} {'defnetd':>10} {'dnsmasq':>10}")
    print(f"{'start, bridge created (ms)':28} {created:10.1f} {'':>10}")
    dm = f"{statistics.median(first):10.1f}" if have_dnsmasq else f"{'n/a':>10}"
    print(f"{'start, median of %d (ms)' % args.runs:28} {statistics.median(ready):10.1f} {dm}")
    for key, label in (("VmRSS", "idle RSS (kB)"), ("RssAnon", "idle RssAnon (kB)")):
        m = f"{mmem[key]:10d}" if have_dnsmasq else f"{'n/a':>10}"
        print(f"{label:28} {dmem[key]:10d} {m}")
    print("defnetd: exec to READY=1, bridge present; dnsmasq: exec to first DNS answer")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--defnetd", default="build/daemon/defnetd")
    ap.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inside:
        measure(args)
        return
    if os.geteuid() != 0:
        sys.exit("run as root (it creates a network namespace)")
    subprocess.run(["ip", "netns", "add", NS], check=True)
    try:
        # The measuring runs inside the namespace, so that the DNS probe
        # needs no process start of its own.
        subprocess.run(["ip", "netns", "exec", NS, sys.executable, os.path.abspath(__file__),
                        "--inside", "--runs", str(args.runs),
                        "--defnetd", os.path.abspath(args.defnetd)], check=True, timeout=300)
    finally:
        subprocess.run(["ip", "netns", "del", NS])


if __name__ == "__main__":
    main()
