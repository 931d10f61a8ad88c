// kafkajs 2.2.4 and @platformatic/kafka 1.35.0 each produce and consume through a kill -9 of a
// partition leader on a 3-node Ferry cluster, judged by the history checker (the twin of
// python/client_failover_test.py).
//
// Scenario (one cluster per client, cluster.mjs, every node broker + controller voter):
//  1. topic `failover`, 3 partitions, replication factor 3, min.insync.replicas=2, created with
//     THE CLIENT's admin; wait until every partition has a full ISR and its leader answers
//     ListOffsets as leader;
//  2. THE CLIENT produces a steady stream of id-tagged records with acks=all: one send loop per
//     partition, each with one send (of a few records) outstanding at a time, so a partition's
//     send order is defined; no idempotence, `retries: 0`; a failed send is not sent again;
//  3. once every partition has acknowledgements, and while every partition has a send
//     outstanding, the leader of one partition (chosen by the seed) is killed with SIGKILL;
//  4. the loops go on until the client has acknowledged, on every partition, a send handed to it
//     after the kill (bounded: 60 s), then for 2 s more; every send ends resolved (acked, offsets
//     = base offset + index) or rejected (failed);
//  5. the killed node is restarted and rejoins every ISR;
//  6. THE CLIENT reads every partition from the beginning to the high watermark (kafkajs through
//     its own Cluster/Broker objects, platformatic through Consumer.listOffsets/fetch, as the
//     single-node tests do) and history.check judges it: no acknowledged record lost, no
//     phantom, each acknowledged offset holds that record, per-partition send order, key/value/
//     timestamp intact, duplicates only as the rule below allows. Also: an acknowledged record
//     allowed a duplicate must still have a copy at its acknowledged offset, and no send may fail
//     before the kill. Nothing asserts on timing; every wait is bounded.
//
// Duplicate rule (per client):
//  * kafkajs with `retry: { retries: 0 }` never re-sends a produce request (its only re-send
//    path is the producer's retrier, which then runs once), and the test never re-sends: NO
//    record may be stored twice; a failed send may be absent or present once.
//  * @platformatic/kafka re-sends a produce request once, whatever `retries` says, when the
//    answer is a stale-metadata error (NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE,
//    UNKNOWN_TOPIC_OR_PARTITION, FENCED_LEADER_EPOCH: `repeatOnStaleMetadata`, default true,
//    left on as applications run it). A batch a deposed leader had appended and replicated could
//    then be written again. So a record MAY be duplicated (History.retried) only if
//      (a) its send was outstanding when the test sent SIGKILL, or
//      (b) it was handed to the client after the kill and before the test saw the client's first
//          acknowledgement, on the same partition, of a send handed to it after the kill, or
//      (c) its send failed.
//    Every other record, in particular every record acknowledged before the kill and every
//    record handed over once that partition's new leader had acknowledged a post-kill send, must
//    be stored exactly once.
//  Observed: when the killed node is also the active controller, the surviving brokers'
//  controller leases can lapse briefly during the controller election; their leaders then fail
//  parked acks=all produces with NOT_LEADER_OR_FOLLOWER although the batches were appended and are
//  later committed (same leader epoch). kafkajs reports those sends as failed (the records are
//  stored once: allowed for a failed send); platformatic re-sends them (window (b) covers it).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { describe, test } from 'node:test';

import { Admin, Consumer, ProduceAcks, Producer } from '@platformatic/kafka';

import { FerryCluster } from './cluster.mjs';
import { SeededRandom, hashName, sleep, testSeed, waitUntil, withTimeout } from './harness.mjs';
import { ACKED, History, check, idOf, makeValue, summary } from './history.mjs';

const require = createRequire(import.meta.url);
const { Kafka, Partitioners, logLevel } = require('kafkajs');
const KafkajsCluster = require('kafkajs/src/cluster');
const { createLogger } = require('kafkajs/src/loggers');
const LoggerConsole = require('kafkajs/src/loggers/console');
const defaultSocketFactory = require('kafkajs/src/network/socketFactory');

