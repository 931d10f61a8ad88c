"""kcat 1.7.1 (librdkafka 2.0.2) against a real ferryd: produce and consume with keys and headers
at acks 0, 1 and all, across a graceful restart and a kill -9; every compression codec.

kcat produces through one process per (topic, partition) batch and reports each delivery on
stderr ("Message delivered to partition P (offset O)") in send order, which is how acks and
offsets are collected. kcat cannot set record timestamps: librdkafka stamps them, so the checker
verifies each timestamp against the window of its kcat run. Topics are created by Produce's
auto-creation (num.partitions=3 on the broker).
"""

import json
import random
import re
import subprocess
import time
import unittest

from ferry_harness import Ferryd, batches_on_disk, test_seed, wait_for_end_offsets
from history import Consumed, History, Record, check, make_value, summary

KCAT = "kcat"
PARTITIONS = 3
DELIVERED = re.compile(rb"Message delivered to partition (-?\d+) \(offset (-?\d+)\)")
CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
SEED = test_seed()


def now_ms():
    return int(time.time() * 1000)


def kcat_produce(ferryd, topic, partition, lines, acks, headers=(), codec="none", timeout=60):
    """Produces `lines` (key, value) to one partition; returns (delivered offsets in send order,
    (lo, hi) timestamp window). Keys and values must not contain tab or newline."""
    args = [KCAT, "-P", "-b", ferryd.bootstrap, "-t", topic, "-p", str(partition), "-K", "\t"]
    args += ["-z", codec, "-X", f"acks={acks}", "-X", "message.send.max.retries=0", "-v", "-v"]
    for name, value in headers:
        args += ["-H", name if value is None else f"{name}={value.decode()}"]
    stdin = b"".join(k + b"\t" + v + b"\n" for k, v in lines)
    lo = now_ms()
    done = subprocess.run(args, input=stdin, capture_output=True, timeout=timeout)
    hi = now_ms()
    if done.returncode != 0:
        raise ferryd.failure(f"kcat -P failed ({done.returncode}): {done.stderr.decode()[-3000:]}")
    delivered = [(int(p), int(o)) for p, o in DELIVERED.findall(done.stderr)]
    if any(p != partition for p, _ in delivered):
        raise AssertionError(f"delivered to an unexpected partition: {delivered}")
    return [o for _, o in delivered], (lo, hi), done.stderr


def kcat_consume(ferryd, topic, partition=None, offset="beginning", timeout=60):
    """Everything from `offset` to the end of the topic (or one partition), as Consumed."""
    args = [KCAT, "-C", "-b", ferryd.bootstrap, "-t", topic, "-o", str(offset), "-e", "-J", "-q"]
    if partition is not None:
        args += ["-p", str(partition)]
    done = subprocess.run(args, capture_output=True, timeout=timeout)
    if done.returncode != 0:
        raise ferryd.failure(f"kcat -C failed ({done.returncode}): {done.stderr.decode()[-3000:]}")
    out = []
    for line in done.stdout.decode().splitlines():
        m = json.loads(line)
        h = m["headers"] or []
        headers = tuple((h[i], None if h[i + 1] is None else h[i + 1].encode()) for i in range(0, len(h), 2))
        key = None if m["key"] is None else m["key"].encode()
        record = Record(m["topic"], m["partition"], key, m["payload"].encode(), headers, m["ts"])
        out.append(Consumed(record, m["offset"], 0 if m["tstype"] == "create" else 1))
    return out


