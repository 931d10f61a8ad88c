// @platformatic/kafka 1.35.0 against a real ferryd: admin create/describe configs/delete and
// their errors; produce at acks 0, 1 and all with keys, headers and explicit timestamps across a
// graceful restart and a kill -9 with sends outstanding; gzip, snappy and lz4 (zstd needs
// Node >= 22) stored compressed and readable by kcat too.
//
// The Consumer is used without a group: Consumer.listOffsets() (ListOffsets) and Consumer.fetch()
// (Fetch v12+ with topic ids and leader epochs from Metadata) never join one; the record batches
// are decoded and decompressed by platformatic.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import { Admin, CompressionAlgorithms, ConfigResourceTypes, ConfigSources, Consumer, ProduceAcks, Producer } from '@platformatic/kafka';

import { Ferryd, SeededRandom, batchesOnDisk, hashName, testSeed, waitForEndOffsets, waitUntil, withTimeout } from './harness.mjs';
import { History, check } from './history.mjs';
import { restartScenario, seekScenario, withBrokerLog } from './scenario.mjs';

const SEED = testSeed();
const TEST_TIMEOUT = 180000;
const ACKS = { 0: ProduceAcks.NO_RESPONSE, 1: ProduceAcks.LEADER, all: ProduceAcks.ALL };
const DYNAMIC_TOPIC_CONFIG = ConfigSources.TOPIC_CONFIG; // 1, DYNAMIC_TOPIC_CONFIG in Kafka's enum

const hasApiError = (error, apiId) => Boolean(error?.findBy?.('apiId', apiId));

class PlatformaticAdapter {
  constructor(ferryd, { compression = CompressionAlgorithms.NONE, name = 'platformatic' } = {}) {
    this.ferryd = ferryd;
    this.name = name;
    this.compression = compression;
    this.headerStyle = 'pairs'; // a Map keyed by Buffer objects keeps duplicate names and order
    this.nullHeaderValues = true;
    // Client bug: @platformatic/dynamic-buffer 0.3.1 zigzag-encodes varlongs with `>> 31n`
    // instead of `>> 63n` and stops at bit 32, so a record whose timestamp is 2^31 ms or more
    // away from its batch's first timestamp is sent with a wrong timestamp (kcat reads the same
    // wrong value back). Keep a batch's timestamps within a day of each other.
    this.narrowTimestamps = true;
  }

  base(clientId) {
    return { clientId, bootstrapBrokers: [this.ferryd.bootstrap], timeout: 30000, autocreateTopics: false };
  }

  admin() {
    return new Admin({ ...this.base('ferry-interop-admin'), retries: 3, retryDelay: 100 });
  }

  async createTopics(topics, configs = {}) {
    const admin = this.admin();
    try {
      for (const [topic, partitions] of Object.entries(topics)) {
        await admin.createTopics({
          topics: [topic], partitions, replicas: 1,
          configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
        });
      }
    } finally {
      await admin.close();
    }
  }

  async producer(acks) {
    const producer = new Producer({ ...this.base('ferry-interop-producer'), retries: 0, idempotent: false });
    const compression = this.compression;
    return {
      async send(entries) {
        const result = await producer.send({
          acks: ACKS[acks],
          compression,
          messages: entries.map(({ record: r }) => ({
            topic: r.topic, partition: r.partition, key: r.key ?? undefined, value: r.value,
            headers: new Map(r.headers.map(([k, v]) => [Buffer.from(k), v])),
            timestamp: BigInt(r.timestamp),
          })),
        });
        if (acks === 0) return entries.map(() => null);
        // One base offset per partition; a partition's records follow in send order.
        const base = new Map(result.offsets.map(o => [`${o.topic}:${o.partition}`, Number(o.offset)]));
        const next = new Map();
        return entries.map(({ record: r }) => {
          const k = `${r.topic}:${r.partition}`;
          const i = next.get(k) ?? 0;
          next.set(k, i + 1);
          return base.get(k) + i;
        });
      },
      close: () => producer.close(),
    };
  }

  consumer() {
    return new Consumer({ ...this.base('ferry-interop-reader'), groupId: 'ferry-interop-never-joins', retries: 3 });
  }

