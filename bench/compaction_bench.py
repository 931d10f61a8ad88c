#!/usr/bin/env python3
"""Ferry log-compaction benchmark (issue 10) on a fresh one-node ferryd (tests/interop/python/
cluster.py) with a confluent-kafka 1.7.0 (librdkafka 2.0.2) producer. Two parts, each reported
as a ratio to a same-run reference:

 clean    produce --scale x 200 MB of 1 KiB values over 2,000 keys to a compacted topic
          (segment.bytes 16 MiB) with an unthrottled cleaner, then time until every sealed
          segment holds each key once: input MB / s of cleaning, next to the producer's MB/s
          into the same topic as the reference.
 impact   1 GB (x --scale) into the compacted topic, then 10 s of acks=1 produce (1 KiB, one partition) into another
          topic while the cleaner works on the first with its default throttle
          (log.cleaner.io.max.bytes.per.second = 100 MiB/s): MB/s, divided by the same
          measurement on a node with log.cleaner.enable=false (goal >= 0.9: compaction does
          not starve produce).
"""

import argparse
import os
import statistics
import struct
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "interop", "python"))

from confluent_kafka import Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

from cluster import FerryCluster, log_batches  # noqa: E402

PARTS = ("clean", "impact")
KEYS = 2000
VALUE = b"v" * 1024


def create(cluster, topic, **config):
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap()})
    for f in admin.create_topics([NewTopic(topic, 1, 1, config=config)],
                                 operation_timeout=10).values():
        f.result(timeout=30)
    cluster.wait_full_isr(topic, 1)


def fill(cluster, topic, megabytes):
    """Produces `megabytes` of keyed 1 KiB records; returns MB/s."""
    p = Producer({"bootstrap.servers": cluster.bootstrap(), "acks": "1", "linger.ms": 5,
                  "batch.size": 1 << 20, "queue.buffering.max.kbytes": 1 << 20})
    count = int(megabytes * 1e6 / len(VALUE))
    start = time.monotonic()
    for i in range(count):
        while True:
            try:
                p.produce(topic, key=b"key-%d" % (i % KEYS), value=VALUE)
                break
            except BufferError:
                p.poll(0.01)
    assert p.flush(300) == 0
    return count * len(VALUE) / 1e6 / (time.monotonic() - start)


def compacted(cluster, topic):
    """Whether every sealed segment of the topic's partition holds each key at most once
    (counts records by batch headers: compacted batches hold fewer records than their span)."""
    part_dir = os.path.join(cluster.data_dir(1), f"{topic}-0")
    logs = sorted(n for n in os.listdir(part_dir) if n.endswith(".log"))
    active_base = int(logs[-1][:20])
    records = sum(struct.unpack_from(">i", b, 57)[0]
                  for base, _, b in log_batches(part_dir) if base < active_base)
    return 0 < records <= KEYS


def clean(cluster, scale):
    create(cluster, "table", **{"cleanup.policy": "compact", "segment.bytes": str(16 << 20)})
    mb = 200 * scale
    produce_rate = fill(cluster, "table", mb)
    start = time.monotonic()
    deadline = start + 600
    while not compacted(cluster, "table"):
        if time.monotonic() > deadline:
            raise RuntimeError("the cleaner did not finish in 600 s")
        time.sleep(0.05)
    rate = mb / (time.monotonic() - start)
    return [("clean: cleaning MB/s of input", f"{rate:.1f}",
             f"{rate / produce_rate:.2f}x the producer's {produce_rate:.1f} MB/s")]


def produce_rate(cluster, seconds=10.0):
    p = Producer({"bootstrap.servers": cluster.bootstrap(), "acks": "1", "linger.ms": 5,
                  "batch.size": 1 << 20, "queue.buffering.max.kbytes": 1 << 20})
    sent = 0
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        try:
            p.produce("stream", value=VALUE)
            sent += 1
        except BufferError:
            p.poll(0.01)
    assert p.flush(120) == 0
    return sent * len(VALUE) / 1e6 / (time.monotonic() - start)


def impact(build_cluster, scale, pairs):
    rates = {True: [], False: []}
    for _ in range(pairs):  # alternating, so drift of the machine hits both sides alike
        for enabled in (True, False):
            cluster = build_cluster(("log.cleaner.backoff.ms=100",
                                     f"log.cleaner.enable={'true' if enabled else 'false'}"))
            try:
                create(cluster, "table", **{"cleanup.policy": "compact",
                                            "segment.bytes": str(16 << 20)})
                create(cluster, "stream")
                fill(cluster, "table", 1000 * scale)
                rates[enabled].append(produce_rate(cluster))
                if enabled and compacted(cluster, "table"):
                    print("note: the cleaner finished before the produce window ended")
            finally:
                cluster.close()
    on, off = statistics.median(rates[True]), statistics.median(rates[False])
    return [("impact: produce MB/s while cleaning", f"{on:.1f}",
             f"{on / off:.2f}x the cleaner-off {off:.1f} MB/s (medians of {pairs} pairs: "
             f"{' '.join(f'{v:.0f}' for v in rates[True])} vs "
             f"{' '.join(f'{v:.0f}' for v in rates[False])}; goal >= 0.9)")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--only", choices=PARTS, action="append")
    ap.add_argument("--pairs", type=int, default=3, help="impact: cleaner on/off runs")
    ap.add_argument("--dir", default="/var/tmp", help="where data lives (a real disk)")
    args = ap.parse_args()
    os.environ.setdefault("FERRYD", os.path.join(args.build, "broker", "ferryd"))
    tempfile.tempdir = args.dir

    def build_cluster(overrides):
        cluster = FerryCluster(1, overrides=overrides)
        cluster.start_all()
        return cluster

    rows = []
    for part in args.only or PARTS:
        if part == "clean":
            cluster = build_cluster(("log.cleaner.backoff.ms=100",
                                     "log.cleaner.io.max.bytes.per.second=1e12"))
            try:
                rows += clean(cluster, args.scale)
            finally:
                cluster.close()
        else:
            rows += impact(build_cluster, args.scale, args.pairs)
    width = max(len(r[0]) for r in rows)
    print(f"{'measurement':<{width}}  value   ratio")
    for name, value, ratio in rows:
        print(f"{name:<{width}}  {value:<6}  {ratio}")


if __name__ == "__main__":
    main()
