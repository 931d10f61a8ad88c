#!/usr/bin/env python3
"""Ferry broker benchmark: the same librdkafka rdkafka_performance commands against
 * librdkafka's in-memory mock cluster (bench/mock_kafka: no disk, the protocol-cost ceiling),
 * ferryd with its defaults (log.flush.mode=fsync: acks=all waits for a group-committed fsync),
 * ferryd with log.flush.mode=page-cache (Kafka's durability, for comparison),
all started by this script on loopback in one run. Reports produce throughput (acks=1 and
acks=all; 100 B and 1 KiB records), consume-from-beginning throughput, the broker's CPU seconds
per GB moved (from /proc/<pid>/stat), and each figure's ratio to the mock.

    /usr/bin/python3 bench/broker_bench.py --build build [--scale 1.0] [--markdown out.md]

Produce in Ferry's default mode is bound by the disk (every append is group-committed with
fdatasync); the mock keeps everything in memory. So the run also measures the disk itself (write
+ fdatasync of 1 MiB blocks in the same directory, the physical limit) and reports each ferryd
produce figure against it too. Before each case the script calls sync(), so write-back from an
earlier case does not slow a later one.

Consumption: librdkafka's mock keeps only about 5 MB per partition (older data is dropped and
its log start moves), so each consume case reads, from the beginning, a count that fits in that
window (40,000 x 100 B, 4,000 x 1 KiB) and takes the median of 5 runs.

Not a test: figures vary with the machine; compare ratios within one run.
"""
import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

CASES = [  # (name, mode, record bytes, acks)
    ("produce 100 B acks=1", "P", 100, "1"),
    ("produce 100 B acks=all", "P", 100, "all"),
    ("produce 1 KiB acks=1", "P", 1024, "1"),
    ("produce 1 KiB acks=all", "P", 1024, "all"),
    ("consume 100 B from beginning", "C", 100, None),
    ("consume 1 KiB from beginning", "C", 1024, None),
]
TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


class Target:
    def __init__(self, name, proc, bootstrap, tmp):
        self.name, self.proc, self.bootstrap, self.tmp = name, proc, bootstrap, tmp

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


