"""Replication between real ferryd processes (3 nodes, each broker + controller voter), driven by
confluent-kafka 1.7.0 under load, each scenario judged by the history checker (no acknowledged
record lost, nothing read that was never sent, no offset holding two values, duplicates only of
records the test re-sent after a failure) and by the replicas' files (identical below the HW).

Scenarios (replication issue, process tests 1-6):
  1. kill -9 of the leader 5 times under acks=all load, restarting it each time;
  2. a follower killed and restarted catches up and rejoins the ISR;
  3. two of three brokers down with min.insync.replicas=2: NOT_ENOUGH_REPLICAS, nothing written;
     brought back, writes resume;
  4. divergence: a leader cut off from its followers takes acks=1 writes, is killed, a new
     leader takes other writes, the old one returns and truncates to match;
  5. a leader isolated from the controller and its followers stops acknowledging within its
     lease, a new leader is elected, nothing acknowledged is lost;
  6. rolling restart (SIGTERM one broker at a time) under acks=all load: retriable errors only.
Scenarios 4 and 5 put each node in its own network namespace (root, iproute2).
"""

import json
import os
import random
import subprocess
import time
import unittest

from confluent_kafka import KafkaError, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from cluster import FerryCluster
from ferry_harness import test_seed
from history import History, check, summary
from load import LoadProducer, read_all

SEED = test_seed()
TOPIC = "orders"
PARTITIONS = 3


def describe(cluster, topic=TOPIC, nodes=None):
    """`ferry topic describe --format json` (the CLI built next to ferryd): the partitions."""
    cli = os.environ.get("FERRY_CLI") or os.path.join(
        os.path.dirname(os.path.dirname(cluster.binary)), "cli", "ferry")
    out = subprocess.run([cli, "--brokers", cluster.bootstrap(nodes), "--timeout", "10s", "topic",
                          "describe", topic, "--format", "json"],
                         capture_output=True, text=True, timeout=30)
    return json.loads(out.stdout)[0]["partitions"]


def create_topic(cluster, topic=TOPIC, partitions=PARTITIONS, rf=3, configs=None):
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap()})
    futures = admin.create_topics(
        [NewTopic(topic, partitions, rf, config=configs or {"min.insync.replicas": "2"})],
        operation_timeout=10)
    for f in futures.values():
        f.result(timeout=30)
    cluster.wait_full_isr(topic, partitions)


