#!/usr/bin/env python3
"""Ferry replication benchmark: real ferryd clusters on loopback (tests/interop/python/cluster.py),
every measurement on freshly started processes, data under /var/tmp (a real disk, so fsyncs cost
what they cost). Four parts (--only picks one; default: all):

 throughput  rdkafka_performance (the broker_bench.py command: 1 KiB records, 1 partition,
             linger.ms=5) against, each freshly started: 1 broker rf=1 acks=1 (the reference),
             1 broker rf=1 acks=all, 3 brokers rf=3 min.insync.replicas=2 acks=all in
             log.flush.mode=fsync (the default) and in log.flush.mode=page-cache. Reports MB/s,
             the ratio to the reference, the ratio of the bytes all replicas wrote to the disk's raw
             write+fdatasync bandwidth (measured in the same run), and each broker's CPU seconds
             per GB produced (/proc/<pid>/stat utime+stime).
 latency     produce->acknowledgement latency of each record, p50/p99, at half of the rf=3
             acks=all (fsync) rate measured in `throughput` (or --latency-rate), for rf=3 acks=all
             (also at a quarter of it) and, as references at the same rate, 1 broker rf=1
             acks=all and acks=1. The disk is measured again just before. The producer
             is confluent-kafka 1.7.0 paced in 1 ms steps, each record's delivery callback bound to
             its send time; it sleeps in poll() between steps. (--latency-client
             rdkafka_performance uses rdkafka_performance's producer latency mode, -l -A FILE -r
             RATE, instead: its pacing busy-waits, which on a 2-core machine takes a core from the
             brokers.) linger.ms=5 as in `throughput`, so the figures include up to 5 ms of
             batching. The first 2 s of records (set-up and a fresh topic's first second) are
             dropped; the run counts the seconds whose median exceeds 50 ms (slow spells).
 failover    kill -9 of a partition leader -> the first acknowledgement of an acks=all record
             handed to the producer after the kill, over --trials trials on one 3-node cluster
             with defaults (a fresh topic per trial: 3 partitions, rf=3, min.insync.replicas=2,
             so that its leaders are spread over the three nodes). The producer is
             kafka-python 2.0.2 (acks=all, retries=0, one 100-byte record every 10 ms to the
             victim's partition; metadata_max_age_ms=1000 and reconnect backoff 50-500 ms as in
             tests/interop/python/load.py). Also timed: kill -> a surviving broker's Metadata
             names a new leader (polled every 20 ms). The active controller at each kill comes
             from `ferry cluster quorum` (node logs as a fallback); the trials alternate between
             killing a leader that is also the active controller (a controller election too) and
             one that is not, where the partition leaders allow it, and report the groups
             separately. The killed node is restarted and a full ISR awaited between trials.
 catchup     a follower is killed, 256 MiB x --scale of 1 KiB records are produced (acks=all)
             to the remaining ISR, the follower is restarted, and the script times: process start
             -> its log end (file bytes) reaches the leader's, and -> back in the ISR. Reports
             copy MB/s and its ratio to the disk's raw write+fdatasync bandwidth.

    /usr/bin/python3 bench/replication_bench.py --build build [--ferryd PATH] [--scale 1]
        [--trials 20] [--markdown out.md] [--only throughput|latency|failover|catchup]
        [--latency-rate N] [--latency-client confluent|rdkafka_performance] [--dir /var/tmp]

Not a test: nothing here asserts on timing; figures vary with the machine (and its other load:
the load average is printed at the start and end, and each throughput and latency row reports the
CPU that processes other than the brokers and the client used meanwhile), compare ratios within
one run. Every process started here is killed on exit (also on Ctrl-C, SIGTERM or an exception;
the nodes also carry a parent-death signal).
"""
import argparse
import collections
import json
import logging
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "interop", "python"))

from cluster import FerryCluster, partitions_v1  # noqa: E402
from ferry_harness import HarnessError  # noqa: E402

import broker_bench  # noqa: E402  (bench/, next to this file)

TICKS = os.sysconf("SC_CLK_TCK")
RECORD = 1024
TOPIC = "bench"
PARTS = ("throughput", "latency", "failover", "catchup")


# --- helpers ---------------------------------------------------------------------------------------


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def busy_seconds():
    """CPU seconds all cores spent busy (not idle or iowait) since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return (sum(v) - v[3] - v[4]) / TICKS


def own_and_children_cpu():
    import resource

    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        r = resource.getrusage(who)
        total += r.ru_utime + r.ru_stime
    return total


def pct(values, q):
    """Nearest-rank percentile (p99 of 20 values is the largest)."""
    s = sorted(values)
    return s[max(0, math.ceil(q / 100 * len(s)) - 1)]


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def disk_write_mb_s(directory, total_mib=256):
    """Raw sequential write + fdatasync bandwidth (1 MiB blocks), measured as broker_bench.py does,
    after the write-back of earlier cases."""
    os.sync()
    return broker_bench.disk_write_mb_s(directory, total_mib)


def log_bytes(part_dir):
    """Bytes in a partition directory's .log segment files (0 if it does not exist yet)."""
    try:
        names = os.listdir(part_dir)
    except FileNotFoundError:
        return 0
    total = 0
    for n in names:
        if n.endswith(".log"):
            try:
                total += os.path.getsize(os.path.join(part_dir, n))
            except FileNotFoundError:
                pass
    return total


