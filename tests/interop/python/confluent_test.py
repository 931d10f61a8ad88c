"""confluent-kafka 1.7.0 (librdkafka 2.0.2) against a real ferryd: admin create/describe
configs/delete and their errors; produce at acks 0, 1 and all with keys, headers and explicit
timestamps across a graceful restart and a kill -9 with sends outstanding; consume with
assign + seek (no consumer group: group.id is set because librdkafka requires one, but nothing
subscribes or commits)."""

import ctypes
import random
import time
import unittest
import zlib

from confluent_kafka import (
    OFFSET_BEGINNING,
    TIMESTAMP_CREATE_TIME,
    Consumer,
    KafkaError,
    KafkaException,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, NewTopic

import scenario
from ferry_harness import Ferryd, test_seed, wait_until
from history import Consumed, Record

SEED = test_seed()


class ConfluentProducer:
    def __init__(self, bootstrap, acks, history):
        self.history = history
        self.acks = acks
        self.producer = Producer(
            {
                "bootstrap.servers": bootstrap,
                "acks": str(acks) if acks != "all" else "all",
                "enable.idempotence": False,
                "message.send.max.retries": 0,
                "linger.ms": 5,
                "message.timeout.ms": 30000,
            }
        )

    def send(self, rid, record):
        def delivered(err, msg):
            if err is not None:
                self.history.failed(rid)
            elif self.acks != 0:
                self.history.acked(rid, msg.offset())

        self.producer.produce(
            record.topic,
            value=record.value,
            key=record.key,
            partition=record.partition,
            timestamp=record.timestamp,
            headers=list(record.headers),
            on_delivery=delivered,
        )

    def poll(self, timeout):
        self.producer.poll(timeout)

    def flush(self, timeout):
        remaining = self.producer.flush(timeout)
        if remaining:
            raise AssertionError(f"{remaining} records still outstanding after {timeout}s")

    def close(self):
        self.producer.flush(0)


def _headers(msg):
    """msg.headers(), compensating a client bug: confluent-kafka < 1.8.2 builds each
    (name, None) tuple without taking a reference to None (confluent-kafka-python issue #1191),
    so every null header value read would eventually abort the interpreter with
    "none_dealloc". One reference per null value is added back here."""
    headers = tuple(msg.headers() or ())
    for _, value in headers:
        if value is None:
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(None))
    return headers


def to_consumed(msg):
    ts_type, ts = msg.timestamp()
    record = Record(msg.topic(), msg.partition(), msg.key(), msg.value(), _headers(msg), ts)
    return Consumed(record, msg.offset(), 0 if ts_type == TIMESTAMP_CREATE_TIME else 1)


class ConfluentAdapter:
    name = "confluent"
    null_header_values = True

    def __init__(self, ferryd):
        self.ferryd = ferryd
        self._admin = None

    def admin(self):
        # The futures of an AdminClient fail with _DESTROY once it is garbage: keep one alive.
        if self._admin is None:
            self._admin = AdminClient({"bootstrap.servers": self.ferryd.bootstrap})
        return self._admin

    def create_topics(self, topics, config=None):
        new = [NewTopic(t, n, 1, config=config or {}) for t, n in topics.items()]
        for future in self.admin().create_topics(new, operation_timeout=10).values():
            future.result(timeout=30)

    def producer(self, acks, history):
        return ConfluentProducer(self.ferryd.bootstrap, acks, history)

    def consumer(self):
        return Consumer(
            {
                "bootstrap.servers": self.ferryd.bootstrap,
                "group.id": "ferry-interop-never-joins",
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                "auto.offset.reset": "error",
                "fetch.wait.max.ms": 100,
            }
        )

    def read_all(self, partitions):
        consumer = self.consumer()
        try:
            ends = {}
            for topic, p in partitions:
                _, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                ends[(topic, p)] = high
            consumer.assign([TopicPartition(t, p, OFFSET_BEGINNING) for t, p in partitions])
            return self._read_until(consumer, ends)
        finally:
            consumer.close()

    def _read_until(self, consumer, ends, limit=None):
        out = []
        next_offset = {tp: 0 for tp in ends}

        def done():
            return all(next_offset[tp] >= end for tp, end in ends.items()) or (
                limit is not None and len(out) >= limit)

        def read_some():
            for msg in consumer.consume(num_messages=1000, timeout=0.2):
                if msg.error() is not None:
                    raise AssertionError(f"consume error: {msg.error()}")
                out.append(to_consumed(msg))
                next_offset[(msg.topic(), msg.partition())] = msg.offset() + 1
            return done()

        wait_until(read_some, 60, f"reading up to end offsets {ends}", interval=0)
        return out

    def read_from(self, topic, partition, offset, count):
        consumer = self.consumer()
        try:
            tp = TopicPartition(topic, partition, OFFSET_BEGINNING)
            consumer.assign([tp])
            first = self._read_until(consumer, {(topic, partition): 1})
            assert first[0].offset == 0, first[0]
            consumer.seek(TopicPartition(topic, partition, offset))
            got = self._read_until(consumer, {(topic, partition): offset + count}, limit=count)
            # Records read before the seek took effect are skipped; from the seek on, order holds.
            start = next(i for i, c in enumerate(got) if c.offset == offset)
            return got[start : start + count]
        finally:
            consumer.close()