const SEED = testSeed();
const TOPIC = 'failover';
const PARTITIONS = 3;
const RATE = 150; // records per second over all partitions
const CHUNK = 5; // records per send
const ACKED_BEFORE_KILL = 30; // per partition
const RECOVERY_TIMEOUT = 60000; // until every partition has a post-kill acknowledgement
const AFTER_RECOVERY = 2000; // ms of steady-state sending after that
const SEND_TIMEOUT = 90000; // a client that settles no send within this is a failure
const TEST_TIMEOUT = 240000;
const LOG_LEVEL = logLevel.NOTHING;

// "KafkaJSConnectionError", "PLT_KFK_MULTIPLE<NOT_LEADER_OR_FOLLOWER>", ...
function errorName(e) {
  const inner = [];
  const walk = x => {
    if (!x || inner.length > 3) return;
    if (x.apiId) inner.push(x.apiId);
    else if (x.type) inner.push(x.type);
    else if (x !== e && (x.code || x.name)) inner.push(x.code ?? x.name);
    for (const y of x.errors ?? []) walk(y);
    if (x.originalError) walk(x.originalError);
    if (x.cause) walk(x.cause);
  };
  walk(e);
  const name = e?.code ?? e?.name ?? String(e);
  return inner.length ? `${name}<${[...new Set(inner)].join(',')}>` : name;
}

// One send loop per partition; per record: when it was handed to the client and the verdict.
class Stream {
  constructor(name, client, retriesInternally) {
    this.name = name;
    this.client = client; // { send(partition, entries) -> Promise<[offset]>, close() }
    this.retriesInternally = retriesInternally;
    this.records = new Map(); // id -> record
    this.handOrder = [];
    this.handedAt = new Map(); // id -> performance.now() just before the client got it
    this.verdict = new Map(); // id -> { t, offset, error }
    this.outstanding = new Array(PARTITIONS).fill(null); // entries of each partition's open send
    this.killTime = null;
    this.inFlightAtKill = new Set();
    this.recoveredAt = new Map(); // partition -> time of the first ack of a post-kill send
    this.problems = [];
    this.errorDetails = []; // the first failed sends, with times relative to the stream's start
    this.stopping = false;
    this.burst = false; // killMidStream: send back to back
    this.seq = 0;
  }

  start() {
    this.startedAt = performance.now();
    this.loops = Array.from({ length: PARTITIONS }, (_, p) => this.loop(p));
    return this;
  }

  async loop(p) {
    const interval = (CHUNK * PARTITIONS * 1000) / RATE;
    let next = performance.now();
    while (!this.stopping) {
      const entries = [];
      const handedAt = performance.now();
      for (let k = 0; k < CHUNK; k++) {
        const n = this.seq++;
        const id = `${this.name}/p${p}/${n}`;
        const record = {
          topic: TOPIC, partition: p, key: Buffer.from(`k${n}`),
          value: makeValue(id, Buffer.alloc(40, 'x')), headers: [], timestamp: Date.now(),
        };
        this.records.set(id, record);
        this.handOrder.push(id);
        this.handedAt.set(id, handedAt);
        entries.push({ id, record });
      }
      this.outstanding[p] = entries;
      let failedSend = false;
      try {
        const offsets = await withTimeout(this.client.send(p, entries), SEND_TIMEOUT, `${this.name} send`);
        this.settle(p, entries, offsets, null);
      } catch (e) {
        if (e.message?.includes(`${this.name} send: no result`)) {
          this.problems.push(`${this.name}: a send to partition ${p} never settled (${SEND_TIMEOUT} ms)`);
          this.stopping = true;
          return;
        }
        this.settle(p, entries, null, errorName(e));
        if (this.errorDetails.length < 10) {
          const since = ms => (ms / 1000).toFixed(3);
          this.errorDetails.push(`partition ${p}, ${entries.length} records handed at +${since(handedAt - this.startedAt)} s, ` +
            `failed at +${since(performance.now() - this.startedAt)} s (kill at ${this.killTime === null ? 'not yet' : '+' + since(this.killTime - this.startedAt) + ' s'}): ` +
            `${errorName(e)}: ${String(e?.message)} ${JSON.stringify((e?.errors ?? []).map(x => x?.message))}`);
        }
        failedSend = true;
      }
      this.outstanding[p] = null;
      next += interval;
      const wait = next - performance.now();
      if (failedSend) await sleep(100); // back off after an error, as an application would
      else if (wait > 0 && !this.burst) await sleep(wait);
      if (performance.now() > next) next = performance.now();
    }
  }

