"""Log compaction on a real 3-node Ferry cluster (issue 10), checked on every replica's files and
through real clients:
  * a cleanup.policy=compact topic: every replica's cleaner keeps the latest record of each key
    (tombstones included, before delete.retention.ms) at the offset it was written, and
    confluent-kafka, kafka-python and kcat all read the compacted log, gaps included, from the
    beginning;
  * a broker killed with kill -9 in the middle of a cleaning pass restarts with a consistent log
    that then finishes compacting;
  * __consumer_offsets is compacted, and a coordinator that loads the compacted log (after the
    old one was killed, and after a restart of every node) serves the last committed offsets.
History checks on the files: every record a replica holds is the one produced at that offset
(no offset holding two values, nothing never written), and the latest value of every key is
there. Every wait is bounded; the seed is printed."""

import os
import random
import struct
import subprocess
import time
import unittest

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from kafka import KafkaConsumer
from kafka import TopicPartition as KTopicPartition

from cluster import FerryCluster, log_batches
from ferry_harness import test_seed

SEED = test_seed()
KEYS = 40


def varint(data, pos):
    shift = result = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return (result >> 1) ^ -(result & 1), pos


def decode_batch(batch):
    """[(offset, key, value)] of an uncompressed v2 batch (value None for a tombstone)."""
    base, = struct.unpack_from(">q", batch, 0)
    attributes, = struct.unpack_from(">h", batch, 21)
    assert attributes & 0x07 == 0, "the test produces uncompressed batches"
    count, = struct.unpack_from(">i", batch, 57)
    pos, out = 61, []
    for _ in range(count):
        length, pos = varint(batch, pos)
        end = pos + length
        pos += 1
        _, pos = varint(batch, pos)  # timestamp delta
        delta, pos = varint(batch, pos)
        klen, pos = varint(batch, pos)
        key = batch[pos:pos + klen] if klen >= 0 else None
        pos += max(klen, 0)
        vlen, pos = varint(batch, pos)
        value = batch[pos:pos + vlen] if vlen >= 0 else None
        out.append((base + delta, key, value))
        pos = end
    return out


def replica_records(cluster, node, topic, partition=0):
    """(records in sealed segments, records in the active one) of a replica, from its files."""
    part_dir = os.path.join(cluster.data_dir(node), f"{topic}-{partition}")
    logs = sorted(n for n in os.listdir(part_dir) if n.endswith(".log"))
    active_base = int(logs[-1][:20])
    sealed, active = [], []
    for base, _last, batch in log_batches(part_dir):
        (active if base >= active_base else sealed).extend(decode_batch(batch))
    return sealed, active


def compacted(records):
    keys = [k for (_, k, _) in records]
    return len(keys) == len(set(keys))