class Bench:
    """Owns every process and directory this run makes; close() kills and removes them."""

    def __init__(self, args):
        self.args = args
        self.build = args.build
        self.ferryd = args.ferryd or f"{args.build}/broker/ferryd"
        self.perf = f"{args.build}/bench/rdkafka_performance"
        self.cli = f"{args.build}/cli/ferry"
        for path in (self.ferryd, self.perf):
            if not os.access(path, os.X_OK):
                raise SystemExit(f"not an executable: {path}")
        os.makedirs(args.dir, exist_ok=True)
        self.root = tempfile.mkdtemp(prefix="ferry-repl-bench-", dir=args.dir)
        tempfile.tempdir = self.root  # FerryCluster makes its directory under tempfile's default
        # Private copies of the tools, so that a rebuild of the build tree during the run cannot
        # replace them under it (ferryd is the one binary each node runs, so it stays as given).
        try:
            for attr in ("perf", "cli"):
                src = getattr(self, attr)
                if os.access(src, os.X_OK):
                    dst = os.path.join(self.root, os.path.basename(src))
                    shutil.copy2(src, dst)
                    setattr(self, attr, dst)
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise
        self.live = []
        self.keep = False
        self.disk = {}

    def cluster(self, n, overrides=()):
        c = FerryCluster(n, overrides=list(overrides), binary=self.ferryd)
        self.live.append(c)
        c.start_all(timeout=60)
        return c

    def close_cluster(self, c):
        if c in self.live:
            self.live.remove(c)
        try:
            c.close()  # SIGKILL to every node still running, then removes its directory
        except HarnessError as e:
            self.keep = True
            print(f"WARNING: a node died by itself: {str(e)[:3000]}", file=sys.stderr, flush=True)

    def close(self):
        for c in list(self.live):
            self.close_cluster(c)
        if self.keep:
            print(f"kept {self.root} (a node died by itself)", file=sys.stderr)
        else:
            shutil.rmtree(self.root, ignore_errors=True)

    def measure_disk(self, when):
        mb_s = disk_write_mb_s(self.root)
        self.disk[when] = mb_s
        print(f"disk ({when}): write + fdatasync, 1 MiB blocks, 256 MiB in {self.args.dir}: "
              f"{mb_s:.1f} MB/s", flush=True)
        return mb_s

    # --- clients ---------------------------------------------------------------------------------

    def create_topic(self, c, topic, partitions, rf):
        from confluent_kafka.admin import AdminClient, NewTopic

        admin = AdminClient({"bootstrap.servers": c.bootstrap(), "log_level": 3})
        configs = {"min.insync.replicas": "2"} if rf >= 3 else {}
        futures = admin.create_topics([NewTopic(topic, partitions, rf, config=configs)],
                                      operation_timeout=10)
        for f in futures.values():
            f.result(timeout=30)
        del admin, futures  # destroys the librdkafka handle: no reconnect noise after kills
        c.wait_full_isr(topic, partitions)

    def perf_produce(self, c, topic, count, acks, extra=()):
        """The broker_bench.py produce command; returns its figures and each node's CPU-s."""
        cmd = [self.perf, "-P", "-t", topic, "-b", c.bootstrap(), "-s", str(RECORD),
               "-c", str(count), "-a", "-1" if acks == "all" else acks, "-X", "linger.ms=5",
               "-X", "batch.num.messages=10000", "-X", "queue.buffering.max.messages=1000000",
               *extra]
        os.sync()  # write-back of earlier cases must not slow this one
        pids = {i: p.pid for i, p in c.procs.items()}
        cpu0 = {i: cpu_seconds(pid) for i, pid in pids.items()}
        busy0, mine0 = busy_seconds(), own_and_children_cpu()
        t0 = time.monotonic()
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        wall = time.monotonic() - t0
        cpu = {i: cpu_seconds(pid) - cpu0[i] for i, pid in pids.items()}
        client = own_and_children_cpu() - mine0  # rdkafka_performance (waited for) + this script
        # CPU the rest of the machine used meanwhile (e.g. a compiler): context for the figures.
        other = max(0.0, busy_seconds() - busy0 - client - sum(cpu.values())) / wall
        out = r.stdout + r.stderr
        found = re.findall(r"messages produced \(\d+ bytes\), (\d+) delivered \(offset -?\d+, "
                           r"(\d+) failed\) in \d+ms: (\d+) msgs/s and ([\d.]+) MB/s", out)
        if not found or int(found[-1][1]) != 0 or int(found[-1][0]) < count:
            raise RuntimeError(f"{' '.join(cmd)} failed (exit {r.returncode}):\n{out[-2000:]}")
        msgs, rate, mbs = int(found[-1][0]), int(found[-1][2]), float(found[-1][3])
        gb = msgs * RECORD / 1e9
        return {"msgs": msgs, "msgs_s": rate, "mb_s": mbs, "wall_s": wall, "gb": gb,
                "cpu": cpu, "cpu_per_gb": {i: s / gb for i, s in cpu.items()},
                "client_cores": client / wall, "other_cores": other, "out": out}

    def controller(self, c):
        """The active controller's node id: `ferry cluster quorum`, else the node logs."""
        ctrl = ",".join(f"{c.hosts[i]}:{c.ctrl_ports[i]}" for i in sorted(c.procs))
        for _ in range(2):
            try:
                r = subprocess.run([self.cli, "cluster", "quorum", "--controllers", ctrl,
                                    "--status", "--format", "json", "--timeout", "3s"],
                                   capture_output=True, text=True, timeout=10)
                if r.returncode == 0:
                    leader = json.loads(r.stdout).get("leader_id", -1)
                    if leader in c.procs:
                        return leader, "cli"
            except (OSError, ValueError, subprocess.TimeoutExpired):
                pass
            time.sleep(0.2)
        best = (-1, -1)  # (term, node) of the newest "active controller" line
        for i in c.procs:
            try:
                text = open(c.log_path(i), encoding="utf-8", errors="replace").read()
            except OSError:
                continue
            for m in re.finditer(r"\[controller n=(\d+) t=(\d+)\] active controller", text):
                best = max(best, (int(m.group(2)), int(m.group(1))))
        return best[1], "log"


