#!/usr/bin/python3
"""DHCP server throughput, CPU, latency and memory: defnetd beside dnsmasq
(--no-ping) and Kea (memfile), in one run, one after the other.

Run as root from the repository after building (ninja -C build):
    bench/dhcp.py [--defnetd build/daemon/defnetd] [--secs 4]
                  [--servers defnetd,dnsmasq,kea] [--callgrind]

Topology, built inside two network namespaces this script creates and
deletes: a server namespace with a bridge (defnet0, 10.77.0.1/16, a /16
guest subnet: a /20 holds only 4,093 guests) and a client namespace on a
veth port of it, 10.77.0.2/16, where perfdhcp runs as a relay agent at
198.18.77.2 (it sets giaddr, so every server answers it on port 67, RFC
2131 4.1; the relay sits outside the guest subnet, since defnetd answers no
giaddr inside it: that would be a guest, not a relay). The
server is pinned to CPU 0, perfdhcp to CPU 1. MACs come from a random
list (-M): perfdhcp's sequential ones cluster.

Cold runs (step "cold"): the server starts afresh and the measured clients
are the first it sees, no warm-up, at --cold-rate new clients/s, once with
perfdhcp's own MACs (-R: a base MAC plus an offset, clustered) and once
with the random list; reported with the average DISCOVER->OFFER and
REQUEST->ACK delays (perfdhcp's statistics).

For each server and each rate of the sweep the server starts afresh (an
empty lease database), takes a one-second warm-up at that rate with other
MACs (not counted; it fills defnetd's probed-address set, which an idle
server keeps empty), then the measured run. Reported: 4-way exchanges per
second completed, drops of each leg, server CPU per lease (utime + stime
of the server over the measured run), then latency at 10/s and 1,000/s
(p50/p99 of each leg, from perfdhcp -x t), and RSS idle and after 10,000
leases. Every server keeps its leases durably the way it does by default:
defnetd fdatasyncs before each ACK (group commit); dnsmasq rewrites its
lease file without fsync; Kea appends to its memfile without fsync.
defnetd runs with its rate limits off (RateLimit=off, RateLimitPerPort=off),
with --spoof-protection also with SpoofProtection=yes (every lease then
changes the bridge table's sets before its ACK; the relay's own frames are
dropped at the bridge, but defnetd reads DHCP on the port, before it),
its per-port lease cap raised above the pool (--leases-per-port),
and is run a second time with a 10 ms delay injected into every fsync
(bench/fsync_delay.c, LD_PRELOAD) to show what group commit does with a
slow disk.
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

NS = f"dn-bench-dhcp-{os.getpid()}"
SRV = NS + "-srv"
CLI = NS + "-cli"
SERVER_IP = "10.77.0.1"
CLIENT_IP = "10.77.0.2"
RELAY_IP = "198.18.77.2"
POOL = ("10.77.1.0", "10.77.255.254")
SEQ_CLIENTS = 1000000
HERE = os.path.dirname(os.path.abspath(__file__))


def run(*cmd, check=True, **kw):
    return subprocess.run(cmd, check=check, **kw)


def ns(name, *cmd, **kw):
    return run("ip", "netns", "exec", name, *cmd, **kw)


def topology():
    for n in (SRV, CLI):
        run("ip", "netns", "add", n)
        run("ip", "-n", n, "link", "set", "lo", "up")
    run("ip", "-n", SRV, "link", "add", "defnet0", "type", "bridge")
    run("ip", "-n", SRV, "addr", "add", SERVER_IP + "/16", "dev", "defnet0")
    run("ip", "-n", SRV, "link", "set", "defnet0", "up")
    run("ip", "-n", SRV, "link", "add", "v-cli", "type", "veth", "peer", "name", "eth0",
        "netns", CLI)
    run("ip", "-n", SRV, "link", "set", "v-cli", "master", "defnet0")
    run("ip", "-n", SRV, "link", "set", "v-cli", "up")
    run("ip", "-n", CLI, "addr", "add", CLIENT_IP + "/16", "dev", "eth0")
    run("ip", "-n", CLI, "addr", "add", RELAY_IP + "/24", "dev", "eth0")
    run("ip", "-n", SRV, "route", "add", RELAY_IP + "/32", "dev", "defnet0")
    run("ip", "-n", CLI, "link", "set", "eth0", "up")


def bind_relay():
    """The relay is no guest, and has no lease: with SpoofProtection=yes
    the bench binds its addresses to its port by hand, so that its frames
    (ARP answers, the server's answers' way back) pass the bridge."""
    mac = subprocess.run(["ip", "netns", "exec", CLI, "cat", "/sys/class/net/eth0/address"],
                         check=True, capture_output=True, text=True).stdout.strip()
    ns(SRV, "nft", "add", "element", "bridge", "defnet", "spoof4",
       "{ \"v-cli\" . %s . %s, \"v-cli\" . %s . %s }" % (mac, CLIENT_IP, mac, RELAY_IP))


def teardown():
    for n in (SRV, CLI):
        for pid in subprocess.run(["ip", "netns", "pids", n], capture_output=True,
                                  text=True).stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        run("ip", "netns", "del", n, check=False, stderr=subprocess.DEVNULL)


def mac_list(path, n, seed):
    rnd = random.Random(seed)
    with open(path, "w") as f:
        for _ in range(n):
            # Locally administered unicast, random otherwise.
            b = [rnd.randrange(256) for _ in range(6)]
            b[0] = (b[0] & 0xfc) | 0x02
            f.write(":".join("%02x" % x for x in b) + "\n")


def listening(port=67):
    out = ns(SRV, "ss", "-Hulpn", f"sport = :{port}", capture_output=True, text=True).stdout
    return bool(out.strip())


def proc_cpu_us(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return ticks * 1e6 / os.sysconf("SC_CLK_TCK")


def proc_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Server:
    """One server run: start() on an empty database, stop()."""

    def __init__(self, kind, tmp, args, fsync_delay_ms=0, wrapper=()):
        self.kind, self.tmp, self.args = kind, tmp, args
        self.fsync_delay_ms = fsync_delay_ms
        self.wrapper = list(wrapper)
        self.p = None

    def command(self, d):
        if self.kind == "defnetd":
            with open(f"{d}/defnet.conf", "w") as f:
                f.write(f"""[Daemon]