  settle(p, entries, offsets, error) {
    const t = performance.now();
    entries.forEach(({ id }, k) => this.verdict.set(id, { t, offset: offsets ? offsets[k] : null, error }));
    if (!error && this.killTime !== null && entries[0] && this.handedAt.get(entries[0].id) > this.killTime
        && !this.recoveredAt.has(p)) {
      this.recoveredAt.set(p, t);
    }
  }

  ackedPerPartition() {
    const out = new Array(PARTITIONS).fill(0);
    for (const [id, v] of this.verdict) if (!v.error) out[this.records.get(id).partition]++;
    return out;
  }

  // Makes the loops send back to back (no pacing) until every partition has a send outstanding,
  // then marks the kill and calls kill() (whose synchronous part sends SIGKILL).
  async killMidStream(kill) {
    this.burst = true;
    try {
      await waitUntil(() => this.outstanding.every(e => e !== null), 30000, 'a send outstanding on every partition', 1);
      this.killTime = performance.now();
      for (const entries of this.outstanding) for (const { id } of entries) this.inFlightAtKill.add(id);
      await kill();
    } finally {
      this.burst = false;
    }
  }

  recovered() {
    return this.recoveredAt.size === PARTITIONS;
  }

  async finish() {
    this.stopping = true;
    await Promise.all(this.loops);
    await this.client.close();
    const unanswered = this.handOrder.filter(id => !this.verdict.has(id));
    return { unanswered, problems: this.problems };
  }

  mayDuplicate(id) {
    if (!this.retriesInternally) return false;
    if (this.inFlightAtKill.has(id)) return true; // (a)
    if (this.verdict.get(id).error) return true; // (c)
    const handed = this.handedAt.get(id);
    if (handed <= this.killTime) return false; // acknowledged before the kill
    const recovered = this.recoveredAt.get(this.records.get(id).partition);
    return recovered === undefined || handed < recovered; // (b)
  }

  history() {
    const history = new History();
    for (const id of this.handOrder) {
      history.sent(id, this.records.get(id));
      const v = this.verdict.get(id);
      if (!v) continue;
      if (this.mayDuplicate(id)) history.retried(id);
      if (v.error) history.failed(id);
      else history.acked(id, v.offset);
    }
    return history;
  }

  errors({ beforeKill = false } = {}) {
    const out = {};
    for (const v of this.verdict.values()) {
      if (v.error && (!beforeKill || v.t <= this.killTime)) out[v.error] = (out[v.error] ?? 0) + 1;
    }
    return out;
  }

  stats() {
    let before = 0;
    let after = 0;
    let failed = 0;
    for (const v of this.verdict.values()) {
      if (v.error) failed++;
      else if (v.t <= this.killTime) before++;
      else after++;
    }
    const allowed = this.handOrder.filter(id => this.verdict.has(id) && this.mayDuplicate(id)).length;
    const recovery = this.recoveredAt.size ? ((Math.max(...this.recoveredAt.values()) - this.killTime) / 1000).toFixed(2) : null;
    return `handed ${this.handOrder.length}, acked ${before} before the kill and ${after} after, failed ${failed}, ` +
      `in flight at the kill ${this.inFlightAtKill.size}, allowed a duplicate ${allowed}, recovery after ${recovery} s`;
  }
}

// --- kafkajs --------------------------------------------------------------------------------------