class ConfluentDataTest(unittest.TestCase):
    def setUp(self):
        self.rng = random.Random(SEED ^ zlib.crc32(self._testMethodName.encode()))
        self.ferryd = Ferryd()
        self.ferryd.start()
        self.adapter = ConfluentAdapter(self.ferryd)

    def tearDown(self):
        self.adapter = None
        self.ferryd.close()

    def test_acked_records_survive_graceful_and_kill9_restarts_intact_and_in_order(self):
        scenario.restart_scenario(self, self.ferryd, self.adapter, self.rng)

    def test_assign_and_seek_reads_from_the_requested_offset(self):
        scenario.seek_scenario(self, self.ferryd, self.adapter, self.rng)


class ConfluentAdminTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ferryd = Ferryd()
        cls.ferryd.start()
        cls.adapter = ConfluentAdapter(cls.ferryd)
        cls.admin = cls.adapter.admin()

    @classmethod
    def tearDownClass(cls):
        cls.admin = cls.adapter = None  # no client left reconnecting to a stopped broker
        cls.ferryd.close()

    def create_error(self, topic):
        future = self.admin.create_topics([topic], operation_timeout=10)[topic.topic]
        with self.assertRaises(KafkaException) as raised:
            future.result(timeout=30)
        return raised.exception.args[0].code()

    def describe(self, name):
        resource = ConfigResource(ConfigResource.Type.TOPIC, name)
        return self.admin.describe_configs([resource])[resource].result(timeout=30)

    def test_created_topic_config_is_described_as_a_dynamic_topic_override(self):
        self.adapter.create_topics({"cf-configs": 2}, {"retention.ms": "3600000", "cleanup.policy": "compact"})
        configs = self.describe("cf-configs")
        self.assertEqual(configs["retention.ms"].value, "3600000")
        self.assertEqual(configs["retention.ms"].source, ConfigSource.DYNAMIC_TOPIC_CONFIG.value)
        self.assertEqual(configs["cleanup.policy"].value, "compact")
        self.assertEqual(configs["cleanup.policy"].source, ConfigSource.DYNAMIC_TOPIC_CONFIG.value)
        self.assertNotEqual(configs["segment.bytes"].source, ConfigSource.DYNAMIC_TOPIC_CONFIG.value)

    def test_a_timestamp_out_of_the_topics_bounds_is_refused_with_invalid_timestamp(self):
        self.adapter.create_topics({"cf-ts": 1}, {"message.timestamp.before.max.ms": "3600000",
                                                  "message.timestamp.after.max.ms": "60000"})
        self.assertEqual(self.describe("cf-ts")["message.timestamp.before.max.ms"].value,
                         "3600000")
        results = {}

        def report(err, msg):
            results[msg.value()] = err
        p = Producer({"bootstrap.servers": self.ferryd.bootstrap, "acks": "all",
                      "message.send.max.retries": 0})
        now = int(time.time() * 1000)
        # One batch each: a bad record fails its whole batch, as in Kafka.
        for value, ts in ((b"now", now), (b"old", now - 7200000), (b"future", now + 600000)):
            p.produce("cf-ts", key=b"k", value=value, timestamp=ts, on_delivery=report)
            self.assertEqual(p.flush(30), 0)
        self.assertIsNone(results[b"now"])
        self.assertEqual(results[b"old"].code(), KafkaError.INVALID_TIMESTAMP)
        self.assertEqual(results[b"future"].code(), KafkaError.INVALID_TIMESTAMP)

    def test_a_deleted_topic_is_unknown_to_describe_configs(self):
        self.adapter.create_topics({"cf-deleted": 1})
        self.admin.delete_topics(["cf-deleted"], operation_timeout=10)["cf-deleted"].result(timeout=30)
        with self.assertRaises(KafkaException) as raised:
            self.describe("cf-deleted")
        self.assertEqual(raised.exception.args[0].code(), KafkaError.UNKNOWN_TOPIC_OR_PART)

    def test_creating_an_existing_topic_fails_with_topic_already_exists(self):
        self.adapter.create_topics({"cf-exists": 1})
        self.assertEqual(self.create_error(NewTopic("cf-exists", 1, 1)), KafkaError.TOPIC_ALREADY_EXISTS)

    def test_an_invalid_topic_name_fails_with_invalid_topic_exception(self):
        self.assertEqual(self.create_error(NewTopic("bad name!", 1, 1)), KafkaError.TOPIC_EXCEPTION)

    def test_replication_factor_three_on_one_broker_fails_with_invalid_replication_factor(self):
        code = self.create_error(NewTopic("cf-rf3", 1, 3))
        self.assertEqual(code, KafkaError.INVALID_REPLICATION_FACTOR)


if __name__ == "__main__":
    unittest.main(verbosity=2)
