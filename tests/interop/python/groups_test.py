"""Consumer groups on a real 3-node Ferry cluster (rf=3 __consumer_offsets), with the group
consumers of confluent-kafka 1.7.0 (librdkafka 2.0.2), kafka-python 2.0.2 and kcat -G, as the
usual Kafka tutorials run them (issue 10):
  * three members over six partitions: disjoint assignments covering every partition, every
    record consumed, committed offsets equal to the log ends;
  * a member joining mid-stream (records still being produced): an eager rebalance splits the
    partitions, and with a synchronous commit per record every record is consumed exactly once;
  * a member killed with kill -9: after its session times out its partitions move to the
    survivor, which resumes at the victim's last committed offsets;
  * the coordinator's broker killed with kill -9: the group finds the new coordinator and every
    committed offset is there;
  * auto-commit (kafka-python) and kcat's balanced consumer;
  * cooperative-sticky members (KIP-429: the broker only relays) and a static member
    (group.instance.id, KIP-345) restarted within its session, resuming at its commits;
  * restart of the whole cluster: offsets survive (loaded back from __consumer_offsets).
Every wait is bounded; the seed is printed."""

import collections
import os
import random
import subprocess
import sys
import textwrap
import threading
import time
import unittest

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from kafka import KafkaConsumer

from cluster import FerryCluster
from ferry_harness import test_seed

SEED = test_seed()
TOPIC = "orders"
PARTITIONS = 6
OFFSETS_PARTITIONS = 6
OVERRIDES = (
    "group.initial.rebalance.delay.ms=200",
    f"offsets.topic.num.partitions={OFFSETS_PARTITIONS}",
)


def java_hash(text):
    h = 0
    for unit in text.encode("utf-16-be").hex(" ", 2).split():
        h = (31 * h + int(unit, 16)) & 0xFFFFFFFF
    return h - (1 << 32) if h >= (1 << 31) else h


def offsets_partition(group):
    h = java_hash(group)
    return (0 if h == -(1 << 31) else abs(h)) % OFFSETS_PARTITIONS


def create_topic(cluster, topic=TOPIC, partitions=PARTITIONS):
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap()})
    for f in admin.create_topics([NewTopic(topic, partitions, 3)], operation_timeout=10).values():
        f.result(timeout=30)
    cluster.wait_full_isr(topic, partitions)


def produce(cluster, count, topic=TOPIC):
    p = Producer({"bootstrap.servers": cluster.bootstrap(), "acks": "all", "linger.ms": 5})
    for i in range(count):
        p.produce(topic, key=f"k{i}", value=f"v{i}", partition=i % PARTITIONS)
    assert p.flush(30) == 0, "records still outstanding"


def confluent_consumer(cluster, group, callbacks=None, **extra):
    """`callbacks`: on_assign / on_revoke for subscribe()."""
    config = {
        "bootstrap.servers": cluster.bootstrap(),
        "group.id": group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 500,
        "topic.metadata.refresh.interval.ms": 1000,
    }
    config.update(extra)
    c = Consumer(config)
    c.subscribe([TOPIC], **(callbacks or {}))
    return c


def consume(consumer, count, commit_each=False, timeout=30.0):
    """Polls until `count` records arrived (bounded); returns their (partition, offset)s."""
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        m = consumer.poll(0.2)
        if m is None or m.error():
            continue
        got.append((m.partition(), m.offset()))
        if commit_each:
            consumer.commit(message=m, asynchronous=False)
    return got