def start_mock(build, topics):
    tmp = tempfile.mkdtemp(prefix="ferry-bench-mock-")
    proc = subprocess.Popen([f"{build}/bench/mock_kafka"] + [f"{t}:1" for t in topics],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith("bootstrap="):
        raise SystemExit(f"mock_kafka did not start: {line!r}")
    return Target("mock", proc, line.split("=", 1)[1], tmp)


def start_ferryd(build, name, overrides):
    tmp = tempfile.mkdtemp(prefix="ferry-bench-", dir="/var/tmp")
    kport, cport = free_port(), free_port()
    args = [f"{build}/broker/ferryd",
            "--override", f"listeners=PLAINTEXT://127.0.0.1:{kport},CONTROLLER://127.0.0.1:{cport}",
            "--override", f"controller.quorum.voters=1@127.0.0.1:{cport}",
            "--override", f"log.dirs={tmp}/data", "--override", "num.partitions=1",
            "--override", "log.level=warn"]
    for o in overrides:
        args += ["--override", o]
    log = open(f"{tmp}/ferryd.log", "w")
    proc = subprocess.Popen(args, stdout=log, stderr=log)
    bootstrap = f"127.0.0.1:{kport}"
    deadline = time.time() + 30
    while time.time() < deadline:  # ready once it accepts clients (it does so once unfenced)
        r = subprocess.run(["kcat", "-L", "-b", bootstrap, "-m", "2"], capture_output=True)
        if r.returncode == 0 and b"1 brokers" in r.stdout:
            return Target(name, proc, bootstrap, tmp)
        time.sleep(0.1)
    raise SystemExit(f"{name} did not become ready; see {tmp}/ferryd.log")


def disk_write_mb_s(directory, total_mib=512):
    """Raw sequential write + fdatasync bandwidth (1 MiB blocks), the physical produce limit."""
    path = os.path.join(directory, "ferry-bench-disk-probe")
    block = os.urandom(1 << 20)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        t0 = time.time()
        for _ in range(total_mib):
            os.write(fd, block)
            os.fdatasync(fd)
        return total_mib * (1 << 20) / 1e6 / (time.time() - t0)
    finally:
        os.close(fd)
        os.unlink(path)


def run_case(build, target, topic, mode, size, acks, count):
    perf = f"{build}/bench/rdkafka_performance"
    if mode == "P":
        cmd = [perf, "-P", "-t", topic, "-b", target.bootstrap, "-s", str(size), "-c", str(count),
               "-a", "-1" if acks == "all" else acks, "-X", "linger.ms=5",
               "-X", "batch.num.messages=10000", "-X", "queue.buffering.max.messages=1000000"]
    else:
        cmd = [perf, "-C", "-t", topic, "-p", "0", "-b", target.bootstrap, "-o", "beginning",
               "-c", str(count)]
    os.sync()  # write-back of earlier cases must not slow this one
    cpu0 = cpu_seconds(target.proc.pid)
    t0 = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    wall = time.time() - t0
    cpu = cpu_seconds(target.proc.pid) - cpu0
    out = r.stdout + r.stderr
    # The last summary line is the final one (rdkafka_performance also prints running totals).
    if mode == "P":
        found = re.findall(r"messages produced \(\d+ bytes\), (\d+) delivered \(offset -?\d+, "
                           r"(\d+) failed\) in \d+ms: (\d+) msgs/s and ([\d.]+) MB/s", out)
        if not found or int(found[-1][1]) != 0:
            raise SystemExit(f"{target.name}: {' '.join(cmd)} failed:\n{out[-2000:]}")
        msgs, rate, mbs = int(found[-1][0]), int(found[-1][2]), float(found[-1][3])
    else:
        found = re.findall(r"(\d+) messages \(\d+ bytes\) consumed in \d+ms: (\d+) msgs/s "
                           r"\(([\d.]+) MB/s\)", out)
        if not found:
            raise SystemExit(f"{target.name}: {' '.join(cmd)} failed:\n{out[-2000:]}")
        msgs, rate, mbs = int(found[-1][0]), int(found[-1][1]), float(found[-1][2])
    if msgs < count:
        raise SystemExit(f"{target.name}: only {msgs}/{count} messages in {' '.join(cmd)}:\n{out[-1500:]}")
    gb = msgs * size / 1e9
    return {"msgs_s": rate, "mb_s": mbs, "cpu_s": cpu, "gb": gb,
            "cpu_s_per_gb": cpu / gb if gb else 0.0, "wall_s": wall}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies record counts")
    ap.add_argument("--markdown", help="also write the table as Markdown to this file")
    args = ap.parse_args()
    counts = {100: int(2_000_000 * args.scale), 1024: int(400_000 * args.scale)}
    consume_counts = {100: 40_000, 1024: 4_000}
    topics = {}
    for name, mode, size, acks in CASES:
        if mode == "P":
            topics[name] = f"bench-{size}-{acks}"
    consume_topic = {100: "bench-100-1", 1024: "bench-1024-1"}

    os.sync()
    disk = disk_write_mb_s("/var/tmp")
    print(f"disk: write + fdatasync, 1 MiB blocks, 512 MiB in /var/tmp: {disk:.1f} MB/s", flush=True)
    rows = {}
    for label, starter in (("mock", lambda: start_mock(args.build, set(topics.values()))),
                           ("ferryd (fsync, default)", lambda: start_ferryd(args.build, "ferryd", [])),
                           ("ferryd (page-cache)", lambda: start_ferryd(
                               args.build, "ferryd-pc", ["log.flush.mode=page-cache"]))):
        target = starter()
        try:
            for name, mode, size, acks in CASES:
                topic = topics.get(name, consume_topic[size])
                if mode == "P":
                    res = run_case(args.build, target, topic, mode, size, acks, counts[size])
                else:
                    runs = sorted((run_case(args.build, target, topic, mode, size, acks,
                                            consume_counts[size]) for _ in range(5)),
                                  key=lambda r: r["mb_s"])
                    res = dict(runs[2])
                    # /proc CPU time ticks at 10 ms: account the CPU of all five runs together.
                    res["cpu_s_per_gb"] = sum(r["cpu_s"] for r in runs) / sum(r["gb"] for r in runs)
                rows.setdefault(name, {})[label] = res
                print(f"{label:26} {name:30} {res['msgs_s']:>10} msgs/s {res['mb_s']:>9.2f} MB/s "
                      f"{res['cpu_s_per_gb']:>7.2f} CPU-s/GB", flush=True)
        finally:
            target.close()

    labels = ["mock", "ferryd (fsync, default)", "ferryd (page-cache)"]
    lines = ["| case | " + " | ".join(f"{l} MB/s" for l in labels) +
             " | fsync/mock | page-cache/mock | fsync/disk | CPU-s/GB mock | CPU-s/GB ferryd (fsync) |",
             "|---|" + "---|" * (len(labels) + 5)]
    for name, _, _, _ in CASES:
        r = rows[name]
        mock = r["mock"]["mb_s"]
        vs_disk = f"{r[labels[1]]['mb_s'] / disk:.2f}" if name.startswith("produce") else "-"
        lines.append(f"| {name} | " + " | ".join(f"{r[l]['mb_s']:.1f}" for l in labels) +
                     f" | {r[labels[1]]['mb_s'] / mock:.2f} | {r[labels[2]]['mb_s'] / mock:.2f}"
                     f" | {vs_disk} | {r['mock']['cpu_s_per_gb']:.2f}"
                     f" | {r[labels[1]]['cpu_s_per_gb']:.2f} |")
    table = "\n".join(lines)
    print()
    print(f"disk (write + fdatasync, 1 MiB): {disk:.1f} MB/s")
    print(f"produce: {counts[100]} x 100 B, {counts[1024]} x 1 KiB per case; consume: "
          f"{consume_counts[100]} x 100 B, {consume_counts[1024]} x 1 KiB, median of 5; "
          f"1 partition; rdkafka_performance linger.ms=5; {os.cpu_count()} cores")
    print(table)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