# --- 1. throughput -----------------------------------------------------------------------------------

THROUGHPUT = [  # (label, nodes, rf, acks, overrides)
    ("1 broker, rf=1, acks=1 (reference)", 1, 1, "1", []),
    ("1 broker, rf=1, acks=all", 1, 1, "all", []),
    ("3 brokers, rf=3, acks=all (fsync, default)", 3, 3, "all", []),
    ("3 brokers, rf=3, acks=all (page-cache)", 3, 3, "all", ["log.flush.mode=page-cache"]),
    # Fewer io threads per broker: fewer hand-offs between threads when 3 brokers share 2 cores.
    ("3 brokers, rf=3, acks=all (fsync, 1 io thread)", 3, 3, "all", ["num.network.threads=1"]),
]
RF3_FSYNC = THROUGHPUT[2][0]


def run_throughput(bench, count, cases=THROUGHPUT):
    rows = {}
    for label, nodes, rf, acks, overrides in cases:
        c = bench.cluster(nodes, overrides)
        try:
            bench.create_topic(c, TOPIC, 1, rf)
            leader = c.leader(TOPIC, 0)
            res = bench.perf_produce(c, TOPIC, count, acks)
            res["leader"] = leader
            rows[label] = res
            cpu = ", ".join(f"n{i}{'*' if i == leader else ''} {v:.2f}"
                            for i, v in sorted(res["cpu_per_gb"].items()))
            print(f"  {label:44} {res['msgs_s']:>8} msgs/s {res['mb_s']:>8.1f} MB/s   "
                  f"CPU-s/GB {cpu}; client {res['client_cores']:.2f} cores, other processes "
                  f"{res['other_cores']:.2f} cores", flush=True)
        finally:
            bench.close_cluster(c)
    return rows


def throughput_table(rows, disk, count):
    ref = rows.get(THROUGHPUT[0][0])
    lines = ["| case | msgs/s | MB/s | / 1 broker rf=1 acks=1 | replicas x MB/s / disk | "
             "CPU-s/GB per broker (* = leader) | other processes' CPU (cores) |",
             "|---|---|---|---|---|---|---|"]
    for label, nodes, rf, _, _ in THROUGHPUT:
        if label not in rows:
            continue
        r = rows[label]
        cpu = ", ".join(f"n{i}{'*' if i == r['leader'] else ''} {v:.2f}"
                        for i, v in sorted(r["cpu_per_gb"].items()))
        vs_ref = f"{r['mb_s'] / ref['mb_s']:.2f}" if ref else "-"
        lines.append(f"| {label} | {r['msgs_s']} | {r['mb_s']:.1f} | {vs_ref} | "
                     f"{rf * r['mb_s'] / disk:.2f} | {cpu} | {r['other_cores']:.2f} |")
    note = (f"{count} x 1 KiB records per case, 1 partition, rdkafka_performance linger.ms=5; "
            f"disk (write+fdatasync, 1 MiB): {disk:.1f} MB/s")
    return note, "\n".join(lines)


# --- 2. latency --------------------------------------------------------------------------------------

LATENCY = [  # (label, nodes, rf, acks, share of the target rate)
    ("3 brokers, rf=3, acks=all (fsync)", 3, 3, "all", 1.0),
    ("3 brokers, rf=3, acks=all (fsync) at half the target rate", 3, 3, "all", 0.5),
    ("1 broker, rf=1, acks=all (fsync)", 1, 1, "all", 1.0),
    ("1 broker, rf=1, acks=1", 1, 1, "1", 1.0),
]
LATENCY_REF = LATENCY[2][0]


