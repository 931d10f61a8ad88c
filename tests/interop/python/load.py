"""Background produce load and read-back for replication tests and benchmarks.

`LoadProducer` sends records with unique ids (history.make_value) at a steady rate from its own
thread through kafka-python 2.0.2 with retries=0 and no idempotence, so a record is written twice
only when this code sends it again: a failed send is re-sent (History.retried) until it succeeds
or the producer is finished. (librdkafka is not used here: it re-queues batches answered
NOT_LEADER_OR_FOLLOWER even with message.send.max.retries=0, which would make duplicates the
history cannot attribute.) It records every error seen and the time of every acknowledgement,
so a test can ask "did writes resume after T?". `read_all` reads back with confluent-kafka.
"""

import collections
import heapq
import sys
import threading
import time

import kafka.errors
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition
from kafka import KafkaProducer

from history import ACKED, Consumed, Record, make_value


class LoadProducer:
    def __init__(self, bootstrap, topic, partitions, history, acks="all", rate=300, tag="r",
                 value_bytes=64):
        self.topic = topic
        self.partitions = partitions
        self.history = history
        self.interval = 1.0 / rate
        self.tag = tag
        self.filler = b"x" * value_bytes
        self.producer = KafkaProducer(
            bootstrap_servers=bootstrap.split(","),
            acks=-1 if acks == "all" else int(acks),
            retries=0,
            linger_ms=2,
            request_timeout_ms=10000,
            max_block_ms=5000,
            metadata_max_age_ms=1000,
            reconnect_backoff_ms=50,
            reconnect_backoff_max_ms=500,
        )
        self.lock = threading.Lock()  # history, errors, ack times, resend queue
        self.errors = collections.Counter()  # error class name -> count
        self.non_retriable = collections.Counter()
        self.ack_times = []  # monotonic time of every acknowledgement
        self.sent = 0
        self._resend = []  # heap of (not_before, seq, rid, record)
        self._seq = 0
        self._outstanding = 0
        self._stop = threading.Event()
        self._thread = None

    # --- sending --------------------------------------------------------------------------

    def _on_ack(self, rid, metadata):
        with self.lock:
            self._outstanding -= 1
            self.history.acked(rid, metadata.offset)
            self.ack_times.append(time.monotonic())

    def _on_error(self, rid, record, error):
        with self.lock:
            self._outstanding -= 1
            self.history.failed(rid)
            name = type(error).__name__
            self.errors[name] += 1
            if not getattr(error, "retriable", False) and not isinstance(
                    error, (kafka.errors.KafkaTimeoutError, kafka.errors.KafkaConnectionError)):
                self.non_retriable[name] += 1
            self._seq += 1
            heapq.heappush(self._resend, (time.monotonic() + 0.05, self._seq, rid, record))

    def _send(self, rid, record):
        with self.lock:
            self._outstanding += 1
        try:
            future = self.producer.send(record.topic, value=record.value, key=record.key,
                                        partition=record.partition)
        except kafka.errors.KafkaError as e:  # e.g. no metadata within max_block_ms
            self._on_error(rid, record, e)
            return
        future.add_callback(lambda md: self._on_ack(rid, md))
        future.add_errback(lambda e: self._on_error(rid, record, e))

    def _resend_due(self, limit=200):
        due = []
        now = time.monotonic()
        with self.lock:
            while self._resend and self._resend[0][0] <= now and len(due) < limit:
                _, _, rid, record = heapq.heappop(self._resend)
                self.history.retried(rid)
                due.append((rid, record))
        for rid, record in due:
            self._send(rid, record)

    def _new_record(self):
        i = self.sent
        self.sent += 1
        rid = f"{self.topic}/{self.tag}/{i}"
        record = Record(self.topic, i % self.partitions, str(i).encode(),
                        make_value(rid, self.filler), (), None)
        with self.lock:
            self.history.sent(rid, record)
        self._send(rid, record)

    def _run(self):
        next_send = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            while next_send <= now:
                self._new_record()
                next_send += self.interval
            self._resend_due()
            time.sleep(min(self.interval, 0.01))

    def start(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def finish(self, timeout=90.0):
        """Stops sending new records; re-sends failures until every record is acknowledged
        (bounded). Returns the ids still not acknowledged (empty on success)."""
        self._stop.set()
        self._thread.join(30)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                busy = self._outstanding or self._resend
            if not busy:
                break
            self._resend_due()
            try:
                self.producer.flush(timeout=1)
            except kafka.errors.KafkaTimeoutError:
                pass  # kafka-python raises when a flush outlasts its timeout: keep waiting
            time.sleep(0.01)
        self.producer.close(timeout=5)
        with self.lock:
            return [rid for rid in self.history.ids() if self.history.status(rid) != ACKED]

    # --- observation ------------------------------------------------------------------------

    def acks_after(self, t):
        with self.lock:
            return sum(1 for a in self.ack_times if a > t)

    def wait_acks_after(self, t, count, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.acks_after(t) >= count:
                return True
            time.sleep(0.05)  # poll interval of a bounded wait
        return False

    def first_ack_after(self, t):
        with self.lock:
            later = [a for a in self.ack_times if a > t]
        return min(later) if later else None

    def non_retriable_errors(self):
        with self.lock:
            return dict(self.non_retriable)


def _consumer(bootstrap):
    return Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "ferry-replication-never-joins",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "error",
        "fetch.wait.max.ms": 100,
    })


def high_watermarks(bootstrap, topic, partitions, timeout=60.0):
    """{partition: high watermark}, asking each partition's leader. Right after a leadership move
    a client's metadata may still name the old leader, and librdkafka's watermark query does not
    refresh it on NOT_LEADER_OR_FOLLOWER: such an answer is retried with a new client (fresh
    metadata), bounded by `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        consumer = _consumer(bootstrap)
        try:
            return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                    for p in range(partitions)}
        except KafkaException as e:
            error = e.args[0]
            moving = error.code() in (KafkaError.NOT_LEADER_FOR_PARTITION,
                                      KafkaError.LEADER_NOT_AVAILABLE)
            if not (moving or error.retriable()) or time.monotonic() > deadline:
                raise
            print(f"high_watermarks: {error.str()}; asking again with fresh metadata",
                  file=sys.stderr, flush=True)
        finally:
            consumer.close()
        time.sleep(0.2)  # poll interval of a bounded retry


def read_all(bootstrap, topic, partitions, timeout=60.0):
    """Every record of `topic` from the log start to the high watermark seen when reading starts."""
    ends = high_watermarks(bootstrap, topic, partitions, timeout)
    consumer = _consumer(bootstrap)
    try:
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
        out = []
        next_offset = {p: 0 for p in range(partitions)}
        deadline = time.monotonic() + timeout
        while any(next_offset[p] < ends[p] for p in ends):
            if time.monotonic() > deadline:
                raise AssertionError(f"read stalled at {next_offset}, ends {ends}")
            for msg in consumer.consume(num_messages=1000, timeout=0.2):
                if msg.error() is not None:
                    raise AssertionError(f"consume error: {msg.error()}")
                record = Record(msg.topic(), msg.partition(), msg.key(), msg.value(), (), None)
                out.append(Consumed(record, msg.offset()))
                next_offset[msg.partition()] = msg.offset() + 1
        return out, ends
    finally:
        consumer.close()