const kafkajs = {
  name: 'kafkajs',
  retriesInternally: false,

  kafka(cluster) {
    return new Kafka({
      clientId: 'ferry-failover', brokers: cluster.bootstrap(), logLevel: LOG_LEVEL,
      connectionTimeout: 3000, requestTimeout: 30000, retry: { retries: 5, initialRetryTime: 100 },
    });
  },

  async createTopic(cluster) {
    const admin = this.kafka(cluster).admin();
    await admin.connect();
    try {
      const created = await admin.createTopics({
        waitForLeaders: true, timeout: 30000,
        topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3,
          configEntries: [{ name: 'min.insync.replicas', value: '2' }] }],
      });
      assert.equal(created, true, 'createTopics returned false');
    } finally {
      await admin.disconnect();
    }
  },

  async producer(cluster) {
    const producer = this.kafka(cluster).producer({
      createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false,
      idempotent: false, retry: { retries: 0 },
    });
    await producer.connect();
    return {
      async send(partition, entries) {
        const result = await producer.send({
          topic: TOPIC, acks: -1, timeout: 30000,
          messages: entries.map(({ record: r }) => ({
            key: r.key, value: r.value, partition, timestamp: String(r.timestamp),
          })),
        });
        const [{ baseOffset }] = result.filter(m => m.partition === partition);
        return entries.map((_, k) => Number(baseOffset) + k);
      },
      close: () => producer.disconnect(),
    };
  },

  // Through kafkajs's own Cluster and Broker objects (its consumer needs groups), as kafkajs.test.mjs.
  async readAll(cluster) {
    const kcluster = new KafkajsCluster({
      logger: createLogger({ level: LOG_LEVEL, logCreator: LoggerConsole }),
      socketFactory: defaultSocketFactory(), brokers: cluster.bootstrap(), clientId: 'ferry-failover-reader',
      connectionTimeout: 3000, requestTimeout: 30000, enforceRequestTimeout: true,
      retry: { retries: 5, initialRetryTime: 100 }, allowAutoTopicCreation: false, metadataMaxAge: 300000,
    });
    await kcluster.connect();
    try {
      await kcluster.addMultipleTargetTopics([TOPIC]);
      await kcluster.refreshMetadata();
      const [{ partitions }] = await kcluster.fetchTopicsOffset([{
        topic: TOPIC, partitions: Array.from({ length: PARTITIONS }, (_, partition) => ({ partition })),
      }]);
      const ends = new Map(partitions.map(({ partition, offset }) => [partition, Number(offset)]));
      const next = new Map([...ends.keys()].map(p => [p, 0]));
      const out = [];
      await waitUntil(async () => {
        for (const [p, end] of ends) {
          if (next.get(p) >= end) continue;
          const leader = Object.keys(kcluster.findLeaderForPartitions(TOPIC, [p]))[0];
          const broker = await kcluster.findBroker({ nodeId: leader });
          const response = await broker.fetch({
            replicaId: -1, isolationLevel: 1, maxWaitTime: 100, minBytes: 1, maxBytes: 10485760,
            topics: [{ topic: TOPIC, partitions: [{ partition: p, fetchOffset: String(next.get(p)), maxBytes: 1048576 }] }],
          });
          for (const { topicName, partitions: parts } of response.responses) {
            for (const part of parts) {
              assert.equal(part.errorCode, 0, `fetch ${topicName}-${part.partition}`);
              for (const m of part.messages) {
                if (Number(m.offset) < next.get(p)) continue;
                const headers = Object.entries(m.headers).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map(x => [k, x]));
                out.push({
                  record: { topic: topicName, partition: part.partition, key: m.key, value: m.value, headers, timestamp: Number(m.timestamp) },
                  offset: Number(m.offset), timestampType: m.batchContext.timestampType,
                });
                next.set(p, Number(m.offset) + 1);
              }
            }
          }
        }
        return [...ends].every(([p, end]) => next.get(p) >= end);
      }, 60000, `kafkajs reading up to ${JSON.stringify([...ends])}`, 0);
      return out;
    } finally {
      await kcluster.disconnect();
    }
  },
};

// --- @platformatic/kafka ----------------------------------------------------------------------------