  async fetchUntil(consumer, next, ends, limit = Infinity) {
    const out = [];
    const pending = () => [...ends].filter(([k, end]) => next.get(k) < end);
    await waitUntil(async () => {
      for (const [k] of pending()) {
        const [topic, p] = [k.slice(0, k.lastIndexOf(':')), Number(k.slice(k.lastIndexOf(':') + 1))];
        const md = (await consumer.metadata({ topics: [topic] })).topics.get(topic);
        const part = md.partitions[p];
        const response = await consumer.fetch({
          node: part.leader, maxWaitTime: 100, minBytes: 1, maxBytes: 10485760,
          topics: [{
            topicId: md.id,
            partitions: [{ partition: p, currentLeaderEpoch: part.leaderEpoch, fetchOffset: BigInt(next.get(k)), lastFetchedEpoch: -1, partitionMaxBytes: 1048576 }],
          }],
        });
        for (const t of response.responses) {
          assert.equal(t.topicId, md.id);
          for (const pr of t.partitions) {
            assert.equal(pr.errorCode, 0, `fetch ${topic}-${pr.partitionIndex}`);
            for (const batch of pr.records ?? []) {
              if (batch.attributes & 0x20) continue; // control batch
              const logAppendTime = (batch.attributes & 0x08) !== 0;
              for (const r of batch.records) {
                const offset = Number(batch.firstOffset + BigInt(r.offsetDelta));
                if (offset < next.get(k) || out.length >= limit) continue;
                const record = {
                  topic, partition: pr.partitionIndex, key: r.key, value: r.value,
                  headers: r.headers.map(([hk, hv]) => [hk.toString('utf8'), hv]),
                  timestamp: Number(logAppendTime ? batch.maxTimestamp : batch.firstTimestamp + r.timestampDelta),
                };
                out.push({ record, offset, timestampType: logAppendTime ? 1 : 0 });
                next.set(k, offset + 1);
              }
            }
          }
        }
      }
      return pending().length === 0 || out.length >= limit;
    }, 60000, `reading up to ${JSON.stringify([...ends])}`, 0);
    return out;
  }

  async readAll(tps) {
    const consumer = this.consumer();
    try {
      const topics = [...new Set(tps.map(([t]) => t))];
      const partitions = Object.fromEntries(topics.map(t => [t, tps.filter(([x]) => x === t).map(([, p]) => p)]));
      const latest = await consumer.listOffsets({ topics, partitions });
      const ends = new Map();
      for (const [t, p] of tps) ends.set(`${t}:${p}`, Number(latest.get(t)[p]));
      return await this.fetchUntil(consumer, new Map([...ends.keys()].map(k => [k, 0])), ends);
    } finally {
      await consumer.close(true);
    }
  }

  async readFrom(topic, partition, offset, count) {
    const consumer = this.consumer();
    try {
      const k = `${topic}:${partition}`;
      return await this.fetchUntil(consumer, new Map([[k, offset]]), new Map([[k, offset + count]]), count);
    } finally {
      await consumer.close(true);
    }
  }
}

function rngFor(name) {
  return new SeededRandom(SEED ^ hashName(name));
}