LogLevel=info
[Network]
Bridge=defnet0
Subnet=10.77.0.0/16
[DHCP]
LeaseTime=1h
Pool={POOL[0]}-{POOL[1]}
RateLimit=off
RateLimitPerPort=off
LeasesPerPort={self.args.leases_per_port}
[DNS]
ResolvConf={d}/resolv.conf
[MDNS]
Enable=no
[NAT]
Masquerade=no
[Guard]
SpoofProtection={"yes" if self.args.spoof_protection else "no"}
""")
            open(f"{d}/resolv.conf", "w").write("nameserver 192.0.2.53\n")
            return [os.path.abspath(self.args.defnetd), "--config", f"{d}/defnet.conf",
                    "--state-dir", f"{d}/state", "--runtime-dir", f"{d}/run"]
        if self.kind == "dnsmasq":
            return ["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--port=0",
                    "--interface=defnet0", "--bind-interfaces", "--no-ping",
                    "--dhcp-authoritative", f"--dhcp-range={POOL[0]},{POOL[1]},255.255.0.0,1h",
                    f"--shared-network={RELAY_IP},10.77.0.0",
                    "--dhcp-lease-max=200000", f"--dhcp-leasefile={d}/dnsmasq.leases",
                    f"--log-facility={d}/dnsmasq.log", "--log-dhcp", "--user=root",
                    "--group=root", f"--pid-file={d}/dnsmasq.pid"]
        conf = {"Dhcp4": {
            "interfaces-config": {"interfaces": ["defnet0"], "dhcp-socket-type": "udp"},
            "lease-database": {"type": "memfile", "persist": True,
                               "name": f"{d}/kea-leases4.csv", "lfc-interval": 0},
            "valid-lifetime": 3600,
            "subnet4": [{"subnet": "10.77.0.0/16", "id": 1,
                         "pools": [{"pool": f"{POOL[0]} - {POOL[1]}"}],
                         "relay": {"ip-addresses": [RELAY_IP]},
                         "option-data": [{"name": "routers", "data": SERVER_IP}]}],
            "loggers": [{"name": "kea-dhcp4", "severity": "INFO",
                         "output_options": [{"output": f"{d}/kea.log"}]}],
        }}
        with open(f"{d}/kea.json", "w") as f:
            json.dump(conf, f)
        return ["kea-dhcp4", "-c", f"{d}/kea.json"]

    def start(self):
        d = self.dir = tempfile.mkdtemp(prefix=f"{self.kind}-", dir=self.tmp)
        os.makedirs(f"{d}/state")
        os.makedirs(f"{d}/run")
        env = dict(os.environ)
        env.pop("NOTIFY_SOCKET", None)
        env["KEA_LOCKFILE_DIR"] = d
        env["KEA_PIDFILE_DIR"] = d
        if self.fsync_delay_ms:
            env["LD_PRELOAD"] = self.args.shim
            env["DEFNET_FSYNC_DELAY_MS"] = str(self.fsync_delay_ms)
        cmd = ["ip", "netns", "exec", SRV, "taskset", "-c", "0"] + self.wrapper + \
            self.command(d)
        self.err = open(f"{d}/stderr", "w")
        self.p = subprocess.Popen(cmd, env=env, stdout=self.err, stderr=self.err)
        for _ in range(200):
            if listening() and (self.kind != "defnetd" or os.path.exists(f"{d}/run/control")):
                break
            if self.p.poll() is not None:
                raise RuntimeError(f"{self.kind} exited: see {d}/stderr")
            time.sleep(0.05)
        else:
            raise RuntimeError(f"{self.kind} did not listen on port 67")
        if self.kind == "defnetd" and self.args.spoof_protection:
            bind_relay()
        time.sleep(0.3)
        return self.p.pid

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        try:
            self.p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.err.close()


def perfdhcp(macs, rate, secs=None, num=None, timers=False):
    """macs: a file of MACs (-M), or None for perfdhcp's own: a base MAC plus
    an offset below SEQ_CLIENTS (-R), clustered in one range."""
    cmd = ["timeout", "120", "taskset", "-c", "1", "perfdhcp", "-4", "-W", "1000000",
           "-l", RELAY_IP]
    cmd += ["-M", macs] if macs else ["-R", str(SEQ_CLIENTS)]
    if rate:
        cmd += ["-r", str(rate)]
    if secs:
        cmd += ["-p", str(secs)]
    if num:
        cmd += ["-n", str(num)]
    if timers:
        cmd += ["-x", "t"]
    cmd.append(SERVER_IP)
    return ns(CLI, *cmd, capture_output=True, text=True, check=False).stdout


def parse_stats(out):
    """{"DO": {...}, "RA": {...}} with sent, received, drops."""
    res = {}
    for leg, key in (("DISCOVER-OFFER", "DO"), ("REQUEST-ACK", "RA")):
        m = re.search(r"Statistics for: " + leg + r"\*+\n(.*?)\n\n", out, re.S)
        vals = {}
        if m:
            for k in ("sent packets", "received packets", "drops"):
                mm = re.search(k + r": (\d+)", m.group(1))
                vals[k.split()[0]] = int(mm.group(1)) if mm else 0
        # The delays come after a blank line, in the same leg's block.
        mm = re.search(r"Statistics for: " + leg + r"\*+\n(?:(?!\*\*\*).)*?avg delay: ([\d.]+) ms",
                       out, re.S)
        vals["avg_ms"] = float(mm.group(1)) if mm else float("nan")
        res[key] = vals
    return res


def parse_timers(out):
    """Per leg, the delays in ms of every completed exchange."""
    res = {}
    for leg, key in (("DISCOVER-OFFER", "DO"), ("REQUEST-ACK", "RA")):
        m = re.search(r"Timestamps for packets: " + leg + r"\*+\n(.*?)(\n\n|\Z)", out, re.S)
        d = []
        for line in (m.group(1).splitlines() if m else []):
            mm = re.match(r"sent / received: ([\d.]+) / ([\d.]+)", line)
            if mm:
                d.append((float(mm.group(2)) - float(mm.group(1))) * 1000)
        res[key] = sorted(d)
    return res


def pct(v, p):
    if not v:
        return float("nan")
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def sweep_step(kind, args, tmp, rate, fsync_delay_ms=0, warm=True, macs="random"):
    """warm: a second of other clients first (not counted); cold: the
    measured clients are the first the fresh server sees."""
    s = Server(kind, tmp, args, fsync_delay_ms)
    pid = s.start()
    try:
        if warm:
            perfdhcp(args.warm_macs, rate or args.flood_warmup_rate, secs=1)
            time.sleep(0.5)
        c0 = proc_cpu_us(pid)
        out = perfdhcp(args.macs if macs == "random" else None, rate, secs=args.secs)
        c1 = proc_cpu_us(pid)
    finally:
        s.stop()
    st = parse_stats(out)
    acks = st["RA"].get("received", 0)
    do_sent = st["DO"].get("sent", 0) or 1
    drops = (st["DO"].get("drops", 0) + st["RA"].get("drops", 0)) * 100.0 / do_sent
    # perfdhcp starts exchanges for exactly secs seconds (-p), then waits
    # a second (-W) for the last answers.
    return {"rate": rate, "leases_s": acks / args.secs, "drop_pct": drops,
            "cpu_us": (c1 - c0) / acks if acks else float("nan"), "acks": acks,
            "do_ms": st["DO"].get("avg_ms", float("nan")),
            "ra_ms": st["RA"].get("avg_ms", float("nan"))}


def latency(kind, args, tmp, rate, secs):
    s = Server(kind, tmp, args)
    s.start()
    try:
        perfdhcp(args.warm_macs, rate, secs=1)
        out = perfdhcp(args.macs, rate, secs=secs, timers=True)
    finally:
        s.stop()
    t = parse_timers(out)
    return {k: (pct(v, 50), pct(v, 99)) for k, v in t.items()}


def lease_count(s):
    """Leases the server holds now, from its own database."""
    if s.kind == "defnetd":
        ctl = os.path.join(os.path.dirname(os.path.abspath(s.args.defnetd)), "defnetctl")
        out = ns(SRV, ctl, "--socket", f"{s.dir}/run/control", "leases", "--json",
                 capture_output=True, text=True, check=False).stdout
        return len(json.loads(out or "[]"))
    path = f"{s.dir}/dnsmasq.leases" if s.kind == "dnsmasq" else f"{s.dir}/kea-leases4.csv"
    try:
        sep = None if s.kind == "dnsmasq" else ","
        with open(path) as f:
            return len({p[1] for p in (line.split(sep) for line in f)
                        if len(p) > 2 and p[0] not in ("address", "duid")})
    except OSError:
        return 0


def memory(kind, args, tmp):
    """RSS idle, and once the server holds 10,000 leases (filled at a rate it
    sustains: perfdhcp draws MACs with replacement, so it goes in rounds)."""
    s = Server(kind, tmp, args)
    pid = s.start()
    rate = 400 if kind == "dnsmasq" else 2000
    try:
        time.sleep(1)
        idle = proc_rss_kb(pid)
        for _ in range(8):
            n = lease_count(s)
            if n >= 10000:
                break
            perfdhcp(args.mem_macs, rate, num=(10000 - n) * 2 + 100)
        time.sleep(1)
        after = proc_rss_kb(pid)
        leases = lease_count(s)
    finally:
        s.stop()
    return idle, after, leases


def callgrind(kind, args, tmp, n=1000):
    out_file = os.path.join(tmp, f"callgrind.{kind}")
    s = Server(kind, tmp, args, wrapper=["valgrind", "--tool=callgrind", "-q",
                                         f"--callgrind-out-file={out_file}"])
    s.start()
    time.sleep(2)
    try:
        perfdhcp(args.macs, 100, num=n)
    finally:
        s.stop()
    total = subprocess.run(["callgrind_annotate", out_file], capture_output=True,
                           text=True).stdout
    m = re.search(r"([\d,]+) \(100.0%\)\s+PROGRAM TOTALS", total) or \
        re.search(r"([\d,]+)\s+PROGRAM TOTALS", total)
    return int(m.group(1).replace(",", "")) / n if m else float("nan")


def build_shim(tmp):
    so = os.path.join(tmp, "fsync_delay.so")
    run("cc", "-O2", "-shared", "-fPIC", "-o", so, os.path.join(HERE, "fsync_delay.c"), "-ldl")
    return so


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--defnetd", default="build/daemon/defnetd")
    ap.add_argument("--servers", default="defnetd,dnsmasq,kea")
    ap.add_argument("--rates", default="500,1000,2000,5000,10000,0",
                    help="new exchanges per second; 0: as fast as perfdhcp goes")
    ap.add_argument("--secs", type=int, default=4)
    # Every lease comes through the relay's one port: the cap stays on,
    # raised above the pool, so that its accounting is measured ("off"
    # to compare).
    ap.add_argument("--leases-per-port", default="16777216")
    ap.add_argument("--spoof-protection", action="store_true",
                    help="defnetd with [Guard] SpoofProtection=yes: each lease also "
                         "changes the bridge table's sets")
    ap.add_argument("--fsync-delay-ms", type=int, default=10)
    ap.add_argument("--cold-rate", type=int, default=10000,
                    help="new exchanges per second of the cold runs")
    ap.add_argument("--steps", default="sweep,cold,latency,memory,slow",
                    help="which parts to run")
    ap.add_argument("--callgrind", action="store_true",
                    help="also count instructions per exchange (valgrind, slow)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/dhcp.py: needs root (network namespaces)")
    for tool in ("perfdhcp", "taskset", "ss", "cc"):
        if not shutil.which(tool):
            sys.exit(f"bench/dhcp.py: needs {tool} (apt-get install kea-admin util-linux "
                     "iproute2 gcc)")
    if os.cpu_count() < 2:
        print("warning: one CPU: server and perfdhcp share it", file=sys.stderr)
    servers = [s for s in args.servers.split(",") if s]
    servers = [s for s in servers if s == "defnetd" or
               shutil.which({"dnsmasq": "dnsmasq", "kea": "kea-dhcp4"}[s])]
    rates = [int(r) for r in args.rates.split(",")]
    args.flood_warmup_rate = 10000
    tmp = tempfile.mkdtemp(prefix="dn-bench-dhcp-")
    args.macs = os.path.join(tmp, "macs")
    args.warm_macs = os.path.join(tmp, "macs-warm")
    args.mem_macs = os.path.join(tmp, "macs-10k")
    mac_list(args.macs, 200000, 1)
    mac_list(args.warm_macs, 50000, 2)
    # A few more MACs than leases wanted: perfdhcp draws with replacement.
    mac_list(args.mem_macs, 11000, 3)
    steps = args.steps.split(",")
    args.shim = build_shim(tmp)
    results = {}
    try:
        topology()
        for kind in servers:
            r = results[kind] = {"sweep": []}
            for rate in rates if "sweep" in steps else []:
                r["sweep"].append(sweep_step(kind, args, tmp, rate))
                print(f"{kind} {rate or 'unlimited'}/s: {r['sweep'][-1]}", file=sys.stderr)
            if "cold" in steps:
                r["cold"] = [sweep_step(kind, args, tmp, args.cold_rate, warm=False, macs=m)
                             for m in ("sequential", "random")]
                print(f"{kind} cold: {r['cold']}", file=sys.stderr)
            if "latency" in steps:
                r["lat10"] = latency(kind, args, tmp, 10, 5)
                r["lat1000"] = latency(kind, args, tmp, 1000, 3)
            if "memory" in steps:
                r["mem"] = memory(kind, args, tmp)
                print(f"{kind} memory: {r['mem']}", file=sys.stderr)
            if kind == "defnetd" and "slow" in steps:
                r["slow"] = [sweep_step(kind, args, tmp, rate, args.fsync_delay_ms)
                             for rate in (1000, 10000, 0)]
            if args.callgrind and shutil.which("valgrind"):
                r["ir"] = callgrind(kind, args, tmp)
    finally:
        teardown()
        shutil.rmtree(tmp, ignore_errors=True)
    report(results, args, servers, rates)


def report(results, args, servers, rates):
    w = 16
    print(f"DHCP benchmark: perfdhcp as a relay, /16 subnet, random MACs, {args.secs} s per "
          f"step after a 1 s warm-up; server on CPU 0, perfdhcp on CPU 1.")
    print("defnetd runs with RateLimit=off and RateLimitPerPort=off (its defaults are 200/s "
          "and 20/s per port), LogLevel=info (a journal line per lease).")
    print()
    print(f"{'':26}" + "".join(f"{s:>{w}}" for s in servers))
    if not results[servers[0]]["sweep"]:
        rates = []
    for i, rate in enumerate(rates):
        label = f"{rate}/s offered" if rate else "unlimited"
        cells = []
        for s in servers:
            x = results[s]["sweep"][i]
            cells.append(f"{x['leases_s']:7.0f} {x['drop_pct']:5.1f}%")
        print(f"{label + ' (leases/s, drop)':26}" + "".join(f"{c:>{w}}" for c in cells))
    for i, rate in enumerate(rates):
        label = f"CPU us/lease at {rate or 'max'}"
        print(f"{label:26}" + "".join(f"{results[s]['sweep'][i]['cpu_us']:>{w}.0f}"
                                       for s in servers))
    for i, m in enumerate(("sequential", "random") if "cold" in results[servers[0]] else ()):
        label = f"cold {args.cold_rate}/s, {m[:3]} MACs"
        cells = [f"{results[s]['cold'][i]['leases_s']:7.0f} {results[s]['cold'][i]['drop_pct']:5.1f}%"
                 for s in servers]
        print(f"{label:26}" + "".join(f"{c:>{w}}" for c in cells))
        cells = [f"{results[s]['cold'][i]['do_ms']:.2f}/{results[s]['cold'][i]['ra_ms']:.2f}"
                 for s in servers]
        print(f"{'  DO/RA avg ms':26}" + "".join(f"{c:>{w}}" for c in cells))
    for key, label in (("lat10", "10/s"), ("lat1000", "1000/s")):
        if key not in results[servers[0]]:
            continue
        for leg in ("DO", "RA"):
            cells = [f"{results[s][key][leg][0]:.2f}/{results[s][key][leg][1]:.2f}"
                     for s in servers]
            print(f"{leg + ' p50/p99 ms at ' + label:26}" + "".join(f"{c:>{w}}" for c in cells))
    if "mem" in results[servers[0]]:
        print(f"{'RSS idle (kB)':26}" + "".join(f"{results[s]['mem'][0]:>{w}}" for s in servers))
        print(f"{'RSS after 10k leases (kB)':26}" +
              "".join(f"{results[s]['mem'][1]:>{w}}" for s in servers))
        print(f"{'  (leases held)':26}" + "".join(f"{results[s]['mem'][2]:>{w}}" for s in servers))
    if any("ir" in results[s] for s in servers):
        print(f"{'instructions/exchange':26}" +
              "".join(f"{results[s].get('ir', float('nan')):>{w},.0f}" for s in servers))
    if "defnetd" in results and "slow" in results["defnetd"]:
        print()
        print(f"defnetd with {args.fsync_delay_ms} ms added to every fsync (group commit):")
        for x in results["defnetd"]["slow"]:
            label = f"{x['rate'] or 'unlimited'}" + ("/s offered" if x["rate"] else "")
            print(f"  {label:22} {x['leases_s']:7.0f} leases/s, {x['drop_pct']:5.1f}% drops, "
                  f"{x['cpu_us']:4.0f} us CPU/lease")


if __name__ == "__main__":
    main()