const platformatic = {
  name: 'platformatic',
  retriesInternally: true, // repeatOnStaleMetadata (see the duplicate rule)

  base(cluster, clientId) {
    return { clientId, bootstrapBrokers: cluster.bootstrap(), timeout: 30000, autocreateTopics: false };
  },

  async createTopic(cluster) {
    const admin = new Admin({ ...this.base(cluster, 'ferry-failover-admin'), retries: 3, retryDelay: 100 });
    try {
      await admin.createTopics({
        topics: [TOPIC], partitions: PARTITIONS, replicas: 3,
        configs: [{ name: 'min.insync.replicas', value: '2' }],
      });
    } finally {
      await admin.close();
    }
  },

  async producer(cluster) {
    const producer = new Producer({ ...this.base(cluster, 'ferry-failover-producer'), retries: 0, idempotent: false });
    return {
      async send(partition, entries) {
        const result = await producer.send({
          acks: ProduceAcks.ALL,
          messages: entries.map(({ record: r }) => ({
            topic: TOPIC, partition, key: r.key, value: r.value, timestamp: BigInt(r.timestamp),
          })),
        });
        const base = result.offsets.find(o => o.topic === TOPIC && o.partition === partition);
        return entries.map((_, k) => Number(base.offset) + k);
      },
      close: () => producer.close(),
    };
  },

  // Consumer.listOffsets() and Consumer.fetch() (no group), as platformatic.test.mjs.
  async readAll(cluster) {
    const consumer = new Consumer({ ...this.base(cluster, 'ferry-failover-reader'), groupId: 'ferry-failover-never-joins', retries: 3 });
    try {
      const latest = await consumer.listOffsets({ topics: [TOPIC], partitions: { [TOPIC]: [0, 1, 2] } });
      const ends = new Map(Array.from({ length: PARTITIONS }, (_, p) => [p, Number(latest.get(TOPIC)[p])]));
      const next = new Map([...ends.keys()].map(p => [p, 0]));
      const out = [];
      await waitUntil(async () => {
        for (const [p, end] of ends) {
          if (next.get(p) >= end) continue;
          const md = (await consumer.metadata({ topics: [TOPIC] })).topics.get(TOPIC);
          const part = md.partitions[p];
          const response = await consumer.fetch({
            node: part.leader, maxWaitTime: 100, minBytes: 1, maxBytes: 10485760,
            topics: [{
              topicId: md.id,
              partitions: [{ partition: p, currentLeaderEpoch: part.leaderEpoch, fetchOffset: BigInt(next.get(p)), lastFetchedEpoch: -1, partitionMaxBytes: 1048576 }],
            }],
          });
          for (const t of response.responses) {
            for (const pr of t.partitions) {
              assert.equal(pr.errorCode, 0, `fetch ${TOPIC}-${pr.partitionIndex}`);
              for (const batch of pr.records ?? []) {
                if (batch.attributes & 0x20) continue; // control batch
                const logAppendTime = (batch.attributes & 0x08) !== 0;
                for (const r of batch.records) {
                  const offset = Number(batch.firstOffset + BigInt(r.offsetDelta));
                  if (offset < next.get(p)) continue;
                  out.push({
                    record: {
                      topic: TOPIC, partition: pr.partitionIndex, key: r.key, value: r.value,
                      headers: r.headers.map(([hk, hv]) => [hk.toString('utf8'), hv]),
                      timestamp: Number(logAppendTime ? batch.maxTimestamp : batch.firstTimestamp + r.timestampDelta),
                    },
                    offset, timestampType: logAppendTime ? 1 : 0,
                  });
                  next.set(p, offset + 1);
                }
              }
            }
          }
        }
        return [...ends].every(([p, end]) => next.get(p) >= end);
      }, 60000, `platformatic reading up to ${JSON.stringify([...ends])}`, 0);
      return out;
    } finally {
      await consumer.close(true);
    }
  },
};

// --- the scenario -----------------------------------------------------------------------------------

async function waitHighWatermarks(cluster, history) {
  const want = history.ackedEndOffsets([TOPIC]);
  let last = 'none';
  try {
    await waitUntil(async () => {
      const got = [];
      for (let p = 0; p < PARTITIONS; p++) got.push(await cluster.highWatermark(TOPIC, p));
      last = got.map(String).join(',');
      return [...want].every(([k, end]) => got[Number(k.slice(k.lastIndexOf(':') + 1))] >= BigInt(end));
    }, 60000, 'high watermarks covering every acknowledged offset');
  } catch (e) {
    throw cluster.failure(`${e.message}: want ${JSON.stringify([...want])}, last ${last}`);
  }
}

// Acknowledged records allowed a duplicate are exempt from check()'s offset rule: one copy must
// still be at the acknowledged offset.
function ackedCopyProblems(history, consumed) {
  const at = new Map();
  for (const c of consumed) {
    const id = idOf(c.record.value);
    if (!at.has(id)) at.set(id, []);
    at.get(id).push(c.offset);
  }
  const problems = [];
  for (const [id, s] of history.sentById) {
    if (s.retried && s.status === ACKED && s.offset !== null && !(at.get(id) ?? []).includes(s.offset)) {
      problems.push(`${id} acked at offset ${s.offset}, read at ${JSON.stringify(at.get(id) ?? [])}`);
    }
  }
  return problems;
}