def paced_confluent(bench, c, topic, rate, seconds, acks):
    """confluent-kafka producer paced at `rate` 1 KiB records/s: every millisecond it hands over
    the records due by then, each with a delivery callback bound to its monotonic send time, and
    waits in poll(1 ms), which serves the delivery reports as they arrive (so the producer sleeps
    instead of spinning: on 2 cores rdkafka_performance -r's busy wait takes a core from the
    brokers). Same producer settings as the throughput command (linger.ms=5)."""
    import gc

    from confluent_kafka import Producer

    p = Producer({"bootstrap.servers": c.bootstrap(), "acks": "all" if acks == "all" else acks,
                  "linger.ms": 5, "batch.num.messages": 10000,
                  "queue.buffering.max.messages": 1000000, "enable.idempotence": False,
                  "log_level": 3})
    payload = b"x" * RECORD
    mono = time.monotonic
    lat, errors = [], collections.Counter()

    def delivered(sent, err, _msg):
        if err is None:
            lat.append(mono() - sent)
        else:
            errors[err.name()] += 1

    total = int(rate * seconds)
    pids = {i: proc.pid for i, proc in c.procs.items()}
    cpu0 = {i: cpu_seconds(pid) for i, pid in pids.items()}
    busy0, mine0 = busy_seconds(), own_and_children_cpu()
    gc.disable()  # no collector pauses inside the timed callbacks
    try:
        start = mono()
        n = 0
        while n < total:
            due = min(total, int((mono() - start) * rate) + 1)
            while n < due:
                p.produce(topic, payload, partition=0,
                          on_delivery=lambda err, msg, t=mono(): delivered(t, err, msg))
                n += 1
            p.poll(0.001)
        left = p.flush(60)
        wall = mono() - start
    finally:
        gc.enable()
    cpu = {i: cpu_seconds(pid) - cpu0[i] for i, pid in pids.items()}
    client = own_and_children_cpu() - mine0
    other = max(0.0, busy_seconds() - busy0 - client - sum(cpu.values())) / wall
    if left or errors:
        raise RuntimeError(f"paced producer: {left} records undelivered, errors {dict(errors)}")
    return {"msgs_s": int(len(lat) / wall), "mb_s": len(lat) * RECORD / 1e6 / wall,
            "lat_ms": [x * 1000 for x in lat], "client_cores": client / wall,
            "other_cores": other, "asked": rate, "wall_s": wall, "cpu": cpu}


def perf_latency(bench, c, topic, rate, seconds, acks):
    """rdkafka_performance's producer latency mode (-l -A FILE -r RATE): each payload carries its
    wall-clock send time, the delivery report callback subtracts it. -r sleeps 1/r after each
    produce call (a busy wait below 1 ms), so it sends slower than asked: a 2 s calibration run at
    the target (also a warm-up) sets -r so that the measured run achieves about the target."""
    path = os.path.join(bench.root, "latency.txt")
    cal = bench.perf_produce(c, topic, int(rate * 2), acks,
                             extra=["-l", "-A", path, "-r", str(rate)])
    asked = int(min(2 * rate, rate * rate / max(1, cal["msgs_s"])))
    res = bench.perf_produce(c, topic, int(rate * seconds), acks,
                             extra=["-l", "-A", path, "-r", str(asked)])
    with open(path) as f:
        res["lat_ms"] = [int(x) / 1000.0 for x in f.read().split()]
    os.unlink(path)
    res["asked"] = asked
    return res


def run_latency(bench, rate, seconds, client):
    rows = {}
    # The first 2 s are dropped: connection and metadata set-up, and a fresh rf=3 fsync topic's
    # first second or so, during which a backlog of up to ~1 s built up in trial runs.
    measure = paced_confluent if client == "confluent" else perf_latency
    target = rate
    for label, nodes, rf, acks, share in LATENCY:
        rate = int(target * share)
        warmup = int(2 * rate)
        c = bench.cluster(nodes)
        try:
            bench.create_topic(c, TOPIC, 1, rf)
            res = measure(bench, c, TOPIC, rate, seconds + 2, acks)
            lat_ms = res.pop("lat_ms")
            sample = lat_ms[warmup:] if len(lat_ms) > 2 * warmup else lat_ms
            res.update(p50=pct(sample, 50), p90=pct(sample, 90), p99=pct(sample, 99),
                       max=max(sample), n=len(sample))
            # Per second of sending (records are paced, so `rate` records are one second): the
            # seconds whose median exceeds 50 ms tell a few slow spells from a uniform tail.
            medians = [pct(sample[i:i + rate], 50) for i in range(0, len(sample) - rate + 1, rate)]
            res["slow_s"] = (sum(1 for m in medians if m > 50), len(medians))
            res["target"] = rate
            res["broker_cores"] = sum(res["cpu"].values()) / res["wall_s"]
            rows[label] = res
            asked = f" (-r {res['asked']})" if client != "confluent" else ""
            print(f"  {label:50} target {rate} msgs/s{asked}, achieved {res['msgs_s']} msgs/s "
                  f"({res['mb_s']:.1f} MB/s): p50 {res['p50']:.2f} ms, p90 {res['p90']:.2f} ms, "
                  f"p99 {res['p99']:.2f} ms, "
                  f"max {res['max']:.2f} ms over {res['n']} records, {res['slow_s'][0]} of "
                  f"{res['slow_s'][1]} seconds with a median above 50 ms; brokers "
                  f"{res['broker_cores']:.2f} cores, client {res['client_cores']:.2f} cores, other "
                  f"processes {res['other_cores']:.2f} cores",
                  flush=True)
        finally:
            bench.close_cluster(c)
    return rows


