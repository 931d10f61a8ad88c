"""kafka-python 2.0.2 against a real ferryd: admin create/describe configs/delete and their
errors; produce at acks 0, 1 and all with keys, headers and explicit timestamps across a graceful
restart and a kill -9 with sends outstanding; consume with assign + seek and no group
(group_id=None: nothing joins or commits)."""

import random
import threading
import unittest
import zlib

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import (
    InvalidReplicationFactorError,
    InvalidTopicError,
    KafkaTimeoutError,
    TopicAlreadyExistsError,
    UnknownTopicOrPartitionError,
)

import scenario
from ferry_harness import Ferryd, test_seed, wait_until
from history import Consumed, Record

SEED = test_seed()
DYNAMIC_TOPIC_CONFIG = 1  # DescribeConfigs ConfigSource


class KafkaPythonProducer:
    """Delivery callbacks run on kafka-python's sender thread; they are queued and applied to the
    history on the test thread in poll()/flush()."""

    def __init__(self, bootstrap, acks, history):
        self.history = history
        self.acks = acks
        self.lock = threading.Lock()
        self.events = []
        self.producer = KafkaProducer(
            bootstrap_servers=bootstrap,
            acks=acks,
            retries=0,
            linger_ms=5,
            request_timeout_ms=30000,
            max_block_ms=30000,
        )

    def _event(self, rid, offset):
        with self.lock:
            self.events.append((rid, offset))

    def send(self, rid, record):
        future = self.producer.send(
            record.topic,
            value=record.value,
            key=record.key,
            headers=list(record.headers),
            partition=record.partition,
            timestamp_ms=record.timestamp,
        )
        future.add_callback(lambda md: self._event(rid, md.offset))
        future.add_errback(lambda exc: self._event(rid, None))

    def poll(self, timeout):
        del timeout  # callbacks arrive on their own thread; just apply what is there
        with self.lock:
            events, self.events = self.events, []
        for rid, offset in events:
            if offset is None:
                self.history.failed(rid)
            elif self.acks != 0:
                self.history.acked(rid, offset)

    def flush(self, timeout):
        try:
            self.producer.flush(timeout)
        except KafkaTimeoutError as e:
            raise AssertionError(f"records still outstanding after {timeout}s") from e
        self.poll(0)

    def close(self):
        self.producer.close(timeout=5)
        self.poll(0)


def to_consumed(m):
    record = Record(m.topic, m.partition, m.key, m.value, tuple(m.headers or ()), m.timestamp)
    return Consumed(record, m.offset, m.timestamp_type)


class KafkaPythonAdapter:
    name = "kafkapython"
    null_header_values = False  # KafkaProducer.send() only accepts bytes header values

    def __init__(self, ferryd):
        self.ferryd = ferryd
        self._admin = None

    def admin(self):
        if self._admin is None:
            self._admin = KafkaAdminClient(bootstrap_servers=self.ferryd.bootstrap)
        return self._admin

    def close(self):
        if self._admin is not None:
            self._admin.close()
            self._admin = None

    def create_topics(self, topics, config=None):
        new = [NewTopic(t, n, 1, topic_configs=config or {}) for t, n in topics.items()]
        self.admin().create_topics(new, timeout_ms=30000)

    def producer(self, acks, history):
        return KafkaPythonProducer(self.ferryd.bootstrap, acks, history)

    def consumer(self):
        return KafkaConsumer(
            bootstrap_servers=self.ferryd.bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="none",
            fetch_max_wait_ms=100,
        )

    @staticmethod
    def _read_until(consumer, ends, limit=None):
        out = []

        def read_some():
            for batch in consumer.poll(timeout_ms=200, max_records=1000).values():
                out.extend(to_consumed(m) for m in batch)
            if limit is not None and len(out) >= limit:
                return True
            return all(consumer.position(tp) >= end for tp, end in ends.items())

        wait_until(read_some, 60, f"reading up to end offsets {ends}", interval=0)
        return out

    def read_all(self, partitions):
        consumer = self.consumer()
        try:
            tps = [TopicPartition(t, p) for t, p in partitions]
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
            return self._read_until(consumer, consumer.end_offsets(tps))
        finally:
            consumer.close()

    def read_from(self, topic, partition, offset, count):
        consumer = self.consumer()
        try:
            tp = TopicPartition(topic, partition)
            consumer.assign([tp])
            consumer.seek(tp, offset)
            return self._read_until(consumer, {tp: offset + count}, limit=count)[:count]
        finally:
            consumer.close()


class KafkaPythonDataTest(unittest.TestCase):
    def setUp(self):
        self.rng = random.Random(SEED ^ zlib.crc32(self._testMethodName.encode()))
        self.ferryd = Ferryd()
        self.ferryd.start()
        self.adapter = KafkaPythonAdapter(self.ferryd)

    def tearDown(self):
        self.adapter.close()
        self.ferryd.close()

    def test_acked_records_survive_graceful_and_kill9_restarts_intact_and_in_order(self):
        scenario.restart_scenario(self, self.ferryd, self.adapter, self.rng)

    def test_assign_and_seek_reads_from_the_requested_offset(self):
        scenario.seek_scenario(self, self.ferryd, self.adapter, self.rng)


class KafkaPythonAdminTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ferryd = Ferryd()
        cls.ferryd.start()
        cls.adapter = KafkaPythonAdapter(cls.ferryd)

    @classmethod
    def tearDownClass(cls):
        cls.adapter.close()
        cls.ferryd.close()

    def describe(self, name):
        (response,) = self.adapter.admin().describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name)])
        (resource,) = response.resources
        error_code, _, _, resource_name, entries = resource
        self.assertEqual(resource_name, name)
        return error_code, {e[0]: (e[1], e[3]) for e in entries}

    def test_created_topic_config_is_described_as_a_dynamic_topic_override(self):
        self.adapter.create_topics({"kp-configs": 2}, {"retention.ms": "3600000", "max.message.bytes": "200000"})
        error_code, configs = self.describe("kp-configs")
        self.assertEqual(error_code, 0)
        self.assertEqual(configs["retention.ms"], ("3600000", DYNAMIC_TOPIC_CONFIG))
        self.assertEqual(configs["max.message.bytes"], ("200000", DYNAMIC_TOPIC_CONFIG))
        self.assertNotEqual(configs["segment.bytes"][1], DYNAMIC_TOPIC_CONFIG)

    def test_a_deleted_topic_is_unknown_to_describe_configs(self):
        self.adapter.create_topics({"kp-deleted": 1})
        self.adapter.admin().delete_topics(["kp-deleted"], timeout_ms=30000)
        error_code, _ = self.describe("kp-deleted")
        self.assertEqual(error_code, UnknownTopicOrPartitionError.errno)

    def test_creating_an_existing_topic_fails_with_topic_already_exists(self):
        self.adapter.create_topics({"kp-exists": 1})
        with self.assertRaises(TopicAlreadyExistsError):
            self.adapter.create_topics({"kp-exists": 1})

    def test_an_invalid_topic_name_fails_with_invalid_topic_exception(self):
        with self.assertRaises(InvalidTopicError):
            self.adapter.create_topics({"bad name!": 1})

    def test_replication_factor_three_on_one_broker_fails_with_invalid_replication_factor(self):
        with self.assertRaises(InvalidReplicationFactorError):
            self.adapter.admin().create_topics([NewTopic("kp-rf3", 1, 3)], timeout_ms=30000)


if __name__ == "__main__":
    unittest.main(verbosity=2)
