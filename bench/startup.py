#!/usr/bin/python3
"""Start-up time and idle memory of defnetd, beside dnsmasq (and Kea for
DHCP when kea-dhcp4 is installed), in one run.

Run as root from the repository after building (ninja -C build):
    bench/startup.py [--runs 10] [--defnetd build/daemon/defnetd]

Everything happens inside two network namespaces this script creates and
deletes: a server namespace with the bridge defnet0 (10.79.0.1/16) and a
client namespace on a veth port of it (10.79.0.2, and 198.18.79.2: the
relay, outside the guest subnet, since defnetd answers no giaddr inside
it). defnetd: time from exec
to READY=1 on $NOTIFY_SOCKET, with the bridge created (the first start)
and present (the later starts). For every server, from exec, with the
bridge present: the first DHCPOFFER (a DISCOVER relayed from 10.79.0.2
every millisecond by 198.18.79.2 until one is answered) and the first forwarded DNS
answer (a query to 10.79.0.1:53 every millisecond, forwarded to an
upstream on 127.0.0.2 in the server namespace). Memory: RSS and RssAnon
from /proc/PID/status, one second after exec with the DISCOVER and the
query still sent every millisecond (the first start of each server),
and idle one second later.
"""
import argparse
import ctypes
import json
import os
import select
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

# The measuring process, inside, is told the names.
NS = os.environ.get("DN_BENCH_NS", f"dn-bench-startup-{os.getpid()}")
CLI = NS + "-cli"
SERVER_IP, CLIENT_IP, UPSTREAM = "10.79.0.1", "10.79.0.2", "127.0.0.2"
RELAY_IP = "198.18.79.2"
POOL = ("10.79.1.0", "10.79.255.254")
CLONE_NEWNET = 0x40000000


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


