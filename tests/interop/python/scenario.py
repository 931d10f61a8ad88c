"""Client-independent interop scenarios for the Python clients (confluent-kafka, kafka-python).

A client test supplies an adapter with this shape (duck-typed):

  adapter.name                      short name, used in topic names and ids
  adapter.null_header_values        whether the client can send a header with a null value
  adapter.create_topics({name: partitions})        raises on any per-topic error
  adapter.producer(acks, history)   a producer whose sends report into `history`:
      .send(rid, record)            asynchronous; on delivery calls history.acked(rid, offset)
                                    (acks=0: leaves it UNKNOWN), on error history.failed(rid)
      .poll(timeout_s)              serves delivery callbacks
      .flush(timeout_s)             waits until nothing is outstanding (raises on timeout)
      .close()
  adapter.read_all(partitions)      list of (topic, partition): every record from the log start
                                    to the end offset observed when reading starts (Consumed)
  adapter.read_from(topic, partition, offset, count)
                                    assign + seek: `count` records starting at `offset`

The producers never use idempotence or transactions and never retry (so a record is never
written twice by the client), and a consumer never joins a group or commits offsets.
"""

import time

from ferry_harness import wait_for_end_offsets, wait_until
from history import ACKED, History, Record, check, make_value, summary

PARTITIONS = 3
HEADER_KEYS = ["trace", "dup", "dup", "ünïcode-ключ", ""]


def random_record(rng, topic, partitions, rid, null_header_values):
    """A record with a random binary key (sometimes null), a value carrying `rid`, 0-3 headers
    (duplicate keys, empty and - if supported - null values) and an explicit timestamp that is
    neither now nor monotonic."""
    key = None if rng.random() < 0.1 else rng.randbytes(rng.randrange(0, 24))
    value = make_value(rid, rng.randbytes(rng.randrange(0, 300)))
    headers = []
    for _ in range(rng.randrange(0, 4)):
        roll = rng.random()
        if roll < 0.15 and null_header_values:
            hv = None
        elif roll < 0.3:
            hv = b""
        else:
            hv = rng.randbytes(rng.randrange(1, 16))
        headers.append((rng.choice(HEADER_KEYS), hv))
    now = int(time.time() * 1000)
    ts = rng.choice([now - rng.randrange(1, 86_400_000), 1_000_000_000_000 + rng.randrange(10**9)])
    return Record(topic, rng.randrange(partitions), key, value, tuple(headers), ts)


def produce(adapter, producer, history, rng, topic, tag, count):
    for i in range(count):
        rid = f"{topic}/{tag}/{i}"
        record = random_record(rng, topic, PARTITIONS, rid, adapter.null_header_values)
        history.sent(rid, record)
        producer.send(rid, record)
        producer.poll(0)


def produce_round(adapter, history, rng, topics, tag, count):
    """`count` records to each topic with its acks level, each producer flushed and closed."""
    for topic, acks in topics.items():
        producer = adapter.producer(acks, history)
        try:
            produce(adapter, producer, history, rng, topic, tag, count)
            producer.flush(60)
        finally:
            producer.close()
        if acks != 0:
            ids = [i for i in history.ids(topic=topic) if f"/{tag}/" in i]
            not_acked = [i for i in ids if history.status(i) != ACKED]
            if not_acked:
                raise AssertionError(f"{len(not_acked)} {topic} sends not acknowledged: {not_acked[:5]}")


def read_and_check(test, ferryd, adapter, history, topics):
    wait_for_end_offsets(ferryd.kafka_port, history.acked_end_offsets(topics))
    consumed = adapter.read_all([(t, p) for t in topics for p in range(PARTITIONS)])
    problems = check(history, consumed, topics=topics)
    print(f"[{adapter.name}] {summary(history, consumed)}", flush=True)
    test.assertEqual(problems, [], "\n".join(problems[:40]))
    return consumed


