"""Each real Kafka client (kcat 1.7.1, confluent-kafka 1.7.0, kafka-python 2.0.2) produces and
consumes through a kill -9 of a partition leader on a 3-node Ferry cluster, judged by the
history checker.

Scenario (one cluster per client, `FerryCluster(3)`, every node broker + controller voter):
  1. topic `failover` with 3 partitions, replication factor 3, min.insync.replicas=2 (created
     with confluent-kafka's AdminClient); wait until every partition has a full ISR and its
     leader answers ListOffsets as leader;
  2. THE CLIENT produces a steady stream of id-tagged records with acks=all, round-robin over
     the three partitions, no idempotence and no retries configured;
  3. once every partition has acknowledgements, the leader of one partition (chosen by the seed)
     is killed with SIGKILL mid-stream;
  4. the stream goes on until the client has reported, on every partition, a successful delivery
     of a record handed to it after the kill (bounded: 60 s), then for a little longer, so that
     records sent once the new leaders are known are in the history too; then the producer is
     flushed: every record ends acked (with its offset) or failed;
  5. the killed node is restarted and rejoins every ISR;
  6. THE CLIENT reads every partition from the beginning to the high watermark (kcat: `-o
     beginning -e`) and `history.check` judges it: no acknowledged record lost, no phantom, each
     acknowledged offset holds that record, per-partition send order, key/value/timestamp
     intact, and duplicates only where the rule below allows them. On top of that, every
     acknowledged record allowed a duplicate must still have a copy at its acknowledged offset,
     and no client may report a delivery error before the kill.
Nothing here asserts on timing; every wait is bounded.

Duplicate rule (per client):
  * kafka-python (retries=0): kafka-python never re-sends a batch when retries=0 (Sender.
    _can_retry is `attempts < retries`), and this test never re-sends a failed record either.
    So NO record may be stored twice: a failed send may be absent or present once.
  * kcat and confluent-kafka (librdkafka 2.0.2, message.send.max.retries=0,
    enable.idempotence=false): librdkafka re-queues a batch answered NOT_LEADER_OR_FOLLOWER
    (and similar leader-change errors) without counting it as a retry, so a batch a dying or
    deposed leader had appended and replicated may be written again by the new leader. Per
    record id the test records when it handed the record to the client and the client's
    verdict, and a record MAY be duplicated (History.retried) only if
      (a) it was handed to the client before the kill and the client had not reported its
          delivery when the test sent SIGKILL (in flight at the kill), or
      (b) it was handed to the client after the kill and before the test saw the client's
          first successful delivery, on the same partition, of a record handed after the kill
          (the leader change, as the client sees it, was still in progress), or
      (c) the client reported its delivery as failed (librdkafka may have re-sent it
          internally before giving up).
    Every other record, in particular every record acknowledged before the kill and every
    record handed to the client once that partition's new leader had acknowledged a post-kill
    record, must be stored exactly once. Records allowed a duplicate are exempt from the
    send-order check (history.check) but, when acknowledged, must not be lost and must have a
    copy at the acknowledged offset.

Observed (why rule (b) is needed even on partitions whose leader survives): when the killed node
is also the active controller, the controller election plus the brokers finding the new
controller can take longer than broker.session.timeout.ms (2 s), so every surviving broker's
controller lease lapses for tens of milliseconds. Their leaders then fail the acks=all produces
parked on them with NOT_LEADER_OR_FOLLOWER although those batches were appended, "lead again" in
the same leader epoch and commit them; librdkafka re-sends the batch and the records are stored
twice (kafka-python and kafkajs report the error instead, and the records are there once). A
partition's first post-kill acknowledgement needs its leader to have heard from the new
controller, which renews that lease, so these re-sends fall inside window (b).

kcat specifics: one long-lived `kcat -P -p <partition>` process per partition, fed on stdin
(each line exactly 128 bytes, kcat's stdin read size, so kcat produces each line as soon as it
arrives), with `-X max.in.flight=1`: kcat's delivery reports carry no message identity, only
"delivered to partition P (offset O)" or "Delivery failed", so the n-th report of a process is
attributed to the n-th line written to it; with one partition per process and one request in
flight, librdkafka reports deliveries in production order. kcat cannot set timestamps:
librdkafka stamps them, and each record's timestamp is checked against the window between the
test handing it over and the test seeing its delivery report.
"""