def upstream():
    """Answers every query on UPSTREAM:53 with one A record, at once."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((UPSTREAM, 53))

    def serve():
        while True:
            q, peer = s.recvfrom(512)
            if len(q) < 12:
                continue
            end = q.index(b"\0", 12) + 5
            s.sendto(q[:2] + b"\x81\x80" + q[4:6] + b"\x00\x01\x00\x00\x00\x00" +
                     q[12:end] + b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" +
                     socket.inet_aton("192.0.2.7"), peer)
    threading.Thread(target=serve, daemon=True).start()


def client_sockets():
    """The relay's DHCP socket and the DNS socket, made in the client
    namespace (a socket stays in the namespace it was made in)."""
    libc = ctypes.CDLL(None, use_errno=True)
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    there = os.open(f"/run/netns/{CLI}", os.O_RDONLY)
    try:
        if libc.setns(there, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")
        dhcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        dhcp.bind((RELAY_IP, 67))
        dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        dns.bind((CLIENT_IP, 0))
    finally:
        if libc.setns(home, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns back")
        os.close(home)
        os.close(there)
    return dhcp, dns


def discover(n):
    """A DISCOVER relayed by RELAY_IP (giaddr), from MAC 02:00:00:00:n."""
    mac = struct.pack("!HI", 0x0200, n)
    return (struct.pack("!BBBBIHH4s4s4s4s", 1, 1, 6, 1, 0x5eed0000 + n, 0, 0, bytes(4),
                        bytes(4), bytes(4), socket.inet_aton(RELAY_IP)) +
            mac + bytes(10 + 64 + 128) + b"\x63\x82\x53\x63\x35\x01\x01\xff")


def query(n):
    name = b"".join(bytes([len(x)]) + x for x in (b"first%d" % n, b"example", b"com"))
    return struct.pack("!HHHHHH", n & 0xffff, 0x0100, 1, 0, 0, 0) + name + b"\0\0\1\0\1"


def first_answers(cmd, env, socks, n, notify=None, want_dns=True, limit=5.0, stream=0.0):
    """Starts cmd; returns (process, {"ready", "offer", "dns"}: ms from exec,
    None for what did not come within limit seconds). The DISCOVER and the
    query go on every millisecond for stream seconds from exec even once
    answered."""
    dhcp, dns = socks
    for s in (dhcp, dns):
        while select.select([s], [], [], 0)[0]:
            s.recv(2048)
    got = {"ready": None, "offer": None, "dns": None if want_dns else -1}
    watch = [dhcp, dns] + ([notify] if notify else [])
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    nxt = t0
    while time.monotonic() - t0 < limit and (got["offer"] is None or got["dns"] is None or
                                             (notify and got["ready"] is None) or
                                             time.monotonic() - t0 < stream):
        now = time.monotonic()
        streaming = now - t0 < stream
        if now >= nxt:
            if got["offer"] is None or streaming:
                dhcp.sendto(discover(n), (SERVER_IP, 67))
            if got["dns"] is None or (streaming and want_dns):
                dns.sendto(query(n), (SERVER_IP, 53))
            nxt += 0.001
        for s in select.select(watch, [], [], max(0, nxt - time.monotonic()))[0]:
            data = s.recv(2048)
            ms = (time.monotonic() - t0) * 1000
            if s is notify and b"READY=1" in data and got["ready"] is None:
                got["ready"] = ms
            elif s is dhcp and len(data) > 240 and data[0] == 2 and got["offer"] is None:
                got["offer"] = ms
            elif s is dns and data[:2] == query(n)[:2] and got["dns"] is None:
                got["dns"] = ms
    return p, got


class Servers:
    def __init__(self, tmp, binary):
        self.tmp, self.binary, self.n = tmp, binary, 0
        self.notify_path = os.path.join(tmp, "notify")
        with open(os.path.join(tmp, "defnet.conf"), "w") as f:
            f.write(f"[Network]\nBridge=defnet0\nSubnet=10.79.0.0/16\n"
                    f"[DNS]\nResolvConf={tmp}/resolv.conf\n")
        with open(os.path.join(tmp, "resolv.conf"), "w") as f:
            f.write(f"nameserver {UPSTREAM}\n")
        self.state = os.path.join(tmp, "state")

    def run(self, kind, socks, stream=0.0):
        """One start of kind on an empty lease database: (process, times)."""
        self.n += 1
        shutil.rmtree(self.state, ignore_errors=True)
        env = dict(os.environ)
        env.pop("NOTIFY_SOCKET", None)
        notify = None
        if kind == "defnetd":
            if os.path.exists(self.notify_path):
                os.unlink(self.notify_path)
            notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            notify.bind(self.notify_path)
            env["NOTIFY_SOCKET"] = self.notify_path
            cmd = [self.binary, "--config", os.path.join(self.tmp, "defnet.conf"),
                   "--state-dir", self.state, "--runtime-dir", os.path.join(self.tmp, "run")]
        elif kind == "dnsmasq":
            cmd = ["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv",
                   "--no-hosts", f"--server={UPSTREAM}", "--interface=defnet0",
                   "--except-interface=lo", "--bind-interfaces", f"--dhcp-range={POOL[0]},{POOL[1]},255.255.0.0,1h",
                   f"--shared-network={RELAY_IP},10.79.0.0",
                   f"--dhcp-leasefile={self.tmp}/dnsmasq.leases", "--user=root",
                   "--group=root", f"--pid-file={self.tmp}/dnsmasq.pid"]
            if os.path.exists(f"{self.tmp}/dnsmasq.leases"):
                os.unlink(f"{self.tmp}/dnsmasq.leases")
        else:
            conf = {"Dhcp4": {
                "interfaces-config": {"interfaces": ["defnet0"], "dhcp-socket-type": "udp"},
                "lease-database": {"type": "memfile", "persist": False},
                "valid-lifetime": 3600,
                "subnet4": [{"subnet": "10.79.0.0/16", "id": 1,
                             "pools": [{"pool": f"{POOL[0]} - {POOL[1]}"}],
                             "relay": {"ip-addresses": [RELAY_IP]}}]}}
            with open(os.path.join(self.tmp, "kea.json"), "w") as f:
                json.dump(conf, f)
            env["KEA_LOCKFILE_DIR"] = env["KEA_PIDFILE_DIR"] = self.tmp
            cmd = ["kea-dhcp4", "-c", os.path.join(self.tmp, "kea.json")]
        try:
            return first_answers(cmd, env, socks, self.n, notify, want_dns=kind != "kea",
                                 stream=stream)
        finally:
            if notify:
                notify.close()


def plug_client():
    """The client's veth port on the bridge (which the first start made)."""
    def ip(*a):
        subprocess.run(["ip"] + list(a), check=True)
    ip("link", "add", "v-cli", "type", "veth", "peer", "name", "eth0", "netns", CLI)
    ip("link", "set", "v-cli", "master", "defnet0")
    ip("link", "set", "v-cli", "up")
    ip("-n", CLI, "addr", "add", CLIENT_IP + "/16", "dev", "eth0")
    ip("-n", CLI, "addr", "add", RELAY_IP + "/24", "dev", "eth0")
    ip("route", "add", RELAY_IP + "/32", "dev", "defnet0")
    ip("-n", CLI, "link", "set", "eth0", "up")
    ip("-n", CLI, "link", "set", "lo", "up")
    # Until the port forwards (BR_STATE_FORWARDING), nothing goes.
    for _ in range(300):
        with open("/sys/class/net/v-cli/brport/state") as f:
            if f.read().strip() == "3":
                return
        time.sleep(0.1)
    raise RuntimeError("the client's bridge port does not forward")