def kill_mid_stream(adapter, ferryd, history, rng, topic, ready):
    """acks=all sends with records outstanding at the moment of a kill -9: the first half is
    sent and at least a quarter of it acknowledged, then the second half is handed to the client
    and the broker is killed at once. After the restart the producer is flushed: every record is
    then acked (must survive) or failed (may or may not be there, never twice). Returns how many
    of these sends were acknowledged before the kill."""
    producer = adapter.producer("all", history)

    def acked_kill_sends():
        return sum(1 for i in history.ids(status=ACKED, topic=topic) if "/kill-" in i)

    try:
        produce(adapter, producer, history, rng, topic, "kill-first-half", 100)

        def quarter_acked():
            producer.poll(0.05)
            return acked_kill_sends() >= 25

        wait_until(quarter_acked, 30, "a quarter of the first half acknowledged")
        produce(adapter, producer, history, rng, topic, "kill-second-half", 100)
        ferryd.kill9()
        acked_before_kill = acked_kill_sends()
        ferryd.start(ready)
        producer.flush(60)
    finally:
        producer.close()
    acked = acked_kill_sends()
    print(f"[{adapter.name}] kill -9 with {200 - acked_before_kill} of 200 acks=all sends "
          f"unacknowledged; {acked} acked in the end, {200 - acked} failed", flush=True)
    return acked_before_kill


def with_broker_log(ferryd, scenario_fn):
    """Runs scenario_fn(); any failure is re-raised with the tail of the ferryd log attached."""
    try:
        scenario_fn()
    except Exception as e:
        raise ferryd.failure(f"{type(e).__name__}: {e}") from e


def restart_scenario(test, ferryd, adapter, rng):
    with_broker_log(ferryd, lambda: _restart_scenario(test, ferryd, adapter, rng))


def seek_scenario(test, ferryd, adapter, rng):
    with_broker_log(ferryd, lambda: _seek_scenario(test, ferryd, adapter, rng))


def _restart_scenario(test, ferryd, adapter, rng):
    """acks 0/1/all to three topics; graceful restart; read+check; more sends; kill -9 with acks=all
    sends outstanding; more sends after the restart; read+check everything."""
    history = History()
    topics = {f"{adapter.name}-acks0": 0, f"{adapter.name}-acks1": 1, f"{adapter.name}-acksall": "all"}
    ready = {t: PARTITIONS for t in topics}
    adapter.create_topics(ready)
    ferryd.wait_ready(ready)
    produce_round(adapter, history, rng, topics, "before-restart", 60)
    ferryd.restart(graceful=True, topics=ready)
    read_and_check(test, ferryd, adapter, history, topics)
    produce_round(adapter, history, rng, topics, "before-kill", 60)
    acked_before_kill = kill_mid_stream(adapter, ferryd, history, rng, f"{adapter.name}-acksall", ready)
    test.assertGreaterEqual(acked_before_kill, 25)
    produce_round(adapter, history, rng, topics, "after-kill", 30)
    read_and_check(test, ferryd, adapter, history, topics)


def _seek_scenario(test, ferryd, adapter, rng):
    """assign + seek: reading from an offset in the middle returns exactly the records acked at
    that offset and after, in order."""
    history = History()
    topic = f"{adapter.name}-seek"
    adapter.create_topics({topic: PARTITIONS})
    ferryd.wait_ready({topic: PARTITIONS})
    produce_round(adapter, history, rng, {topic: "all"}, "seek", 90)
    wait_for_end_offsets(ferryd.kafka_port, history.acked_end_offsets())
    by_offset = {}
    for rid in history.ids(topic=topic):
        s = history.sent_by_id[rid]
        by_offset[(s.record.partition, s.offset)] = rid
    partition = max(range(PARTITIONS), key=lambda p: sum(1 for q, _ in by_offset if q == p))
    end = max(o for q, o in by_offset if q == partition) + 1
    start = end // 2
    got = adapter.read_from(topic, partition, start, end - start)
    test.assertEqual([c.offset for c in got], list(range(start, end)))
    test.assertEqual(check(history, got, topics=[]), [])
    test.assertEqual([c.record.value for c in got],
                     [history.sent_by_id[by_offset[(partition, o)]].record.value for o in range(start, end)])