def latest(records):
    out = {}
    for offset, key, value in sorted(records, key=lambda r: r[0]):
        out[key] = (offset, value)
    return out


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class CompactionTest(unittest.TestCase):
    maxDiff = None

    def start(self, *overrides):
        cluster = FerryCluster(3, overrides=("log.cleaner.backoff.ms=100",) + overrides)
        self.addCleanup(cluster.close)
        cluster.start_all()
        return cluster

    def create(self, cluster, topic, **configs):
        admin = AdminClient({"bootstrap.servers": cluster.bootstrap()})
        config = {"cleanup.policy": "compact", "segment.bytes": "4096",
                  "min.cleanable.dirty.ratio": "0.01", "delete.retention.ms": "600000"}
        config.update(configs)
        for f in admin.create_topics([NewTopic(topic, 1, 3, config=config)],
                                     operation_timeout=10).values():
            f.result(timeout=30)
        cluster.wait_full_isr(topic, 1)

    def produce(self, cluster, topic, rounds, value_bytes=16, batch_bytes=1000):
        """`rounds` values for each of KEYS keys, tombstones for the first 10 keys, then 200
        unique keys (they push the rest out of the active segment). offset -> (key, value)."""
        rng = random.Random(SEED)
        produced = {}
        errors = []

        def report(err, msg):
            if err is not None:
                errors.append(err)
            else:
                produced[msg.offset()] = (msg.key(), msg.value())

        p = Producer({"bootstrap.servers": cluster.bootstrap(), "acks": "all", "linger.ms": 5,
                      "compression.type": "none", "batch.size": batch_bytes})
        records = [(f"key-{k}", f"{r}:" + "x" * value_bytes)
                   for r in range(rounds) for k in rng.sample(range(KEYS), KEYS)]
        records += [(f"key-{k}", None) for k in range(10)]
        records += [(f"pad-{i}", "p") for i in range(200)]
        for i, (key, value) in enumerate(records):
            p.produce(topic, key=key, value=value, on_delivery=report)
            if i % 500 == 0:
                p.poll(0)
        self.assertEqual(p.flush(60), 0)
        self.assertEqual(errors, [])
        return {o: (k, v) for o, (k, v) in produced.items()}

    def check_replica(self, cluster, node, topic, produced):
        sealed, active = replica_records(cluster, node, topic)
        records = sealed + active
        for offset, key, value in records:  # every record is the one produced there
            self.assertEqual(produced.get(offset), (key, value), f"node {node} offset {offset}")
        offsets = [o for (o, _, _) in records]
        self.assertEqual(offsets, sorted(set(offsets)), f"node {node}: offsets not increasing")
        want = latest([(o, k, v) for o, (k, v) in produced.items()])
        self.assertEqual(latest(records), want, f"node {node}: the latest value of a key is gone")
        return sealed

    def test_every_replica_keeps_the_latest_value_per_key_and_clients_read_the_gaps(self):
        cluster = self.start()
        self.create(cluster, "prices")
        produced = self.produce(cluster, "prices", rounds=30)
        for node in (1, 2, 3):
            wait_until(lambda: compacted(replica_records(cluster, node, "prices")[0]), 60,
                       f"node {node} to compact prices-0")
            sealed = self.check_replica(cluster, node, "prices", produced)
            self.assertLess(len(sealed), len(produced) // 4)
        end = max(produced) + 1

        # confluent-kafka (librdkafka) from the beginning.
        c = Consumer({"bootstrap.servers": cluster.bootstrap(), "group.id": "reader",
                      "enable.auto.commit": False, "auto.offset.reset": "earliest"})
        c.assign([TopicPartition("prices", 0, 0)])
        seen = []
        deadline = time.monotonic() + 30
        while (not seen or seen[-1][0] < end - 1) and time.monotonic() < deadline:
            m = c.poll(0.2)
            if m is not None and not m.error():
                seen.append((m.offset(), m.key(), m.value()))
        c.close()
        self.assertEqual(seen[-1][0], end - 1)
        for offset, key, value in seen:
            self.assertEqual(produced[offset], (key, value))
        self.assertLess(len(seen), len(produced) // 2, "the consumer read an uncompacted log")
        self.assertEqual(latest(seen), latest([(o, k, v) for o, (k, v) in produced.items()]))

        # kafka-python.
        k = KafkaConsumer(bootstrap_servers=cluster.bootstrap(), enable_auto_commit=False,
                          consumer_timeout_ms=10000)
        k.assign([KTopicPartition("prices", 0)])
        k.seek_to_beginning()
        kseen = []
        for m in k:
            kseen.append((m.offset, m.key, m.value))
            if m.offset == end - 1:
                break
        k.close()
        self.assertEqual([r[0] for r in kseen], [r[0] for r in seen])

        # kcat.
        out = subprocess.run(
            ["kcat", "-b", cluster.bootstrap(), "-C", "-t", "prices", "-p", "0", "-o",
             "beginning", "-e", "-q", "-f", "%o %k\n"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        kcat_offsets = [int(line.split()[0]) for line in out.stdout.splitlines()]
        self.assertEqual(kcat_offsets, [r[0] for r in seen])

    def test_a_broker_killed_mid_clean_restarts_consistent_and_finishes(self):
        # A slow cleaner (256 KiB/s) over ~1 MB: each pass takes seconds, so the kill lands
        # inside one.
        cluster = self.start("log.cleaner.io.max.bytes.per.second=262144")
        self.create(cluster, "slow", **{"segment.bytes": "65536"})
        produced = self.produce(cluster, "slow", rounds=60, value_bytes=300, batch_bytes=16000)
        victim = 1 + random.Random(SEED).randrange(3)
        staging = os.path.join(cluster.data_dir(victim), "slow-0", "cleaning")
        wait_until(lambda: os.path.isdir(staging) and os.listdir(staging), 60,
                   f"node {victim} to stage a cleaned segment")
        cluster.kill9(victim)
        print(f"killed node {victim} with {os.listdir(staging)} staged", flush=True)
        cluster.start(victim)
        cluster.wait_full_isr("slow", 1)
        self.check_replica(cluster, victim, "slow", produced)  # consistent right after restart
        wait_until(lambda: compacted(replica_records(cluster, victim, "slow")[0]), 120,
                   f"node {victim} to finish compacting")
        self.check_replica(cluster, victim, "slow", produced)

    def test_consumer_offsets_are_compacted_and_reloaded_by_a_new_coordinator(self):
        cluster = self.start("offsets.topic.num.partitions=1", "offsets.topic.segment.bytes=4096",
                             "log.cleaner.min.cleanable.ratio=0.01")
        admin = AdminClient({"bootstrap.servers": cluster.bootstrap()})
        for f in admin.create_topics([NewTopic("orders", 1, 3)], operation_timeout=10).values():
            f.result(timeout=30)
        cluster.wait_full_isr("orders", 1)
        c = Consumer({"bootstrap.servers": cluster.bootstrap(), "group.id": "g",
                      "enable.auto.commit": False})
        for i in range(1, 301):
            c.commit(offsets=[TopicPartition("orders", 0, i)], asynchronous=False)
        c.close()
        cluster.wait_full_isr("__consumer_offsets", 1)

        def offsets_compacted():
            return all(compacted(replica_records(cluster, n, "__consumer_offsets")[0])
                       and len(replica_records(cluster, n, "__consumer_offsets")[0]) > 0
                       for n in (1, 2, 3))
        wait_until(offsets_compacted, 60, "__consumer_offsets-0 to be compacted on every node")

        def committed():
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                r = Consumer({"bootstrap.servers": cluster.bootstrap(), "group.id": "g"})
                try:
                    got = r.committed([TopicPartition("orders", 0)], timeout=5)
                    if got[0].error is None:
                        return got[0].offset
                except KafkaException:
                    pass
                finally:
                    r.close()
                time.sleep(0.2)
            raise AssertionError("no committed offset")

        self.assertEqual(committed(), 300)
        coordinator = cluster.leader("__consumer_offsets", 0)
        cluster.kill9(coordinator)
        self.assertEqual(committed(), 300)  # loaded from a compacted log by the new leader
        cluster.start(coordinator)
        cluster.wait_full_isr("__consumer_offsets", 1)  # back in the ISR before the restart
        for i in (1, 2, 3):
            cluster.stop(i)
        for i in (1, 2, 3):
            cluster.start(i)
        self.assertEqual(committed(), 300)


if __name__ == "__main__":
    unittest.main(verbosity=2)