class KcatTest(unittest.TestCase):
    def setUp(self):
        self.rng = random.Random(SEED ^ hash(self._testMethodName) & 0xFFFFFFFF)
        self.ferryd = Ferryd(overrides=[f"num.partitions={PARTITIONS}"])
        self.ferryd.start()

    def tearDown(self):
        self.ferryd.close()

    def produce_round(self, history, topic, acks, tag, count):
        """`count` records spread over the partitions, one kcat run per partition."""
        for p in range(PARTITIONS):
            lines, ids = [], []
            for i in range(count):
                rid = f"{topic}-{tag}-p{p}-{i}"
                key = f"key-{self.rng.randrange(10**6)}".encode()
                lines.append((key, make_value(rid, b"x" * self.rng.randrange(0, 200))))
                ids.append(rid)
            headers = (("round", tag.encode()), ("dup", b"1"), ("dup", b"2"), ("empty", b""), ("nullv", None))
            offsets, window, stderr = kcat_produce(self.ferryd, topic, p, lines, acks, headers)
            for (key, value), rid in zip(lines, ids):
                history.sent(rid, Record(topic, p, key, value, headers, None), ts_window=window)
            if acks != 0:
                self.assertEqual(len(offsets), count, stderr.decode()[-2000:])
                for rid, offset in zip(ids, offsets):
                    history.acked(rid, offset)

    def consume_and_check(self, history, topics):
        wait_for_end_offsets(self.ferryd.kafka_port, history.acked_end_offsets(topics))
        consumed = []
        for t in topics:
            consumed += kcat_consume(self.ferryd, t)
        problems = check(history, consumed)
        print(summary(history, consumed))
        self.assertEqual(problems, [], "\n".join(problems[:40]))
        return consumed

    def test_keys_headers_and_acked_records_survive_graceful_and_kill9_restarts(self):
        history = History()
        topics = {"kcat-acks0": 0, "kcat-acks1": 1, "kcat-acksall": "all"}
        ready = {t: PARTITIONS for t in topics}
        for round_tag in ["before-restart"]:
            for t, acks in topics.items():
                self.produce_round(history, t, acks, round_tag, 40)
        self.ferryd.restart(graceful=True, topics=ready)
        self.consume_and_check(history, topics)
        for t, acks in topics.items():
            self.produce_round(history, t, acks, "before-kill", 40)
        self.ferryd.restart(graceful=False, topics=ready)
        for t, acks in topics.items():
            self.produce_round(history, t, acks, "after-kill", 20)
        consumed = self.consume_and_check(history, topics)
        acks0_read = sum(1 for c in consumed if c.record.topic == "kcat-acks0")
        print(f"acks=0: {acks0_read} of {len(history.ids(topic='kcat-acks0'))} read back")

    def test_consuming_from_an_absolute_offset_starts_at_that_record(self):
        history = History()
        self.produce_round(history, "kcat-seek", "all", "seek", 30)
        start = 17
        wait_for_end_offsets(self.ferryd.kafka_port, history.acked_end_offsets())
        got = kcat_consume(self.ferryd, "kcat-seek", partition=1, offset=start)
        self.assertEqual([c.offset for c in got], list(range(start, 30)))
        self.assertEqual(check(history, got, topics=[]), [])
        self.assertEqual(got[0].record.value, history.sent_by_id["kcat-seek-seek-p1-17"].record.value)


def _codec_round_trip(self, codec):
    history = History()
    topic = f"kcat-codec-{codec}"
    lines, ids = [], []
    for i in range(200):
        rid = f"{topic}-{i}"
        # Compressible (repetitive) so librdkafka does not fall back to an uncompressed batch.
        lines.append((f"key-{i % 7}".encode(), make_value(rid, b"abcdefgh" * 40)))
        ids.append(rid)
    headers = (("codec", codec.encode()),)
    offsets, window, stderr = kcat_produce(self.ferryd, topic, 0, lines, "all", headers, codec)
    self.assertEqual(len(offsets), len(lines), stderr.decode()[-2000:])
    for (key, value), rid, offset in zip(lines, ids, offsets):
        history.sent(rid, Record(topic, 0, key, value, headers, None), ts_window=window)
        history.acked(rid, offset)
    wait_for_end_offsets(self.ferryd.kafka_port, history.acked_end_offsets())
    consumed = kcat_consume(self.ferryd, topic)
    problems = check(history, consumed)
    self.assertEqual(problems, [], "\n".join(problems[:40]))
    return topic


class KcatCompressionTest(unittest.TestCase):
    """Round trip per codec, then the codec of the stored batches (read from the segment files).

    librdkafka 2.0.2 only compresses with gzip or snappy if the broker's Produce range includes
    v0 (ferryd advertises Produce 0..11 for that, KAFKA-18659), and with lz4 only if FindCoordinator
    v0 is advertised too (it is, with consumer groups): every codec, lz4 included, must arrive
    and be stored as sent."""

    def setUp(self):
        self.ferryd = Ferryd(overrides=["num.partitions=1"])
        self.ferryd.start()

    def tearDown(self):
        self.ferryd.close()

    def stored_codecs(self, topic):
        return {b["codec"] for b in batches_on_disk(self.ferryd.data_dir, topic, 0)}


def _make_codec_tests(codec):
    def round_trip(self):
        _codec_round_trip(self, codec)

    def stored(self):
        topic = _codec_round_trip(self, codec)
        self.assertEqual(self.stored_codecs(topic), {CODECS[codec]})

    round_trip.__name__ = f"test_{codec}_records_round_trip_intact"
    stored.__name__ = f"test_{codec}_batches_are_stored_with_that_codec"
    setattr(KcatCompressionTest, round_trip.__name__, round_trip)
    setattr(KcatCompressionTest, stored.__name__, stored)


for _codec in CODECS:
    _make_codec_tests(_codec)


if __name__ == "__main__":
    unittest.main(verbosity=2)