import json
import random
import re
import subprocess
import threading
import time
import traceback
import unittest
import zlib

import kafka
import kafka.errors
from confluent_kafka import (
    OFFSET_BEGINNING,
    TIMESTAMP_CREATE_TIME,
    Consumer,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, NewTopic

from cluster import FerryCluster, list_offsets_v1_at
from ferry_harness import test_seed
from history import ACKED, Consumed, History, Record, check, id_of, make_value, summary
from load import high_watermarks

SEED = test_seed()
TOPIC = "failover"
PARTITIONS = 3
RATE = 150  # records per second over all partitions
RECOVERY_TIMEOUT = 60.0  # until every partition has a post-kill success
AFTER_RECOVERY = 2.0  # seconds of steady-state sending after that
ACKED_BEFORE_KILL = 30  # per partition


def now_ms():
    return int(time.time() * 1000)


class Stream:
    """Hands id-tagged records to a client at a steady rate from its own thread and records, per
    id, when the record was handed over and the client's verdict. Subclasses implement
    `_hand(rid, record)` (asynchronous send), `_service()` (serve callbacks; optional) and
    `_close(timeout)` (flush; every outstanding record gets a verdict), and call
    `_delivered(rid, offset, error)` from any thread."""

    name = "?"
    retries_internally = False  # librdkafka: duplicates possible in the leader change (docstring)

    def __init__(self, cluster, rate=RATE):
        self.cluster = cluster
        self.interval = 1.0 / rate
        self.lock = threading.Lock()
        self.records = {}  # rid -> Record
        self.hand_order = []  # rids in the order handed to the client
        self.handed_at = {}  # rid -> monotonic time (just before the client got it)
        self.handed_ms = {}  # rid -> wall clock ms (timestamp window lower bound)
        self.verdict = {}  # rid -> (monotonic time, offset or None, error or None)
        self.verdict_ms = {}
        self.kill_time = None
        self.in_flight_at_kill = set()
        self.recovered_at = {}  # partition -> time of the first success of a post-kill record
        self.sent = 0
        self.problems = []  # found on client threads; asserted by finish()
        self._kill = None  # (kill function, burst size, done event) for the sending thread
        self._stop = threading.Event()
        self._thread = None

    # --- driven by the client code ------------------------------------------------------------

    def _delivered(self, rid, offset, error):
        t = time.monotonic()
        with self.lock:
            if rid in self.verdict:
                self.problems.append(f"{self.name}: two delivery reports for {rid}")
                return
            self.verdict[rid] = (t, offset, error)
            self.verdict_ms[rid] = now_ms()
            p = self.records[rid].partition
            if (error is None and self.kill_time is not None and self.handed_at[rid] > self.kill_time
                    and p not in self.recovered_at):
                self.recovered_at[p] = t

    # --- the stream ---------------------------------------------------------------------------

    def _new_record(self):
        i = self.sent
        self.sent += 1
        p = i % PARTITIONS
        rid = f"{self.name}/p{p}/{i}"
        record = self._make_record(rid, p, i)
        with self.lock:
            self.records[rid] = record
            self.hand_order.append(rid)
            self.handed_at[rid] = time.monotonic()
            self.handed_ms[rid] = now_ms()
        self._hand(rid, record)

    def _make_record(self, rid, p, i):
        return Record(TOPIC, p, f"k{i}".encode(), make_value(rid, b"x" * 40), (), now_ms())

    def _run(self):
        try:
            next_send = time.monotonic()
            while not self._stop.is_set():
                now = time.monotonic()
                while next_send <= now:
                    self._new_record()
                    next_send += self.interval
                if self._kill is not None:
                    self._burst_then_kill(*self._kill)
                    self._kill = None
                self._service()
                time.sleep(min(self.interval, 0.005))
        except Exception:  # surfaced by finish(); the waits time out meanwhile
            self.problems.append(f"{self.name}: the sending thread failed:\n{traceback.format_exc()}")

    def _service(self):
        pass

    def start(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def stop_sending(self):
        self._stop.set()
        self._thread.join(30)

    def finish(self, timeout=60.0):
        """Stops sending, flushes; returns the ids that never got a verdict (empty on success)."""
        self.stop_sending()
        self._close(timeout)
        if self.problems:
            raise AssertionError("\n".join(self.problems[:20]))
        with self.lock:
            return [rid for rid in self.hand_order if rid not in self.verdict]

    # --- observation --------------------------------------------------------------------------

    def acked_per_partition(self):
        with self.lock:
            out = [0] * PARTITIONS
            for rid, (_, _, error) in self.verdict.items():
                if error is None:
                    out[self.records[rid].partition] += 1
            return out

    def wait(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.02)  # poll interval of a bounded wait
        raise AssertionError(f"{self.name}: timed out after {timeout}s waiting for {what}\n"
                             + self.cluster.log_tails())

    def kill_mid_stream(self, kill, burst=3 * PARTITIONS, timeout=30.0):
        """The sending thread hands `burst` records to the client at once and calls `kill()` right
        after (so that records are in flight at the kill); returns once it has."""
        done = threading.Event()
        self._kill = (kill, burst, done)
        if not done.wait(timeout):
            raise AssertionError(f"{self.name}: the sending thread did not kill within {timeout}s")

    def _burst_then_kill(self, kill, burst, done):
        for _ in range(burst):
            self._new_record()
        with self.lock:  # just before SIGKILL: what is in flight now may legitimately be re-sent
            self.kill_time = time.monotonic()
            self.in_flight_at_kill = {r for r in self.hand_order if r not in self.verdict}
        kill()
        done.set()

    def recovered(self):
        with self.lock:
            return len(self.recovered_at) == PARTITIONS

    # --- judgement ----------------------------------------------------------------------------

    def may_duplicate(self, rid):
        """The duplicate rule of the module docstring."""
        if not self.retries_internally:
            return False
        if rid in self.in_flight_at_kill:
            return True  # (a)
        if self.verdict[rid][2] is not None:
            return True  # (c)
        handed = self.handed_at[rid]
        if handed <= self.kill_time:
            return False  # acknowledged before the kill
        recovered = self.recovered_at.get(self.records[rid].partition)
        return recovered is None or handed < recovered  # (b)

    def history(self):
        """The History of everything handed to the client, with verdicts and the duplicate rule
        applied."""
        history = History()
        for rid in self.hand_order:
            record = self.records[rid]
            window = None
            if record.timestamp is None:
                window = (self.handed_ms[rid] - 1, self.verdict_ms.get(rid, now_ms()) + 1)
            history.sent(rid, record, ts_window=window)
            if rid not in self.verdict:
                continue
            if self.may_duplicate(rid):
                history.retried(rid)
            _, offset, error = self.verdict[rid]
            if error is None:
                history.acked(rid, offset)
            else:
                history.failed(rid)
        return history

    def errors(self, before_kill=False):
        with self.lock:
            out = {}
            for t, _, error in self.verdict.values():
                if error is not None and (not before_kill or t <= self.kill_time):
                    out[error] = out.get(error, 0) + 1
            return out

    def errors_before_kill_detail(self, limit=10):
        with self.lock:
            start = self.handed_at[self.hand_order[0]] if self.hand_order else 0
            out = [f"{rid} (partition {self.records[rid].partition}) handed at "
                   f"+{self.handed_at[rid] - start:.3f}s, failed at +{t - start:.3f}s: {error}"
                   for rid, (t, _, error) in self.verdict.items()
                   if error is not None and t <= self.kill_time]
        return f"(kill at +{self.kill_time - start:.3f}s) " + "; ".join(out[:limit])

    def stats(self):
        with self.lock:
            acked_before = sum(1 for t, _, e in self.verdict.values() if e is None and t <= self.kill_time)
            acked_after = sum(1 for t, _, e in self.verdict.values() if e is None and t > self.kill_time)
            failed = sum(1 for _, _, e in self.verdict.values() if e is not None)
        allowed = sum(1 for rid in self.hand_order if rid in self.verdict and self.may_duplicate(rid))
        return (f"handed {len(self.hand_order)}, acked {acked_before} before the kill and "
                f"{acked_after} after, failed {failed}, in flight at the kill "
                f"{len(self.in_flight_at_kill)}, allowed a duplicate {allowed}, "
                f"recovery after {self._recovery_seconds()} s")

    def _recovery_seconds(self):
        if not self.recovered_at:
            return None
        return round(max(self.recovered_at.values()) - self.kill_time, 2)


# --- kcat ------------------------------------------------------------------------------------------

KCAT_LINE = 128  # kcat reads stdin with fread(128): a line of exactly this size is produced at once
DELIVERED = re.compile(r"Message delivered to partition (-?\d+) \(offset (-?\d+)\)")
DELIVERY_FAILED = re.compile(r"Delivery failed for message: (.*)")


class KcatStream(Stream):
    name = "kcat"
    retries_internally = True

    def __init__(self, cluster, rate=RATE):
        super().__init__(cluster, rate)
        self.procs = {}
        self.lines = {p: [] for p in range(PARTITIONS)}  # rids written to the partition's kcat
        self.reports = {p: 0 for p in range(PARTITIONS)}
        self.stderr_tail = {p: [] for p in range(PARTITIONS)}
        self.readers = []
        for p in range(PARTITIONS):
            args = ["kcat", "-P", "-b", cluster.bootstrap(), "-t", TOPIC, "-p", str(p), "-K", "\t",
                    "-X", "acks=all", "-X", "enable.idempotence=false",
                    "-X", "message.send.max.retries=0", "-X", "max.in.flight=1",
                    "-X", "message.timeout.ms=30000", "-X", "linger.ms=5", "-v", "-v"]
            self.procs[p] = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                             stderr=subprocess.PIPE, bufsize=0)
            reader = threading.Thread(target=self._read_reports, args=(p,), daemon=True)
            reader.start()
            self.readers.append(reader)

    def _make_record(self, rid, p, i):
        key = f"k{i}".encode()
        bare = len(key) + 1 + len(make_value(rid)) + 1
        return Record(TOPIC, p, key, make_value(rid, b"x" * (KCAT_LINE - bare)), (), None)

    def _hand(self, rid, record):
        line = record.key + b"\t" + record.value + b"\n"
        assert len(line) == KCAT_LINE, len(line)
        with self.lock:
            self.lines[record.partition].append(rid)
        self.procs[record.partition].stdin.write(line)

    def _read_reports(self, p):
        for raw in self.procs[p].stderr:
            text = raw.decode(errors="replace").rstrip("\n")
            self.stderr_tail[p] = (self.stderr_tail[p] + [text])[-30:]
            ok, failed = DELIVERED.search(text), DELIVERY_FAILED.search(text)
            if not ok and not failed:
                continue
            with self.lock:
                n = self.reports[p]
                self.reports[p] += 1
                rid = self.lines[p][n] if n < len(self.lines[p]) else None
            if rid is None:
                self.problems.append(f"kcat -p {p}: delivery report #{n} for a line never written")
                continue
            if ok:
                if int(ok.group(1)) != p:
                    self.problems.append(f"kcat -p {p} delivered {rid} to partition {ok.group(1)}")
                self._delivered(rid, int(ok.group(2)), None)
            else:
                self._delivered(rid, None, failed.group(1).strip())

    def _close(self, timeout):
        for proc in self.procs.values():
            proc.stdin.close()  # EOF: kcat waits for every delivery report, then exits
        deadline = time.monotonic() + timeout
        codes = {}
        for p, proc in self.procs.items():
            try:
                codes[p] = proc.wait(max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
                raise AssertionError(f"kcat -p {p} did not exit within {timeout}s of EOF:\n"
                                     + "\n".join(self.stderr_tail[p]))
        for reader in self.readers:
            reader.join(10)
        for proc in self.procs.values():
            proc.stderr.close()
        for p, code in codes.items():
            with self.lock:
                failed = any(self.verdict[r][2] is not None for r in self.lines[p] if r in self.verdict)
            # kcat exits 1 when a delivery failed, else 0.
            if code != (1 if failed else 0):
                raise AssertionError(f"kcat -p {p} exited {code}:\n" + "\n".join(self.stderr_tail[p]))


def kcat_read_all(cluster):
    done = subprocess.run(["kcat", "-C", "-b", cluster.bootstrap(), "-t", TOPIC, "-o", "beginning",
                           "-e", "-J", "-q"], capture_output=True, timeout=120)
    if done.returncode != 0:
        raise AssertionError(f"kcat -C failed ({done.returncode}): {done.stderr.decode()[-3000:]}")
    out = []
    for line in done.stdout.decode().splitlines():
        m = json.loads(line)
        h = m.get("headers") or []
        headers = tuple((h[i], None if h[i + 1] is None else h[i + 1].encode()) for i in range(0, len(h), 2))
        key = None if m["key"] is None else m["key"].encode()
        record = Record(m["topic"], m["partition"], key, m["payload"].encode(), headers, m["ts"])
        out.append(Consumed(record, m["offset"], 0 if m["tstype"] == "create" else 1))
    # kcat interleaves partitions; the checker wants each partition in offset order, which
    # kcat keeps within a partition.
    return out


# --- confluent-kafka -------------------------------------------------------------------------------


class ConfluentStream(Stream):
    name = "confluent"
    retries_internally = True

    def __init__(self, cluster, rate=RATE):
        super().__init__(cluster, rate)
        self.producer = Producer({
            "bootstrap.servers": cluster.bootstrap(),
            "acks": "all",
            "enable.idempotence": False,
            "message.send.max.retries": 0,
            "linger.ms": 5,
            "message.timeout.ms": 30000,
        })

    def _hand(self, rid, record):
        def on_delivery(err, msg):
            if err is None:
                self._delivered(rid, msg.offset(), None)
            else:
                self._delivered(rid, None, err.name())

        self.producer.produce(TOPIC, value=record.value, key=record.key, partition=record.partition,
                              timestamp=record.timestamp, on_delivery=on_delivery)

    def _service(self):
        self.producer.poll(0)

    def _close(self, timeout):
        remaining = self.producer.flush(timeout)
        if remaining:
            raise AssertionError(f"confluent: {remaining} records outstanding after {timeout}s")


def confluent_read_all(cluster):
    consumer = Consumer({
        "bootstrap.servers": cluster.bootstrap(),
        "group.id": "ferry-failover-never-joins",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "error",
        "fetch.wait.max.ms": 100,
    })
    try:
        ends = high_watermarks(cluster.bootstrap(), TOPIC, PARTITIONS)
        consumer.assign([TopicPartition(TOPIC, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
        out = []
        next_offset = {p: 0 for p in range(PARTITIONS)}
        deadline = time.monotonic() + 60
        while any(next_offset[p] < ends[p] for p in ends):
            if time.monotonic() > deadline:
                raise AssertionError(f"confluent read stalled at {next_offset}, ends {ends}")
            for msg in consumer.consume(num_messages=1000, timeout=0.2):
                if msg.error() is not None:
                    raise AssertionError(f"confluent consume error: {msg.error()}")
                ts_type, ts = msg.timestamp()
                record = Record(msg.topic(), msg.partition(), msg.key(), msg.value(),
                                tuple(msg.headers() or ()), ts)
                out.append(Consumed(record, msg.offset(), 0 if ts_type == TIMESTAMP_CREATE_TIME else 1))
                next_offset[msg.partition()] = msg.offset() + 1
        return out
    finally:
        consumer.close()


# --- kafka-python ----------------------------------------------------------------------------------


class KafkaPythonStream(Stream):
    name = "kafkapython"
    retries_internally = False

    def __init__(self, cluster, rate=RATE):
        super().__init__(cluster, rate)
        self.producer = kafka.KafkaProducer(
            bootstrap_servers=cluster.bootstrap().split(","),
            acks="all",
            retries=0,
            linger_ms=5,
            request_timeout_ms=30000,
            max_block_ms=10000,
            # kafka-python refreshes metadata on a leader error, but not on a refused
            # connection: a short metadata age lets it find the new leader (as in load.py).
            metadata_max_age_ms=1000,
            reconnect_backoff_ms=50,
            reconnect_backoff_max_ms=500,
        )

    def _hand(self, rid, record):
        try:
            future = self.producer.send(TOPIC, value=record.value, key=record.key,
                                        partition=record.partition, timestamp_ms=record.timestamp)
        except kafka.errors.KafkaError as e:  # e.g. no metadata within max_block_ms
            self._delivered(rid, None, type(e).__name__)
            return
        future.add_callback(lambda md: self._delivered(rid, md.offset, None))
        future.add_errback(lambda e: self._delivered(rid, None, type(e).__name__))

    def _close(self, timeout):
        try:
            self.producer.flush(timeout)
        except kafka.errors.KafkaTimeoutError as e:
            raise AssertionError(f"kafka-python: records outstanding after {timeout}s") from e
        self.producer.close(timeout=5)


def kafka_python_read_all(cluster):
    consumer = kafka.KafkaConsumer(
        bootstrap_servers=cluster.bootstrap().split(","),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="none",
        fetch_max_wait_ms=100,
    )
    try:
        tps = [kafka.TopicPartition(TOPIC, p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        out = []
        deadline = time.monotonic() + 60
        while not all(consumer.position(tp) >= end for tp, end in ends.items()):
            if time.monotonic() > deadline:
                raise AssertionError(f"kafka-python read stalled, ends {ends}")
            for batch in consumer.poll(timeout_ms=200, max_records=1000).values():
                for m in batch:
                    record = Record(m.topic, m.partition, m.key, m.value, tuple(m.headers or ()), m.timestamp)
                    out.append(Consumed(record, m.offset, m.timestamp_type))
        return out
    finally:
        consumer.close()


# --- the scenario ----------------------------------------------------------------------------------


def create_topic(cluster):
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap()})
    futures = admin.create_topics(
        [NewTopic(TOPIC, PARTITIONS, 3, config={"min.insync.replicas": "2"})], operation_timeout=10)
    for f in futures.values():
        f.result(timeout=30)
    cluster.wait_full_isr(TOPIC, PARTITIONS)


def leader_high_watermarks(cluster):
    """{partition: high watermark, or -1 if its leader (per Metadata) does not answer as leader}."""
    parts = cluster.partitions()
    got = {}
    for p in range(PARTITIONS):
        leader = parts[(TOPIC, p)][1]
        if leader < 0:
            got[p] = -1
            continue
        error, offset = list_offsets_v1_at(cluster.hosts[leader], cluster.kafka_ports[leader],
                                           {TOPIC: [p]})[(TOPIC, p)]
        got[p] = offset if error == 0 else -1
    return got


def wait_leaders_serving(cluster, timeout=30.0):
    """Bounded wait until every partition's leader, as Metadata names it, answers ListOffsets as
    leader. Metadata can name a broker leader a few milliseconds before its partition leads (a
    Produce then gets NOT_LEADER_OR_FOLLOWER), and no send may fail before the kill."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = leader_high_watermarks(cluster)
            if all(v >= 0 for v in last.values()):
                return
        except (OSError, ConnectionError) as e:
            last = repr(e)
        time.sleep(0.02)  # poll interval of a bounded wait
    raise cluster.failure(f"partition leaders not serving within {timeout}s (last {last})")


def wait_high_watermarks(cluster, history, timeout=60.0):
    """Bounded wait until each partition's leader reports a high watermark covering every
    acknowledged offset (acks=all: it should already)."""
    want = {p: end for (_, p), end in history.acked_end_offsets().items()}
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            got = leader_high_watermarks(cluster)
            last = got
            if all(got[p] >= end for p, end in want.items()):
                return got
        except (OSError, ConnectionError) as e:
            last = repr(e)
        time.sleep(0.05)  # poll interval of a bounded wait
    raise cluster.failure(f"high watermarks did not reach {want} within {timeout}s (last {last})")


class ClientFailoverTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.rng = random.Random(SEED ^ zlib.crc32(self._testMethodName.encode()))

    def failover(self, make_stream, read_all):
        cluster = FerryCluster(3)
        self.addCleanup(cluster.close)
        cluster.start_all()
        create_topic(cluster)
        wait_leaders_serving(cluster)
        partition = self.rng.randrange(PARTITIONS)
        victim = cluster.leader(TOPIC, partition)
        self.assertGreater(victim, 0)
        stream = make_stream(cluster).start()
        try:
            stream.wait(lambda: min(stream.acked_per_partition()) >= ACKED_BEFORE_KILL, 30,
                        f"{ACKED_BEFORE_KILL} acknowledgements on every partition")
            stream.kill_mid_stream(lambda: cluster.kill9(victim))
            stream.wait(stream.recovered, RECOVERY_TIMEOUT,
                        f"a successful delivery, on every partition, of a record sent after "
                        f"killing node {victim} (leader of {TOPIC}-{partition})")
            time.sleep(AFTER_RECOVERY)  # steady-state sends to the new leaders, judged strictly
        finally:
            unanswered = stream.finish()
        self.assertEqual(unanswered, [], f"records the client never reported on: {unanswered[:10]}")
        self.assertEqual(stream.errors(before_kill=True), {},
                         "delivery errors before the kill: " + stream.errors_before_kill_detail())
        cluster.start(victim)
        cluster.wait_full_isr(TOPIC, PARTITIONS, timeout=90)
        history = stream.history()
        wait_high_watermarks(cluster, history)
        consumed = read_all(cluster)
        problems = check(history, consumed)
        problems += acked_copy_problems(history, consumed)
        duplicates = duplicated_ids(consumed)
        print(f"[{stream.name}] killed node {victim} (leader of {TOPIC}-{partition}); "
              f"{stream.stats()}; errors {stream.errors()}; {summary(history, consumed)}; "
              f"duplicates read {len(duplicates)}{' ' + str(duplicates[:5]) if duplicates else ''}",
              flush=True)
        self.assertEqual(problems, [], "\n".join(problems[:40]) + "\n" + cluster.log_tails(20))

    def test_kcat_produces_and_consumes_through_a_leader_kill(self):
        self.failover(KcatStream, kcat_read_all)

    def test_confluent_kafka_produces_and_consumes_through_a_leader_kill(self):
        self.failover(ConfluentStream, confluent_read_all)

    def test_kafka_python_produces_and_consumes_through_a_leader_kill(self):
        self.failover(KafkaPythonStream, kafka_python_read_all)


def acked_copy_problems(history, consumed):
    """Acknowledged records allowed a duplicate (exempt from history.check's offset rule) must
    still have a copy at the offset the client was told."""
    at = {}
    for c in consumed:
        at.setdefault(id_of(c.record.value), set()).add(c.offset)
    problems = []
    for rid, s in history.sent_by_id.items():
        if s.retried and s.status == ACKED and s.offset is not None and s.offset not in at.get(rid, ()):
            problems.append(f"{rid} acked at offset {s.offset}, read at {sorted(at.get(rid, ()))}")
    return problems


def duplicated_ids(consumed):
    offsets = {}
    for c in consumed:
        offsets.setdefault(id_of(c.record.value), []).append((c.record.partition, c.offset))
    return [(rid, o) for rid, o in offsets.items() if len(o) > 1]


if __name__ == "__main__":
    unittest.main(verbosity=2)