function duplicatedIds(consumed) {
  const at = new Map();
  for (const c of consumed) {
    const id = idOf(c.record.value);
    if (!at.has(id)) at.set(id, []);
    at.get(id).push(`${c.record.partition}@${c.offset}`);
  }
  return [...at].filter(([, o]) => o.length > 1);
}

async function failover(client) {
  const rng = new SeededRandom(SEED ^ hashName(client.name));
  const cluster = new FerryCluster(3);
  let stream = null;
  let finished = false;
  try {
    await cluster.startAll();
    await client.createTopic(cluster);
    await cluster.waitFullIsr(TOPIC, PARTITIONS);
    // Metadata can name a broker leader a few ms before its partition leads (a Produce then gets
    // NOT_LEADER_OR_FOLLOWER), and no send may fail before the kill: wait until every leader
    // answers ListOffsets as leader.
    await waitUntil(async () => {
      for (let p = 0; p < PARTITIONS; p++) if ((await cluster.highWatermark(TOPIC, p)) < 0n) return false;
      return true;
    }, 30000, 'every partition leader serving', 20);
    const partition = rng.below(PARTITIONS);
    const victim = await cluster.leader(TOPIC, partition);
    assert.ok(victim > 0, `no leader for ${TOPIC}-${partition}`);
    stream = new Stream(client.name, await client.producer(cluster), client.retriesInternally).start();
    await waitUntil(() => Math.min(...stream.ackedPerPartition()) >= ACKED_BEFORE_KILL, 30000,
      `${ACKED_BEFORE_KILL} acknowledgements on every partition`);
    await stream.killMidStream(() => cluster.kill9(victim));
    await waitUntil(() => stream.recovered(), RECOVERY_TIMEOUT,
      `an acknowledged send, on every partition, handed to ${client.name} after killing node ${victim} ` +
      `(leader of ${TOPIC}-${partition}); so far ${stream.stats()}`);
    await sleep(AFTER_RECOVERY); // steady-state sends to the new leaders, judged strictly
    finished = true;
    const { unanswered, problems: streamProblems } = await stream.finish();
    assert.deepEqual(streamProblems, []);
    assert.deepEqual(unanswered.slice(0, 10), [], 'records the client never settled');
    assert.deepEqual(stream.errors({ beforeKill: true }), {},
      `sends failed before the kill:\n${stream.errorDetails.join('\n')}`);
    await cluster.start(victim);
    await cluster.waitFullIsr(TOPIC, PARTITIONS, 90000);
    const history = stream.history();
    await waitHighWatermarks(cluster, history);
    const consumed = await client.readAll(cluster);
    const problems = [...check(history, consumed), ...ackedCopyProblems(history, consumed)];
    const duplicates = duplicatedIds(consumed);
    console.log(`[${client.name}] killed node ${victim} (leader of ${TOPIC}-${partition}); ${stream.stats()}; ` +
      `errors ${JSON.stringify(stream.errors())}; ${summary(history, consumed)}; duplicates read ${duplicates.length}` +
      (duplicates.length ? ` ${JSON.stringify(duplicates.slice(0, 5))}` : ''));
    if (problems.length) throw cluster.failure(`history violations:\n${problems.slice(0, 40).join('\n')}`);
  } catch (e) {
    if (String(e?.message ?? e).includes('--- node 1 (')) throw e; // already carries the logs
    const wrapped = cluster.failure(e.stack ?? String(e));
    wrapped.cause = e;
    throw wrapped;
  } finally {
    if (stream && !finished) await stream.finish().catch(() => {});
    await cluster.close();
  }
}

describe('clients through a partition-leader kill -9 on a 3-node cluster', { timeout: TEST_TIMEOUT }, () => {
  test('kafkajs 2.2.4 produces and consumes through a leader kill', { timeout: TEST_TIMEOUT }, () => failover(kafkajs));
  test('@platformatic/kafka 1.35.0 produces and consumes through a leader kill', { timeout: TEST_TIMEOUT }, () => failover(platformatic));
});