def latency_table(rows, rate, source, client):
    ref = rows.get(LATENCY_REF)
    lines = ["| case | target msgs/s | achieved msgs/s (MB/s) | p50 ms | p90 ms | p99 ms | max ms | "
             "records | seconds with median > 50 ms | p50 / p99 vs 1 broker acks=all | "
             "CPU cores: brokers / client / other processes |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for label, *_ in LATENCY:
        if label not in rows:
            continue
        r = rows[label]
        vs = f"{r['p50'] / ref['p50']:.2f} / {r['p99'] / ref['p99']:.2f}" if ref else "-"
        lines.append(f"| {label} | {r['target']} | {r['msgs_s']} ({r['mb_s']:.1f}) | {r['p50']:.2f} | "
                     f"{r['p90']:.2f} | "
                     f"{r['p99']:.2f} | {r['max']:.2f} | {r['n']} | {r['slow_s'][0]} of {r['slow_s'][1]} | "
                     f"{vs} | {r['broker_cores']:.2f} / {r['client_cores']:.2f} / "
                     f"{r['other_cores']:.2f} |")
    how = ("confluent-kafka 1.7.0 paced producer, delivery callback timestamps" if client == "confluent"
           else "rdkafka_performance -l -r, -r calibrated by a 2 s run per case")
    note = (f"target {rate} msgs/s x 1 KiB ({source}); {how}; send -> acknowledgement, "
            f"linger.ms=5 included; the first 2 s dropped; nearest-rank percentiles")
    return note, "\n".join(lines)


# --- 3. failover -------------------------------------------------------------------------------------


class Pinger:
    """kafka-python producer handing one small acks=all record to one partition every
    `interval` seconds from its own thread; records when each was handed over and acknowledged."""

    def __init__(self, bootstrap, topic, partition, interval=0.01):
        import kafka

        self.topic, self.partition, self.interval = topic, partition, interval
        self.producer = kafka.KafkaProducer(
            bootstrap_servers=bootstrap.split(","),
            acks=-1,
            retries=0,
            linger_ms=0,
            request_timeout_ms=10000,
            max_block_ms=2000,
            metadata_max_age_ms=1000,
            reconnect_backoff_ms=50,
            reconnect_backoff_max_ms=500,
        )
        self.lock = threading.Lock()
        self.acked = []  # (handed, acked) monotonic times
        self.errors = collections.Counter()
        self.error_log = []  # (monotonic time, error class name)
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        import kafka.errors

        next_send = time.monotonic()
        while not self._stop.is_set():
            handed = time.monotonic()
            self.sent += 1
            try:
                fut = self.producer.send(self.topic, value=b"p" * 100, partition=self.partition)
            except kafka.errors.KafkaError as e:
                self._error(e)
            else:
                fut.add_callback(lambda _md, h=handed: self._ack(h))
                fut.add_errback(lambda e: self._error(e))
            next_send = max(next_send + self.interval, time.monotonic())
            self._stop.wait(max(0.0, next_send - time.monotonic()))

    def _ack(self, handed):
        t = time.monotonic()
        with self.lock:
            self.acked.append((handed, t))

    def _error(self, e):
        t = time.monotonic()
        with self.lock:
            self.errors[type(e).__name__] += 1
            self.error_log.append((t, type(e).__name__))

    def acks_after(self, t):
        with self.lock:
            return [a for h, a in self.acked if h > t]

    def close(self):
        self._stop.set()
        self._thread.join(5)
        try:
            self.producer.close(timeout=2)
        except Exception:  # noqa: BLE001 (closing a producer whose broker just died)
            pass


class KafkaLogCounter(logging.Handler):
    """Counts kafka-python's warnings/errors (by message template) instead of printing them."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.counts = collections.Counter()

    def emit(self, record):
        self.counts[f"{record.levelname}: {record.msg}"] += 1


def run_failover(bench, trials, log_counter):
    """One cluster; each trial gets a fresh topic (3 partitions, rf=3) so that its leaders are
    spread over all three nodes (Ferry has no preferred-leader election: after restarts the
    leaderships of older topics gather on the nodes never killed) and a leader of the wanted kind
    (the active controller, or not) can be picked."""
    parts = 3
    c = bench.cluster(3)
    results = []
    fmt = lambda v: "none in 60 s" if v is None else f"{v * 1000:5.0f} ms"  # noqa: E731
    try:
        for k in range(trials):
            topic = f"failover-{k}"
            bench.create_topic(c, topic, parts, 3)
            want_controller = k % 2 == 0
            ctrl, _ = bench.controller(c)
            leaders = {p: v[1] for (t, p), v in c.partitions().items() if t == topic}
            match = [p for p, n in sorted(leaders.items()) if n > 0 and (n == ctrl) == want_controller]
            partition = match[0] if match else min(leaders)
            pinger = Pinger(c.bootstrap(), topic, partition)
            try:
                start = time.monotonic()
                deadline = start + 30
                while len(pinger.acks_after(start)) < 20 and time.monotonic() < deadline:
                    time.sleep(0.02)
                if len(pinger.acks_after(start)) < 20:
                    raise RuntimeError(f"trial {k}: no steady acks=all produce before the kill "
                                       f"(errors {dict(pinger.errors)})\n{c.log_tails(15)}")
                ctrl, ctrl_src = bench.controller(c)  # again, right before the kill
                victim = c.leader(topic, partition)
                killed = time.monotonic()
                c.kill9(victim)
                meta = ack = None
                deadline = killed + 60
                while (meta is None or ack is None) and time.monotonic() < deadline:
                    if meta is None:
                        try:
                            leader = c.partitions()[(topic, partition)][1]
                            if leader > 0 and leader != victim:
                                meta = time.monotonic() - killed
                        except (OSError, ConnectionError, KeyError):
                            pass
                    if ack is None:
                        after = pinger.acks_after(killed)
                        if after:
                            ack = min(after) - killed
                    time.sleep(0.02)  # poll interval (the ack time itself is the callback's)
                time.sleep(0.2)  # errors answered just after the first ack are counted too
                with pinger.lock:
                    error_log = list(pinger.error_log)
                new_leader = c.leader(topic, partition)
            finally:
                pinger.close()
            before = collections.Counter(n for t, n in error_log if t <= killed)
            after = collections.Counter(n for t, n in error_log if t > killed)
            window = {}
            for t, n in error_log:
                if t > killed:
                    lo, hi = window.get(n, (t, t))
                    window[n] = (min(lo, t), max(hi, t))
            res = {"trial": k, "victim": victim, "controller": ctrl, "ctrl_src": ctrl_src,
                   "was_controller": victim == ctrl, "partition": partition, "meta_s": meta,
                   "ack_s": ack, "new_leader": new_leader, "errors_before": dict(before),
                   "errors_after": dict(after)}
            results.append(res)
            errs = ", ".join(f"{n} x{cnt} ({(window[n][0] - killed) * 1000:.0f}-"
                             f"{(window[n][1] - killed) * 1000:.0f} ms)" for n, cnt in after.items())
            print(f"  trial {k + 1:2}/{trials}: killed node {victim} (leader of {topic}-{partition}; "
                  f"active controller {ctrl} [{ctrl_src}]{', itself' if victim == ctrl else ''}) -> "
                  f"new leader {new_leader} in metadata {fmt(meta)}, first ack {fmt(ack)}; "
                  f"client errors after the kill: {errs or 'none'}"
                  f"{'; before it: ' + str(dict(before)) if before else ''}", flush=True)
            c.start(victim)
            c.wait_full_isr(topic, parts, timeout=90)
            time.sleep(0.5)  # let the restarted node settle (fetchers at the log end)
    finally:
        bench.close_cluster(c)
    if log_counter.counts:
        print("  kafka-python log lines (count, level: template):")
        for msg, n in log_counter.counts.most_common(8):
            print(f"    {n:5}  {msg}")
    return results


def failover_table(results):
    def stats(rows, key):
        v = [r[key] * 1000 for r in rows if r[key] is not None]
        missing = sum(1 for r in rows if r[key] is None)
        if not v:
            return "-", "-", "-", missing
        return f"{pct(v, 50):.0f}", f"{pct(v, 99):.0f}", f"{min(v):.0f} / {max(v):.0f}", missing

    groups = [("all trials", results),
              ("leader was also the active controller", [r for r in results if r["was_controller"]]),
              ("leader was not the active controller",
               [r for r in results if not r["was_controller"]])]
    lines = ["| kill -9 of the partition leader | trials | first ack p50 ms | p99 ms | min / max ms "
             "| new leader in metadata p50 ms | p99 ms | min / max ms |",
             "|---|---|---|---|---|---|---|---|"]
    for name, rows in groups:
        if not rows:
            continue
        a50, a99, amm, amiss = stats(rows, "ack_s")
        m50, m99, mmm, _ = stats(rows, "meta_s")
        n = f"{len(rows)}" + (f" ({amiss} without an ack in 60 s)" if amiss else "")
        lines.append(f"| {name} | {n} | {a50} | {a99} | {amm} | {m50} | {m99} | {mmm} |")
    after, before = collections.Counter(), collections.Counter()
    for r in results:
        after.update(r["errors_after"])
        before.update(r["errors_before"])
    note = ("kafka-python 2.0.2 acks=all retries=0, 100 B every 10 ms to the victim's partition "
            "(a fresh 3-partition rf=3 topic per trial); client errors after the kills: "
            f"{dict(after) or 'none'}, before them: {dict(before) or 'none'}; p99 is nearest-rank")
    return note, "\n".join(lines)


# --- 4. catch-up -------------------------------------------------------------------------------------


def run_catchup(bench, mib, disk):
    count = int(mib * (1 << 20) / RECORD)
    c = bench.cluster(3)
    try:
        bench.create_topic(c, TOPIC, 1, 3)
        leader = c.leader(TOPIC, 0)
        ctrl, _ = bench.controller(c)
        followers = [n for n in (1, 2, 3) if n != leader]
        follower = next((n for n in followers if n != ctrl), followers[0])
        c.kill9(follower)
        c.wait_for(lambda parts: follower not in parts[(TOPIC, 0)][3], 30,
                   f"node {follower} leaving the ISR")
        prod = bench.perf_produce(c, TOPIC, count, "all")
        print(f"  node {follower} down: produced {count} x 1 KiB (acks=all, ISR of 2) at "
              f"{prod['mb_s']:.1f} MB/s", flush=True)
        leader_dir = os.path.join(c.data_dir(leader), f"{TOPIC}-0")
        follower_dir = os.path.join(c.data_dir(follower), f"{TOPIC}-0")
        target = log_bytes(leader_dir)
        had = log_bytes(follower_dir)
        os.sync()
        seen = {}  # event -> monotonic time, taken just after the observation that showed it
        stop = threading.Event()

        def watch_files():  # the follower's .log bytes (written, not necessarily fsynced)
            while not stop.is_set():
                size = log_bytes(follower_dir)
                t = time.monotonic()
                if size > had:
                    seen.setdefault("first_byte", t)
                if size >= target:
                    seen.setdefault("caught", t)
                    return
                time.sleep(0.005)

        def watch_isr():  # the leader's Metadata
            while not stop.is_set():
                try:
                    if follower in c.partitions(via=leader)[(TOPIC, 0)][3]:
                        seen["in_isr"] = time.monotonic()
                        return
                except (OSError, ConnectionError, KeyError):
                    pass
                time.sleep(0.01)

        def watch_serving():  # a broker answers Metadata only once the quorum has unfenced it
            while not stop.is_set():
                try:
                    brokers, _ = partitions_v1(c.hosts[follower], c.kafka_ports[follower], 0.5)
                    if follower in brokers:
                        seen["registered"] = time.monotonic()
                        return
                except Exception:  # noqa: BLE001 (not listening yet)
                    pass
                time.sleep(0.01)

        started = time.monotonic()
        c.start(follower)
        pid = c.procs[follower].pid
        cpu0 = cpu_seconds(pid)
        watchers = [threading.Thread(target=f, daemon=True)
                    for f in (watch_files, watch_isr, watch_serving)]
        for w in watchers:
            w.start()
        deadline = started + 600
        while not ("in_isr" in seen and "caught" in seen) and time.monotonic() < deadline:
            if c.procs[follower].poll() is not None:
                deadline = 0  # it died: report below
            time.sleep(0.05)
        stop.set()
        for w in watchers:
            w.join(5)
        if not ("in_isr" in seen and "caught" in seen):
            raise RuntimeError(f"node {follower} did not catch up (600 s or it died; {seen})\n"
                               f"{c.log_tails(20)}")
        registered, first_byte = seen.get("registered"), seen.get("first_byte")
        caught, in_isr = seen["caught"], seen["in_isr"]
        cpu = cpu_seconds(pid) - cpu0
        copied = target - had
        copy_s = caught - (first_byte or started)
        res = {"follower": follower, "leader": leader, "controller": ctrl, "bytes": copied,
               "registered_s": (registered - started) if registered else None,
               "first_byte_s": (first_byte - started) if first_byte else None,
               "caught_s": caught - started, "isr_s": in_isr - started,
               "copy_mb_s": copied / 1e6 / copy_s if copy_s > 0 else float("inf"),
               "e2e_mb_s": copied / 1e6 / (in_isr - started), "disk": disk,
               "produce_mb_s": prod["mb_s"], "cpu_per_gb": cpu / (copied / 1e9)}
        print(f"  node {follower} restarted: serving after {res['registered_s'] or float('nan'):.2f} s, "
              f"first fetched byte after {res['first_byte_s'] or float('nan'):.2f} s, log end at the "
              f"leader's after {res['caught_s']:.2f} s, back in the ISR after {res['isr_s']:.2f} s; "
              f"copied {copied / 1e6:.1f} MB at {res['copy_mb_s']:.1f} MB/s "
              f"({res['copy_mb_s'] / disk:.2f} x disk); follower CPU {res['cpu_per_gb']:.2f} s/GB",
              flush=True)
        return res
    finally:
        bench.close_cluster(c)


def catchup_table(r):
    lines = ["| figure | value |", "|---|---|",
             f"| bytes the follower copied | {r['bytes'] / 1e6:.1f} MB |",
             f"| restart -> broker serving (registered, unfenced) | {r['registered_s']:.2f} s |"
             if r["registered_s"] is not None else "| restart -> broker serving | - |",
             f"| restart -> first fetched byte on disk | {r['first_byte_s']:.2f} s |"
             if r["first_byte_s"] is not None else "| restart -> first fetched byte | - |",
             f"| restart -> log end at the leader's | {r['caught_s']:.2f} s |",
             f"| restart -> back in the ISR | {r['isr_s']:.2f} s |",
             f"| copy rate (first byte -> log end) | {r['copy_mb_s']:.1f} MB/s "
             f"({r['copy_mb_s'] / r['disk']:.2f} x disk) |",
             f"| end to end (restart -> in ISR) | {r['e2e_mb_s']:.1f} MB/s "
             f"({r['e2e_mb_s'] / r['disk']:.2f} x disk) |",
             f"| follower CPU-s per GB copied | {r['cpu_per_gb']:.2f} |",
             f"| disk write+fdatasync, 1 MiB (reference) | {r['disk']:.1f} MB/s |"]
    note = (f"node {r['follower']} (a follower, not the active controller {r['controller']}) killed, "
            f"{r['bytes'] / 1e6:.0f} MB produced to leader {r['leader']} (acks=all, ISR of 2, "
            f"{r['produce_mb_s']:.1f} MB/s), then restarted")
    return note, "\n".join(lines)


# --- main ----------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description="Ferry replication benchmark: throughput, latency, "
                                 "failover and catch-up on real ferryd clusters (details: the "
                                 "docstring at the top of this file).")
    ap.add_argument("--build", default="build")
    ap.add_argument("--ferryd", help="ferryd binary (default: <build>/broker/ferryd)")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiplies record counts, the latency run's length and the catch-up "
                         "volume (1: 400K records per throughput case, 256 MiB to catch up)")
    ap.add_argument("--trials", type=int, default=20, help="failover trials (default 20)")
    ap.add_argument("--latency-rate", type=int,
                    help="msgs/s for the latency part (default: half the rf=3 rate measured)")
    ap.add_argument("--latency-client", choices=("confluent", "rdkafka_performance"),
                    default="confluent", help="paced producer of the latency part (default: "
                    "confluent-kafka, which sleeps between records; rdkafka_performance -r "
                    "busy-waits on a core)")
    ap.add_argument("--only", choices=PARTS, action="append",
                    help="run only this part (repeatable)")
    ap.add_argument("--markdown", help="also write the tables as Markdown to this file")
    ap.add_argument("--dir", default="/var/tmp", help="where data lives (a real disk)")
    args = ap.parse_args()
    only = set(args.only or PARTS)

    log_counter = KafkaLogCounter()
    kafka_log = logging.getLogger("kafka")
    kafka_log.addHandler(log_counter)
    kafka_log.propagate = False
    kafka_log.setLevel(logging.WARNING)

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # SIGINT too: it may be inherited ignored
        signal.signal(sig, on_term)

    bench = Bench(args)
    sections = []
    failed = []
    started = time.monotonic()
    print(f"{os.cpu_count()} cores, load average {loadavg()}; ferryd {bench.ferryd}; "
          f"data under {bench.root}", flush=True)
    state = {"rf3_rate": None}

    def throughput():
        bench.measure_disk("start")
        count = int(400_000 * args.scale)
        rows = run_throughput(bench, count)
        state["rf3_rate"] = rows[RF3_FSYNC]["msgs_s"]
        ref = rows[THROUGHPUT[0][0]]["mb_s"]
        print(f"  rf=3 acks=all (fsync) / 1 broker rf=1 acks=1: "
              f"{rows[RF3_FSYNC]['mb_s'] / ref:.2f}", flush=True)
        sections.append(("Throughput",) + throughput_table(rows, bench.disk["start"], count))

    def latency():
        rate, source = args.latency_rate, "--latency-rate"
        if not rate:
            if state["rf3_rate"] is None:
                print("  measuring the rf=3 acks=all rate first", flush=True)
                state["rf3_rate"] = run_throughput(bench, int(400_000 * args.scale),
                                                   [THROUGHPUT[2]])[RF3_FSYNC]["msgs_s"]
            rate = max(100, state["rf3_rate"] // 2)
            source = f"half of the {state['rf3_rate']} msgs/s measured for rf=3 acks=all in this run"
        seconds = max(4.0, 10 * args.scale)
        # The disk's speed drifts (a virtual disk with a host cache: 150-900 MB/s within minutes
        # here), and rf=3 fsync latency at a fixed rate follows it: measured again right here.
        bench.measure_disk("before latency")
        print(f"  {rate} msgs/s for 2 + {seconds:.0f} s per case", flush=True)
        rows = run_latency(bench, rate, seconds, args.latency_client)
        note, table = latency_table(rows, rate, source, args.latency_client)
        disk = bench.disk["before latency"]
        sections.append(("Produce -> ack latency", f"{note}; disk just before: {disk:.1f} MB/s",
                         table))

    def failover():
        results = run_failover(bench, args.trials, log_counter)
        sections.append(("Failover",) + failover_table(results))

    def catchup():
        disk = bench.measure_disk("before catch-up")
        r = run_catchup(bench, 256 * args.scale, disk)
        sections.append(("Replica catch-up",) + catchup_table(r))

    try:
        for name, part in (("throughput", throughput), ("latency", latency),
                           ("failover", failover), ("catchup", catchup)):
            if name not in only:
                continue
            print(f"{name}:", flush=True)
            try:
                part()
            except (RuntimeError, HarnessError, OSError, subprocess.SubprocessError) as e:
                failed.append(name)  # the other parts still run; their tables still print
                print(f"  {name} FAILED: {str(e)[:4000]}", flush=True)
                for c in list(bench.live):
                    bench.close_cluster(c)
    finally:
        bench.close()

    print()
    print(f"{os.cpu_count()} cores; load average at the end {loadavg()}; "
          f"total {time.monotonic() - started:.0f} s; scale {args.scale}")
    md = []
    for title, note, table in sections:
        print(f"\n{title}: {note}\n{table}")
        md.append(f"### {title}\n\n{note}\n\n{table}\n")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("\n".join(md))
    if failed:
        print(f"\nparts that failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt as e:
        print(f"interrupted ({e}); every process this run started was killed", file=sys.stderr)
        sys.exit(130)
