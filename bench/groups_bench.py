#!/usr/bin/env python3
"""Ferry consumer-group benchmark (issue 10) on a fresh 3-node ferryd cluster on loopback
(tests/interop/python/cluster.py; __consumer_offsets rf=3, defaults otherwise), with
confluent-kafka 1.7.0 (librdkafka 2.0.2) consumers. Three parts, each reported as a ratio to a
same-run reference:

 rebalance   10 consumers subscribe to a 10-partition topic at once: time from the first
             subscribe until every member holds partitions (all 10 covered), divided by
             group.initial.rebalance.delay.ms (3000 ms: the floor Kafka's KIP-134 delay sets).
             Then one member closes (LeaveGroup): time until the other 9 again cover every
             partition, divided by group.min.session.timeout.ms (6000 ms: the time a rebalance
             would take if it waited for a dead member's session instead).
 throughput  consume --scale x 200 MB of 1 KiB records from a 6-partition rf=3 topic with one
             consumer in a group (subscribe, auto-commit) and, as the reference, with assign();
             MB/s of each and group/assign (goal >= 0.9).
 commits     synchronous offset commits (one partition, one commit at a time) through one
             coordinator with rf=3 for 10 s: commits/s, next to the same consumer's synchronous
             produce round trips (acks=all, one 100-byte record at a time) as the reference,
             since each commit is an acks=all append to __consumer_offsets.
"""

import argparse
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "interop", "python"))

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

from cluster import FerryCluster  # noqa: E402

PARTS = ("rebalance", "throughput", "commits")


def create(cluster, topic, partitions):
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap()})
    for f in admin.create_topics([NewTopic(topic, partitions, 3)], operation_timeout=10).values():
        f.result(timeout=30)
    cluster.wait_full_isr(topic, partitions)


def consumer(cluster, group, **extra):
    config = {"bootstrap.servers": cluster.bootstrap(), "group.id": group,
              "auto.offset.reset": "earliest", "heartbeat.interval.ms": 500,
              "session.timeout.ms": 10000}
    config.update(extra)
    return Consumer(config)


def rebalance(cluster):
    create(cluster, "rb", 10)
    members = [consumer(cluster, "rb-group") for _ in range(10)]
    start = time.monotonic()
    for c in members:
        c.subscribe(["rb"])

    def covered(cs):
        owned = [{tp.partition for tp in c.assignment()} for c in cs]
        return all(owned) and set().union(*owned) == set(range(10))

    deadline = start + 120
    while not covered(members) and time.monotonic() < deadline:
        for c in members:
            c.poll(0.01)
    stable_ms = (time.monotonic() - start) * 1000
    leaver = members.pop()
    start = time.monotonic()
    leaver.close()
    while time.monotonic() < start + 0.3:  # let the others see the rebalance begin
        for c in members:
            c.poll(0.01)
    while not covered(members) and time.monotonic() < deadline + 60:
        for c in members:
            c.poll(0.01)
    rejoin_ms = (time.monotonic() - start) * 1000
    for c in members:
        c.close()
    return [("10 members stable from cold", f"{stable_ms:.0f} ms", f"{stable_ms / 3000:.2f}x the 3000 ms initial delay"),
            ("9 members re-stable after one leaves", f"{rejoin_ms:.0f} ms", f"{rejoin_ms / 6000:.2f}x the 6000 ms session floor")]


def throughput(cluster, scale):
    partitions = 6
    create(cluster, "tp", partitions)
    count = int(200_000 * scale)
    value = b"x" * 1024
    p = Producer({"bootstrap.servers": cluster.bootstrap(), "acks": "all", "linger.ms": 10,
                  "batch.num.messages": 10000, "queue.buffering.max.messages": 200000})
    for i in range(count):
        while True:
            try:
                p.produce("tp", value, partition=i % partitions)
                break
            except BufferError:
                p.poll(0.05)
    p.flush(120)

    def read(c, subscribe):
        if subscribe:
            c.subscribe(["tp"])
        else:
            c.assign([TopicPartition("tp", i, 0) for i in range(partitions)])
        got = 0
        nbytes = 0
        first = None
        deadline = time.monotonic() + 300
        while got < count and time.monotonic() < deadline:
            for m in c.consume(10000, 0.5):
                if m.error():
                    continue
                if first is None:
                    first = time.monotonic()
                got += 1
                nbytes += len(m.value())
        elapsed = time.monotonic() - first
        c.close()
        return nbytes / elapsed / 1e6, got

    assign_mb, n1 = read(consumer(cluster, "tp-assign", **{"enable.auto.commit": False}), False)
    group_mb, n2 = read(consumer(cluster, "tp-group"), True)
    return [("consume, assign() (reference)", f"{assign_mb:.1f} MB/s", f"{n1} records"),
            ("consume in a group (subscribe, auto-commit)", f"{group_mb:.1f} MB/s",
             f"{group_mb / assign_mb:.2f}x assign ({n2} records)")]


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] * 1000


def commits(cluster):
    create(cluster, "cm", 1)
    p = Producer({"bootstrap.servers": cluster.bootstrap(), "acks": "all", "linger.ms": 0})
    produce_lat = []
    end = time.monotonic() + 10
    while time.monotonic() < end:
        s = time.monotonic()
        p.produce("cm", b"y" * 100, partition=0)
        p.flush(10)
        produce_lat.append(time.monotonic() - s)
    c = consumer(cluster, "cm-group", **{"enable.auto.commit": False})
    c.assign([TopicPartition("cm", 0, 0)])
    c.commit(offsets=[TopicPartition("cm", 0, 0)], asynchronous=False)  # finds the coordinator
    commit_lat = []
    end = time.monotonic() + 10
    while time.monotonic() < end:
        s = time.monotonic()
        c.commit(offsets=[TopicPartition("cm", 0, len(commit_lat) + 1)], asynchronous=False)
        commit_lat.append(time.monotonic() - s)
    c.close()
    return [("synchronous produce round trips, acks=all (reference)", f"{len(produce_lat) / 10:.0f}/s",
             f"p50 {pct(produce_lat, 0.5):.1f} ms, p99 {pct(produce_lat, 0.99):.1f} ms"),
            ("synchronous offset commits, rf=3", f"{len(commit_lat) / 10:.0f}/s",
             f"{len(commit_lat) / len(produce_lat):.2f}x produce; p50 {pct(commit_lat, 0.5):.1f} ms, "
             f"p99 {pct(commit_lat, 0.99):.1f} ms")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--only", choices=PARTS, action="append")
    ap.add_argument("--dir", default="/var/tmp", help="where data lives (a real disk)")
    args = ap.parse_args()
    os.environ.setdefault("FERRYD", os.path.join(args.build, "broker", "ferryd"))
    tempfile.tempdir = args.dir
    rows = []
    for part in args.only or PARTS:
        cluster = FerryCluster(3)
        try:
            cluster.start_all()
            if part == "rebalance":
                rows += rebalance(cluster)
            elif part == "throughput":
                rows += throughput(cluster, args.scale)
            else:
                rows += commits(cluster)
        finally:
            cluster.close()
    width = max(len(r[0]) for r in rows)
    print(f"{'measurement':<{width}}  value        ratio")
    for name, value, ratio in rows:
        print(f"{name:<{width}}  {value:<11}  {ratio}")


if __name__ == "__main__":
    main()