def committed(cluster, group, partitions=PARTITIONS, timeout=30.0):
    """The group's committed offsets (OffsetFetch through librdkafka, every call bounded);
    partitions without a commit are left out."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        c = Consumer({"bootstrap.servers": cluster.bootstrap(), "group.id": group,
                      "enable.auto.commit": False})
        try:
            got = c.committed([TopicPartition(TOPIC, p) for p in range(partitions)], timeout=5)
            if all(tp.error is None for tp in got):
                return {tp.partition: tp.offset for tp in got if tp.offset >= 0}
            last = [tp.error for tp in got if tp.error is not None]
        except KafkaException as e:  # NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE while moving
            last = e
        finally:
            c.close()
        time.sleep(0.2)
    raise AssertionError(f"could not read committed offsets of {group}: {last!r}")


class GroupsTest(unittest.TestCase):
    maxDiff = None

    def run_cluster(self):
        cluster = FerryCluster(3, overrides=OVERRIDES)
        self.addCleanup(cluster.close)
        cluster.start_all()
        create_topic(cluster)
        return cluster

    def test_three_members_share_six_partitions_and_commit_every_record(self):
        cluster = self.run_cluster()
        produce(cluster, 600)
        members = [confluent_consumer(cluster, "shared") for _ in range(3)]
        seen = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for i, c in enumerate(members):
                m = c.poll(0.1)
                if m is None or m.error():
                    continue
                seen.setdefault((m.partition(), m.offset()), set()).add(i)
                c.commit(message=m, asynchronous=False)
            assignments = [{tp.partition for tp in c.assignment()} for c in members]
            if len(seen) == 600 and all(assignments) and \
                    sum(len(a) for a in assignments) == PARTITIONS:
                break
        assignments = [{tp.partition for tp in c.assignment()} for c in members]
        self.assertEqual(len(seen), 600, f"consumed {len(seen)} of 600")
        self.assertTrue(all(assignments), f"a member got nothing: {assignments}")
        self.assertEqual(set().union(*assignments), set(range(PARTITIONS)))
        self.assertEqual(sum(len(a) for a in assignments), PARTITIONS,
                         f"overlapping assignments: {assignments}")
        for c in members:
            c.close()
        self.assertEqual(committed(cluster, "shared"), {p: 100 for p in range(PARTITIONS)})

    def test_a_joining_member_causes_a_rebalance_and_every_record_is_consumed_once(self):
        # Member A consumes alone, committing synchronously after every record; B joins midway
        # while a producer thread goes on writing (the second half of its records only once the
        # rebalance is over). Each member polls in its own thread. A record counts as consumed
        # once its commit succeeded: one whose commit failed (fenced by the rebalance) is read
        # again by the partition's next owner, from the commits.
        cluster = self.run_cluster()
        rng = random.Random(SEED)
        initial, during = 1500, 1500
        join_at = rng.randrange(300, 900)  # records A has consumed when B joins
        print(f"B joins after {join_at} records", file=sys.stderr)
        produce(cluster, initial)
        expected = {(p, o) for p in range(PARTITIONS) for o in range(initial // PARTITIONS)}
        values = {f"v{i}" for i in range(initial)}

        lock = threading.Lock()
        stop, rebalanced = threading.Event(), threading.Event()
        delivered, produce_errors, crashed = {}, [], []
        events = []  # (member, "assign"/"revoke", partitions, records it had counted)
        owned = {"A": set(), "B": set()}
        counted = {"A": [], "B": []}  # (partition, offset, value) whose commit succeeded
        counts = collections.Counter()
        refused = []  # (member, partition, offset, error): consumed, but the commit failed

        def keep_producing():
            p = Producer({"bootstrap.servers": cluster.bootstrap(), "acks": "all",
                          "linger.ms": 5})

            def report(err, msg):
                if err is not None:
                    produce_errors.append(err)
                else:
                    delivered[(msg.partition(), msg.offset())] = msg.value().decode()

            for i in range(initial, initial + during):
                if i == initial + during // 2:
                    rebalanced.wait(30)
                p.produce(TOPIC, key=f"k{i}", value=f"v{i}", partition=i % PARTITIONS,
                          on_delivery=report)
                if i % 25 == 0:
                    p.flush(30)
            left = p.flush(30)
            if left:
                produce_errors.append(f"{left} records outstanding")

        def callbacks(name):
            def on_assign(consumer, partitions):
                with lock:
                    owned[name] = {tp.partition for tp in partitions}
                    events.append((name, "assign", sorted(owned[name]), len(counted[name])))
                    if owned["A"] and owned["B"]:
                        rebalanced.set()

            def on_revoke(consumer, partitions):
                with lock:
                    owned[name] = set()
                    events.append((name, "revoke", sorted(tp.partition for tp in partitions),
                                   len(counted[name])))
            return {"on_assign": on_assign, "on_revoke": on_revoke}

        def member(name):
            try:
                c = confluent_consumer(cluster, "joining", callbacks(name))
                try:
                    while not stop.is_set():
                        m = c.poll(0.1)
                        if m is None or m.error():
                            continue
                        try:
                            result = c.commit(message=m, asynchronous=False)
                            error = next((tp.error for tp in result if tp.error), None)
                        except KafkaException as e:
                            error = e.args[0]
                        with lock:
                            if error is not None:
                                refused.append((name, m.partition(), m.offset(), error.name()))
                                continue
                            counted[name].append((m.partition(), m.offset(), m.value().decode()))
                            counts[(m.partition(), m.offset())] += 1
                finally:
                    c.close()
            except Exception as e:  # reported by the test thread
                crashed.append((name, repr(e)))

        def wait(predicate, timeout):
            deadline = time.monotonic() + timeout
            while not predicate() and not crashed and time.monotonic() < deadline:
                time.sleep(0.05)

        threads = {name: threading.Thread(target=member, args=(name,), daemon=True)
                   for name in ("A", "B")}
        producer = threading.Thread(target=keep_producing, daemon=True)
        self.addCleanup(lambda: [t.join(30) for t in (*threads.values(), producer) if t.ident])
        self.addCleanup(stop.set)
        threads["A"].start()
        wait(lambda: len(counted["A"]) >= join_at, 30)
        self.assertEqual(crashed, [])
        self.assertGreaterEqual(len(counted["A"]), join_at, "A alone did not consume")
        threads["B"].start()
        producer.start()
        wait(lambda: not producer.is_alive() and len(counts) >= initial + during and
             rebalanced.is_set(), 40)
        with lock:
            final = {name: set(parts) for name, parts in owned.items()}
            after = {name: len(counted[name]) - max((e[3] for e in events if e[:2] == (name,
                     "assign")), default=0) for name in owned}
            history = list(events)
        stop.set()
        for t in (*threads.values(), producer):
            t.join(30)
            self.assertFalse(t.is_alive(), f"{t.name} did not finish")
        print(f"assignments: {history}", file=sys.stderr)
        print(f"commits refused: {refused}", file=sys.stderr)
        self.assertEqual(crashed, [])
        self.assertEqual(produce_errors, [])
        self.assertEqual(len(delivered), during)
        expected |= set(delivered)
        values |= set(delivered.values())
        # Exactly once: no (partition, offset) counted twice, none missing, no other.
        twice = {po: n for po, n in counts.items() if n > 1}
        self.assertEqual(twice, {}, f"consumed more than once; refused commits: {refused}")
        self.assertEqual(set(counts) - expected, set())
        self.assertEqual(sorted(expected - set(counts)), [], "never consumed")
        records = counted["A"] + counted["B"]
        self.assertEqual(sorted(v for _, _, v in records), sorted(values))
        for (p, o), v in delivered.items():
            self.assertIn((p, o, v), records)
        # The rebalance: A first alone on all six, then A and B on disjoint non-empty shares,
        # both consuming after it.
        self.assertEqual(history[0][:3], ("A", "assign", list(range(PARTITIONS))))
        self.assertTrue(final["A"] and final["B"], f"a member got nothing: {history}")
        self.assertEqual(final["A"] & final["B"], set())
        self.assertEqual(final["A"] | final["B"], set(range(PARTITIONS)))
        self.assertGreater(after["A"], 0, f"A consumed nothing after the rebalance: {history}")
        self.assertGreater(after["B"], 0, f"B consumed nothing: {history}")
        ends = collections.Counter(p for p, _ in expected)
        self.assertEqual(committed(cluster, "joining"), dict(ends))

    def test_a_killed_members_partitions_move_and_resume_at_its_commits(self):
        cluster = self.run_cluster()
        produce(cluster, 120)
        script = textwrap.dedent(f"""
            import sys, time
            from confluent_kafka import Consumer
            c = Consumer({{"bootstrap.servers": "{cluster.bootstrap()}", "group.id": "victim",
                          "auto.offset.reset": "earliest", "enable.auto.commit": False,
                          "session.timeout.ms": 6000, "heartbeat.interval.ms": 500}})
            c.subscribe(["{TOPIC}"])
            n = 0
            while n < 60:
                m = c.poll(0.5)
                if m is None or m.error():
                    continue
                c.commit(message=m, asynchronous=False)
                n += 1
            print("READY", flush=True)
            time.sleep(600)
        """)
        victim = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                                  text=True)
        self.addCleanup(victim.kill)
        line = victim.stdout.readline()
        self.assertEqual(line.strip(), "READY", "the victim never consumed 60 records")
        before = committed(cluster, "victim")
        self.assertEqual(sum(before.values()), 60, f"victim commits: {before}")
        survivor = confluent_consumer(cluster, "victim")
        self.addCleanup(survivor.close)
        victim.kill()  # SIGKILL: no LeaveGroup; the session must time out
        victim.wait(10)
        got = {}
        deadline = time.monotonic() + 40
        while len(got) < 60 and time.monotonic() < deadline:
            m = survivor.poll(0.2)
            if m is None or m.error():
                continue
            got[(m.partition(), m.offset())] = m.value()
        self.assertEqual(len(got), 60, f"the survivor read {len(got)} of the 60 uncommitted")
        for p in range(PARTITIONS):
            first = min((o for (q, o) in got if q == p), default=None)
            self.assertEqual(first, before.get(p, 0) if before.get(p, 0) < 20 else None,
                             f"partition {p} resumed at {first}, committed {before.get(p)}")

    def test_committed_offsets_survive_a_kill_of_the_coordinators_broker(self):
        cluster = self.run_cluster()
        produce(cluster, 60)
        c = confluent_consumer(cluster, "pinned")
        self.assertEqual(len(consume(c, 60)), 60)
        c.commit(asynchronous=False)
        c.close()
        before = committed(cluster, "pinned")
        self.assertEqual(before, {p: 10 for p in range(PARTITIONS)})
        coordinator = cluster.leader("__consumer_offsets", offsets_partition("pinned"))
        print(f"killing node {coordinator}, the coordinator of 'pinned'", file=sys.stderr)
        cluster.kill9(coordinator)
        self.assertEqual(committed(cluster, "pinned", timeout=60), before)
        # And the group goes on: a new member resumes at the commits (nothing left to read).
        produce(cluster, 6)
        c = confluent_consumer(cluster, "pinned")
        self.addCleanup(c.close)
        got = consume(c, 6, timeout=40)
        self.assertEqual(sorted(got), [(p, 10) for p in range(PARTITIONS)])

    def test_kafka_python_auto_commit_and_kcat_balanced_consumer(self):
        cluster = self.run_cluster()
        produce(cluster, 60)
        kc = KafkaConsumer(TOPIC, bootstrap_servers=cluster.bootstrap().split(","),
                           group_id="auto", auto_offset_reset="earliest",
                           enable_auto_commit=True, auto_commit_interval_ms=200,
                           consumer_timeout_ms=20000)
        n = 0
        for _ in kc:
            n += 1
            if n == 60:
                break
        kc.close()  # autocommit_on_close: the last auto-commit covers every record read
        self.assertEqual(committed(cluster, "auto"), {p: 10 for p in range(PARTITIONS)})
        out = subprocess.run(
            ["kcat", "-b", cluster.bootstrap(), "-G", "kcat-group", "-o", "beginning", "-e",
             "-q", "-f", "%p:%o\\n", TOPIC],
            capture_output=True, text=True, timeout=60)
        lines = [l for l in out.stdout.splitlines() if l]
        self.assertEqual(len(lines), 60, out.stderr[-2000:])
        self.assertEqual(len(set(lines)), 60)

    def test_cooperative_sticky_members_split_the_partitions(self):
        # KIP-429 needs nothing of the broker: two back-to-back ordinary rebalances.
        cluster = self.run_cluster()
        produce(cluster, 120)
        members = [confluent_consumer(cluster, "coop",
                                      **{"partition.assignment.strategy": "cooperative-sticky"})
                   for _ in range(2)]
        seen = set()
        owned = [set(), set()]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for c in members:
                m = c.poll(0.1)
                if m is not None and not m.error():
                    seen.add((m.partition(), m.offset()))
                    c.commit(message=m, asynchronous=False)
            owned = [{tp.partition for tp in c.assignment()} for c in members]
            if len(seen) == 120 and all(owned) and sum(map(len, owned)) == PARTITIONS:
                break
        self.assertEqual(len(seen), 120)
        self.assertTrue(all(owned), f"a member got nothing: {owned}")
        self.assertEqual(owned[0] & owned[1], set())
        self.assertEqual(owned[0] | owned[1], set(range(PARTITIONS)))
        for c in members:
            c.close()

    def test_a_static_member_restarted_within_its_session_resumes_at_its_commits(self):
        cluster = self.run_cluster()
        produce(cluster, 60)
        first = confluent_consumer(cluster, "static", **{"group.instance.id": "pod-0"})
        self.assertEqual(len(consume(first, 30, commit_each=True)), 30)
        first.close()  # a static member sends no LeaveGroup (KIP-345)
        before = committed(cluster, "static")
        produce(cluster, 6)
        again = confluent_consumer(cluster, "static", **{"group.instance.id": "pod-0"})
        self.addCleanup(again.close)
        got = consume(again, 36, timeout=40)
        self.assertEqual(len(got), 36, "the restarted member must read the rest")
        for p, o in got:
            self.assertGreaterEqual(o, before.get(p, 0), f"re-read committed {p}@{o}")

    def test_offsets_survive_a_restart_of_every_node(self):
        cluster = self.run_cluster()
        produce(cluster, 30)
        c = confluent_consumer(cluster, "durable")
        self.assertEqual(len(consume(c, 30, commit_each=True)), 30)
        c.close()
        before = committed(cluster, "durable")
        for i in (1, 2, 3):
            cluster.kill9(i)
        cluster.start_all()
        self.assertEqual(committed(cluster, "durable", timeout=60), before)
        # Clients cannot write into __consumer_offsets (a record the coordinator cannot parse
        # would fail the partition's next load).
        errors = []
        p = Producer({"bootstrap.servers": cluster.bootstrap(), "message.send.max.retries": 0})
        p.produce("__consumer_offsets", value=b"junk", partition=0,
                  on_delivery=lambda err, msg: errors.append(err))
        p.flush(30)
        self.assertEqual([e.code() if e else None for e in errors],
                         [KafkaError.TOPIC_EXCEPTION])


if __name__ == "__main__":
    print(f"FERRY_SEED={SEED}", file=sys.stderr)
    unittest.main()