// kcat (librdkafka) reading what platformatic compressed: values in offset order.
function kcatValues(ferryd, topic) {
  const done = spawnSync('kcat', ['-C', '-b', ferryd.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-J', '-q'],
    { timeout: 60000, encoding: 'utf8' });
  assert.equal(done.status, 0, done.stderr);
  return done.stdout.trim().split('\n').map(line => JSON.parse(line));
}

describe('@platformatic/kafka 1.35.0 produce and read back', { timeout: TEST_TIMEOUT }, () => {
  let ferryd;
  before(async () => {
    ferryd = new Ferryd();
    await ferryd.start();
  });
  after(async () => ferryd && ferryd.close());

  test('acked records survive graceful and kill -9 restarts intact and in order', { timeout: TEST_TIMEOUT }, async () => {
    await restartScenario(ferryd, new PlatformaticAdapter(ferryd), rngFor('restart'));
  });

  test('fetching from an offset returns the records from that offset on', { timeout: TEST_TIMEOUT }, async () => {
    await seekScenario(ferryd, new PlatformaticAdapter(ferryd), rngFor('seek'));
  });

  for (const [codec, id] of [[CompressionAlgorithms.GZIP, 1], [CompressionAlgorithms.SNAPPY, 2], [CompressionAlgorithms.LZ4, 3]]) {
    test(`${codec} batches round trip intact, are stored ${codec}-compressed and kcat reads them`, { timeout: TEST_TIMEOUT }, () => withBrokerLog(ferryd, async () => {
      const adapter = new PlatformaticAdapter(ferryd, { compression: codec, name: `platformatic-${codec}` });
      const topic = `platformatic-${codec}`;
      await adapter.createTopics({ [topic]: 1 });
      const history = new History();
      const rng = rngFor(codec);
      const producer = await adapter.producer('all');
      try {
        for (let round = 0; round < 5; round++) {
          const entries = [];
          for (let i = 0; i < 40; i++) {
            const rid = `${topic}/${round}/${i}`;
            const record = {
              topic, partition: 0, key: Buffer.from(`key-${i % 5}`),
              value: Buffer.concat([Buffer.from(`id=${rid};`), Buffer.alloc(200, 'compressible ')]),
              headers: [['codec', Buffer.from(codec)]], timestamp: Date.now() - rng.below(1e6),
            };
            history.sent(rid, record);
            entries.push({ id: rid, record });
          }
          const offsets = await withTimeout(producer.send(entries), 60000, `${codec} send`);
          entries.forEach(({ id: rid }, i) => history.acked(rid, offsets[i]));
        }
      } finally {
        await producer.close();
      }
      await waitForEndOffsets(ferryd.kafkaPort, history.ackedEndOffsets());
      const consumed = await adapter.readAll([[topic, 0]]);
      assert.deepEqual(check(history, consumed).slice(0, 40), []);
      assert.deepEqual([...new Set(batchesOnDisk(ferryd.dataDir, topic, 0).map(b => b.codec))], [id]);
      const viaKcat = kcatValues(ferryd, topic);
      assert.deepEqual(viaKcat.map(m => m.offset), consumed.map(c => c.offset));
      assert.deepEqual(viaKcat.map(m => m.payload), consumed.map(c => c.record.value.toString('utf8')));
    }));
  }
});

describe('@platformatic/kafka 1.35.0 admin', { timeout: TEST_TIMEOUT }, () => {
  let ferryd;
  let adapter;
  let admin;
  before(async () => {
    ferryd = new Ferryd();
    await ferryd.start();
    adapter = new PlatformaticAdapter(ferryd);
    admin = adapter.admin();
  });
  after(async () => {
    if (admin) await admin.close();
    if (ferryd) await ferryd.close();
  });

  const describeTopic = name => admin.describeConfigs({
    resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: name }],
  });

  const createError = options => admin.createTopics(options).then(
    () => assert.fail(`creating ${JSON.stringify(options)} succeeded`), e => e);

  test('a created topic config is described as a dynamic topic override', async () => {
    await adapter.createTopics({ 'plt-configs': 2 }, { 'retention.ms': '3600000', 'cleanup.policy': 'compact' });
    const [described] = await describeTopic('plt-configs');
    const configs = new Map(described.configs.map(c => [c.name, c]));
    assert.equal(configs.get('retention.ms').value, '3600000');
    assert.equal(configs.get('retention.ms').configSource, DYNAMIC_TOPIC_CONFIG);
    assert.equal(configs.get('cleanup.policy').value, 'compact');
    assert.equal(configs.get('cleanup.policy').configSource, DYNAMIC_TOPIC_CONFIG);
    assert.notEqual(configs.get('segment.bytes').configSource, DYNAMIC_TOPIC_CONFIG);
  });

  test('a deleted topic is unknown to describe configs and gone from the topic list', async () => {
    await adapter.createTopics({ 'plt-deleted': 1 });
    await admin.deleteTopics({ topics: ['plt-deleted'] });
    const error = await describeTopic('plt-deleted').then(() => null, e => e);
    assert.ok(hasApiError(error, 'UNKNOWN_TOPIC_OR_PARTITION'), String(error?.stack ?? error));
    assert.equal((await admin.listTopics()).includes('plt-deleted'), false);
  });

  test('creating an existing topic fails with TOPIC_ALREADY_EXISTS', async () => {
    await adapter.createTopics({ 'plt-exists': 1 });
    const error = await createError({ topics: ['plt-exists'], partitions: 1, replicas: 1 });
    assert.ok(hasApiError(error, 'TOPIC_ALREADY_EXISTS'), String(error?.stack ?? error));
  });

  test('an invalid topic name fails with INVALID_TOPIC_EXCEPTION', async () => {
    const error = await createError({ topics: ['bad name!'], partitions: 1, replicas: 1 });
    assert.ok(hasApiError(error, 'INVALID_TOPIC_EXCEPTION'), String(error?.stack ?? error));
  });

  test('replication factor 3 on one broker fails with INVALID_REPLICATION_FACTOR', async () => {
    const error = await createError({ topics: ['plt-rf3'], partitions: 1, replicas: 3 });
    assert.ok(hasApiError(error, 'INVALID_REPLICATION_FACTOR'), String(error?.stack ?? error));
  });
});