def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None


def measure(args):
    binary = os.path.abspath(args.defnetd)
    tmp = tempfile.mkdtemp(prefix="dn-bench-")
    kinds = ["defnetd"] + [k for k, exe in (("dnsmasq", "dnsmasq"), ("kea", "kea-dhcp4"))
                           if shutil.which(exe)]
    res = {k: [] for k in kinds}
    mem = {}
    try:
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        subprocess.run(["ip", "addr", "add", UPSTREAM + "/8", "dev", "lo"], check=False,
                       stderr=subprocess.DEVNULL)
        upstream()
        srv = Servers(tmp, binary)
        # The first start creates the bridge; the client is not there yet.
        p, created = srv_first_start(srv)
        stop(p)
        plug_client()
        socks = client_sockets()
        for _ in range(args.runs):
            for k in kinds:
                # The first start of each: memory one second after exec
                # under the 1 ms stream, then idle a second later.
                first = k not in mem
                p, got = srv.run(k, socks, stream=1.0 if first else 0.0)
                res[k].append(got)
                if first:
                    if p.poll() is not None:
                        raise RuntimeError(f"{k} exited")
                    mem[k] = {"stream": proc_mem(p.pid)}
                    time.sleep(1)
                    mem[k]["idle"] = proc_mem(p.pid)
                stop(p)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(args, kinds, created, res, mem)


def srv_first_start(srv):
    """defnetd's first start, the bridge created: (process, ms to READY=1)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(srv.notify_path)
    sock.settimeout(10)
    env = dict(os.environ, NOTIFY_SOCKET=srv.notify_path)
    t0 = time.monotonic()
    p = subprocess.Popen([srv.binary, "--config", os.path.join(srv.tmp, "defnet.conf"),
                          "--state-dir", srv.state, "--runtime-dir",
                          os.path.join(srv.tmp, "run")], env=env, stderr=subprocess.DEVNULL)
    try:
        while b"READY=1" not in sock.recv(4096):
            pass
    finally:
        sock.close()
        os.unlink(srv.notify_path)
    return p, (time.monotonic() - t0) * 1000


def report(args, kinds, created, res, mem):
    def cell(v):
        return f"{'n/a':>14}" if v is None or v < 0 else f"{v:14.1f}"

    def rng(k, key):
        v = [g[key] for g in res[k] if g[key] is not None and g[key] >= 0]
        return f"{min(v):.1f}-{max(v):.1f}" if v else "n/a"

    print(f"{'':38}" + "".join(f"{k:>14}" for k in kinds))
    print(f"{'READY=1, bridge created (ms)':38}{cell(created)}")
    for key, label in (("ready", "READY=1"), ("offer", "first OFFER"),
                       ("dns", "first forwarded DNS answer")):
        vals = [med([g[key] for g in res[k]]) for k in kinds]
        print(f"{label + ' (ms, median)':38}" + "".join(cell(v) for v in vals))
        print(f"{'  range of %d' % args.runs:38}" + "".join(f"{rng(k, key):>14}" for k in kinds))
    for when, key, label in (("stream", "VmRSS", "RSS after 1 s of stream (kB)"),
                             ("stream", "RssAnon", "RssAnon after 1 s of stream"),
                             ("idle", "VmRSS", "idle RSS, 1 s later (kB)"),
                             ("idle", "RssAnon", "idle RssAnon, 1 s later (kB)")):
        print(f"{label:38}" + "".join(f"{mem[k][when][key]:14d}" if k in mem else f"{'n/a':>14}"
                                     for k in kinds))
    print("From exec, bridge present, empty lease database; n/a: not measured or no answer "
          "within 5 s (Kea serves no DNS).")


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
        sys.exit("run as root (it creates network namespaces)")
    subprocess.run(["ip", "netns", "add", NS], check=True)
    subprocess.run(["ip", "netns", "add", CLI], check=True)
    try:
        # The measuring runs inside the server namespace, so that starting
        # a server needs no process of its own.
        subprocess.run(["ip", "netns", "exec", NS, sys.executable, os.path.abspath(__file__),
                        "--inside", "--runs", str(args.runs),
                        "--defnetd", os.path.abspath(args.defnetd)], check=True, timeout=600,
                       env=dict(os.environ, DN_BENCH_NS=NS))
    finally:
        for n in (NS, CLI):
            for pid in subprocess.run(["ip", "netns", "pids", n], capture_output=True,
                                      text=True).stdout.split():
                try:
                    os.kill(int(pid), 9)
                except (ProcessLookupError, ValueError):
                    pass
            subprocess.run(["ip", "netns", "del", n])


if __name__ == "__main__":
    main()