class ReplicationTest(unittest.TestCase):
    maxDiff = None
    def setUp(self):
        self.rng = random.Random(SEED)

    def run_cluster(self, netns=False, overrides=(), extra_voters=0):
        cluster = FerryCluster(3, overrides=overrides, netns=netns, extra_voters=extra_voters)
        self.addCleanup(cluster.close)
        cluster.start_all()
        return cluster

    def check_history(self, cluster, history, producer, nodes=None, partitions=PARTITIONS):
        unacked = producer.finish()
        self.assertEqual(unacked, [], f"records never acknowledged: {unacked[:10]}")
        consumed, ends = read_all(cluster.bootstrap(nodes), TOPIC, partitions)
        problems = check(history, consumed, topics={TOPIC})
        self.assertEqual(problems, [], summary(history, consumed))
        return ends

    def check_replicas_identical(self, cluster, ends, nodes=(1, 2, 3)):
        """Every replica's batches below the HW are byte-identical (after followers caught up)."""
        cluster.wait_full_isr(TOPIC, len(ends))
        for p in sorted(ends):
            def same(p=p):
                logs = cluster.replica_logs_below(TOPIC, p, ends[p], nodes)
                return len({v for v in logs.values()}) == 1 and None not in logs.values()
            deadline = time.monotonic() + 30
            while not same() and time.monotonic() < deadline:
                time.sleep(0.1)  # followers flush what they fetched; bounded
            logs = cluster.replica_logs_below(TOPIC, p, ends[p], nodes)
            sizes = {n: (len(b) if b is not None else None) for n, b in logs.items()}
            self.assertEqual(len(set(logs.values())), 1,
                             f"{TOPIC}-{p} replicas differ below HW {ends[p]}: sizes {sizes}")

    # 1 ------------------------------------------------------------------------------------------
    def test_leader_killed_five_times_under_acks_all_load_loses_nothing(self):
        cluster = self.run_cluster()
        create_topic(cluster)
        history = History()
        producer = LoadProducer(cluster.bootstrap(), TOPIC, PARTITIONS, history, rate=300).start()
        self.assertTrue(producer.wait_acks_after(time.monotonic(), 200, 30), "no initial load")
        for round_ in range(5):
            partition = self.rng.randrange(PARTITIONS)
            victim = cluster.leader(TOPIC, partition)
            self.assertGreater(victim, 0)
            killed_at = time.monotonic()
            cluster.kill9(victim)
            self.assertTrue(producer.wait_acks_after(killed_at + 0.5, 100, 60),
                            f"round {round_}: writes did not resume after killing node {victim}\n"
                            + cluster.log_tails())
            cluster.start(victim)
            cluster.wait_full_isr(TOPIC, PARTITIONS)
        ends = self.check_history(cluster, history, producer)
        self.check_replicas_identical(cluster, ends)

    # 2 ------------------------------------------------------------------------------------------
    def test_a_restarted_follower_catches_up_and_rejoins_the_isr(self):
        cluster = self.run_cluster()
        create_topic(cluster)
        history = History()
        producer = LoadProducer(cluster.bootstrap(), TOPIC, PARTITIONS, history, rate=300).start()
        leader = cluster.leader(TOPIC, 0)
        follower = next(n for n in (1, 2, 3) if n != leader)
        cluster.kill9(follower)
        cluster.wait_for(lambda parts: follower not in parts[(TOPIC, 0)][3], 30,
                         f"node {follower} leaving the ISR")
        shown = describe(cluster, nodes=[n for n in (1, 2, 3) if n != follower])
        self.assertTrue(all(p["under_replicated"] and not p["under_min_isr"] for p in shown),
                        f"ferry topic describe flags: {shown}")
        started = time.monotonic()
        self.assertTrue(producer.wait_acks_after(started, 500, 60), "no writes while it is down")
        cluster.start(follower)
        parts = cluster.wait_full_isr(TOPIC, PARTITIONS)
        for p in range(PARTITIONS):
            self.assertIn(follower, parts[(TOPIC, p)][3])
        ends = self.check_history(cluster, history, producer)
        self.check_replicas_identical(cluster, ends)

    # 3 ------------------------------------------------------------------------------------------
    def test_each_partition_of_one_acks_all_request_gets_its_own_outcome(self):
        """One Produce request for several partitions (kafka-python and Java batch partitions per
        broker like this): each partition's answer is its own. A follower paused (SIGSTOP) keeps
        the HW still, so every partition's acks=all wait must time out; the broker once wrote the
        failures of all but the last partition into freed memory and answered them as written."""
        from kafka.protocol.produce import ProduceRequest, ProduceResponse
        from kafka.record.default_records import DefaultRecordBatchBuilder

        from cluster import _request_to

        cluster = self.run_cluster()
        topic, count = "multi", 3
        admin = AdminClient({"bootstrap.servers": cluster.bootstrap()})
        futures = admin.create_topics(
            [NewTopic(topic, num_partitions=count, replica_assignment=[[1, 2, 3]] * count,
                      config={"min.insync.replicas": "2"})], operation_timeout=10)
        for f in futures.values():
            f.result(timeout=30)
        del admin, futures
        cluster.wait_full_isr(topic, count)
        cluster.wait_for(lambda parts: all(parts[(topic, p)][1] == 1 for p in range(count)),
                         30, "node 1 leading every partition")

        def produce(timeout_ms):
            batches = []
            for p in range(count):
                b = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=0,
                                              producer_id=-1, producer_epoch=-1,
                                              base_sequence=-1, batch_size=1 << 20)
                b.append(0, timestamp=None, key=b"k", value=f"v{p}".encode(), headers=[])
                batches.append((p, bytes(b.build())))
            request = ProduceRequest[3](transactional_id=None, required_acks=-1,
                                        timeout=timeout_ms, topics=[(topic, batches)])
            body = request.encode()  # (kafka-python encodes through a weak ref: keep `request`)
            r = _request_to(cluster.hosts[1], cluster.kafka_ports[1], 0, 3, body,
                            timeout=timeout_ms / 1000 + 30)
            response = ProduceResponse[3].decode(r.data[r.pos:])
            [(name, partitions)] = response.topics
            return {p[0]: p[1] for p in partitions}  # partition -> error code

        self.assertEqual(produce(10_000), {p: 0 for p in range(count)})
        cluster.pause(3)
        try:
            errors = produce(1000)
        finally:
            cluster.resume(3)
        self.assertEqual(errors, {p: 7 for p in range(count)},  # REQUEST_TIMED_OUT
                         "an acks=all write the ISR never got was acknowledged")

    def test_two_of_three_down_refuses_acks_all_then_resumes(self):
        # Five controller voters (two of them controller-only), so that the quorum survives the
        # loss of two brokers and fences them: the ISR shrinks below min.insync.replicas=2.
        cluster = self.run_cluster(extra_voters=2)
        create_topic(cluster)
        survivor = cluster.leader(TOPIC, 0)
        others = [n for n in (1, 2, 3) if n != survivor]
        for n in others:
            cluster.kill9(n)
        cluster.wait_for(lambda parts: parts[(TOPIC, 0)][3] == [survivor], 30,
                         f"the ISR of {TOPIC}-0 shrinking to [{survivor}]")
        shown = describe(cluster, nodes=[survivor])
        self.assertTrue(shown[0]["under_min_isr"] and shown[0]["leader_epoch"] is not None,
                        f"ferry topic describe flags: {shown}")
        history = History()
        errors = []
        p = Producer({"bootstrap.servers": cluster.bootstrap([survivor]), "acks": "all",
                      "enable.idempotence": False, "message.send.max.retries": 0,
                      "message.timeout.ms": 10000})
        for i in range(20):
            p.produce(TOPIC, value=f"refused-{i}".encode(), partition=0,
                      on_delivery=lambda err, msg: errors.append(err))
        p.flush(30)
        self.assertEqual(len(errors), 20)
        codes = {e.code() if e is not None else None for e in errors}
        self.assertEqual(codes, {KafkaError.NOT_ENOUGH_REPLICAS},
                         f"every acks=all write is refused before it is appended: {errors[:3]}")
        for n in others:
            cluster.start(n)
        cluster.wait_full_isr(TOPIC, PARTITIONS, timeout=90)
        producer = LoadProducer(cluster.bootstrap(), TOPIC, PARTITIONS, history, rate=200).start()
        self.assertTrue(producer.wait_acks_after(time.monotonic(), 200, 60), "writes did not resume")
        ends = self.check_history(cluster, history, producer)
        consumed, _ = read_all(cluster.bootstrap(), TOPIC, PARTITIONS)
        self.assertFalse([c for c in consumed if c.record.value.startswith(b"refused-")],
                         "a refused write was stored")
        self.check_replicas_identical(cluster, ends)

    # 4 ------------------------------------------------------------------------------------------
    def test_a_diverged_old_leader_truncates_to_the_new_leaders_log(self):
        cluster = self.run_cluster(netns=True)
        create_topic(cluster, partitions=1, configs={"min.insync.replicas": "2"})
        history = History()
        base = LoadProducer(cluster.bootstrap(), TOPIC, 1, history, rate=200, tag="before").start()
        self.assertTrue(base.wait_acks_after(time.monotonic(), 100, 30))
        self.assertEqual(base.finish(), [])
        old = cluster.leader(TOPIC, 0)
        cluster.isolate(old)
        # acks=1 writes the followers can never fetch: they exist only on the old leader.
        lost = []
        p = Producer({"bootstrap.servers": cluster.bootstrap([old]), "acks": "1",
                      "enable.idempotence": False, "message.send.max.retries": 0,
                      "linger.ms": 0, "message.timeout.ms": 3000})
        for i in range(50):
            p.produce(TOPIC, value=f"diverged-{i}".encode(), partition=0,
                      on_delivery=lambda err, msg: lost.append((err, msg.offset())))
        p.flush(10)
        acked_diverged = [o for e, o in lost if e is None]
        self.assertTrue(acked_diverged, f"the isolated leader took no acks=1 write: {lost}")
        cluster.kill9(old)
        others = [n for n in (1, 2, 3) if n != old]
        cluster.wait_for(lambda parts: parts[(TOPIC, 0)][1] in others, 30, "a new leader",
                         via=others[0])
        # Heal only now: the dead leader's orphaned sockets still hold unsent fetch answers that
        # the kernel retransmits once the network is back (a real leader's data, but for an
        # epoch its followers have left behind, so they drop it).
        cluster.heal(old)
        after = LoadProducer(cluster.bootstrap(others), TOPIC, 1, history, rate=200, tag="after").start()
        self.assertTrue(after.wait_acks_after(time.monotonic(), 100, 30))
        cluster.start(old)
        cluster.wait_full_isr(TOPIC, 1, timeout=60)
        ends = self.check_history(cluster, history, after, partitions=1)
        consumed, _ = read_all(cluster.bootstrap(), TOPIC, 1)
        self.assertFalse([c for c in consumed if c.record.value.startswith(b"diverged-")],
                         "a write only the old leader had survived its truncation")
        self.check_replicas_identical(cluster, {0: ends[0]})
        log = open(cluster.log_path(old), encoding="utf-8", errors="replace").read()
        self.assertIn("diverges from leader", log, "the old leader never truncated")

    # 5 ------------------------------------------------------------------------------------------
    def test_an_isolated_leader_stops_acknowledging_within_its_lease(self):
        session_ms = 2000
        cluster = self.run_cluster(netns=True, overrides=[f"broker.session.timeout.ms={session_ms}"])
        create_topic(cluster, partitions=1)
        history = History()
        producer = LoadProducer(cluster.bootstrap(), TOPIC, 1, history, rate=200).start()
        self.assertTrue(producer.wait_acks_after(time.monotonic(), 100, 30))
        old = cluster.leader(TOPIC, 0)
        cluster.isolate(old)
        isolated_at = time.monotonic()
        # A client that can still reach the isolated leader (and only it) keeps trying acks=1.
        outcomes = []
        p = Producer({"bootstrap.servers": cluster.bootstrap([old]), "acks": "1",
                      "enable.idempotence": False, "message.send.max.retries": 0,
                      "linger.ms": 0, "message.timeout.ms": 2000,
                      "topic.metadata.refresh.interval.ms": 100000})
        while time.monotonic() < isolated_at + session_ms / 1000 + 3:
            p.produce(TOPIC, value=b"to-isolated", partition=0,
                      on_delivery=lambda err, msg, t=time.monotonic(): outcomes.append((t, err)))
            p.poll(0.05)
        p.flush(10)
        late = [t - isolated_at for t, err in outcomes
                if err is None and t > isolated_at + session_ms / 1000 + 0.5]
        self.assertEqual(late, [], "the isolated leader acknowledged writes after its lease ran out")
        others = [n for n in (1, 2, 3) if n != old]
        cluster.wait_for(lambda parts: parts[(TOPIC, 0)][1] in others, 30, "a new leader",
                         via=others[0])
        self.assertTrue(producer.wait_acks_after(time.monotonic(), 100, 60), "no writes on the new leader")
        cluster.heal(old)
        cluster.wait_full_isr(TOPIC, 1, timeout=60)
        ends = self.check_history(cluster, history, producer, partitions=1)
        self.check_replicas_identical(cluster, {0: ends[0]})

    # 6 ------------------------------------------------------------------------------------------
    def test_rolling_restart_under_acks_all_load_has_only_retriable_errors(self):
        cluster = self.run_cluster()
        create_topic(cluster)
        history = History()
        producer = LoadProducer(cluster.bootstrap(), TOPIC, PARTITIONS, history, rate=300).start()
        for node in (1, 2, 3):
            cluster.stop(node)
            cluster.start(node)
            cluster.wait_full_isr(TOPIC, PARTITIONS, timeout=60)
            self.assertTrue(producer.wait_acks_after(time.monotonic(), 100, 30))
        ends = self.check_history(cluster, history, producer)
        self.assertEqual(producer.non_retriable_errors(), {}, dict(producer.errors))
        self.check_replicas_identical(cluster, ends)


if __name__ == "__main__":
    unittest.main(verbosity=2)
