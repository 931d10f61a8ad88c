// kafkajs 2.2.4 against a real ferryd: admin create/describe configs/delete and their errors;
// produce at acks 0, 1 and all with keys, headers and explicit timestamps across a graceful
// restart and a kill -9 with sends outstanding; gzip; read back with assign+seek semantics.
//
// Records are read here with assign+seek semantics (groups.test.mjs runs kafkajs's group
// consumer), through kafkajs's own Cluster and Broker objects (require('kafkajs/src/cluster')): the same
// objects its consumer uses, so the Fetch v11 request encoding, response decoding, record batch
// decoding and gzip decompression are kafkajs's; only the group/offset bookkeeping is ours.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';

import { Ferryd, SeededRandom, batchesOnDisk, hashName, testSeed, waitForEndOffsets, waitUntil, withTimeout } from './harness.mjs';
import { History, check } from './history.mjs';
import { restartScenario, seekScenario, withBrokerLog } from './scenario.mjs';

const require = createRequire(import.meta.url);
const { Kafka, Partitioners, CompressionTypes, ConfigResourceTypes, logLevel } = require('kafkajs');
const Cluster = require('kafkajs/src/cluster');
const { createLogger } = require('kafkajs/src/loggers');
const LoggerConsole = require('kafkajs/src/loggers/console');
const defaultSocketFactory = require('kafkajs/src/network/socketFactory');

const SEED = testSeed();
const DYNAMIC_TOPIC_CONFIG = 1;
const TEST_TIMEOUT = 180000;
const LOG_LEVEL = logLevel.NOTHING; // errors surface through the API; set ERROR to debug

const toHeaders = pairs => {
  // kafkajs headers are an object; duplicate keys as an array (adjacent by construction)
  const out = {};
  for (const [k, v] of pairs) {
    if (k in out) out[k] = [].concat(out[k], [v]);
    else out[k] = v;
  }
  return out;
};

const fromHeaders = obj => Object.entries(obj).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map(x => [k, x]));

class KafkajsAdapter {
  constructor(ferryd, { compression = CompressionTypes.None, name = 'kafkajs' } = {}) {
    this.ferryd = ferryd;
    this.name = name;
    this.compression = compression;
    this.headerStyle = 'grouped';
    // kafkajs 2.2.4 cannot send a null header value: sizeOfHeaders calls
    // Buffer.byteLength(null) and throws before anything reaches the wire (a client bug).
    this.nullHeaderValues = false;
    this.kafka = new Kafka({
      clientId: 'ferry-interop',
      brokers: [ferryd.bootstrap],
      logLevel: LOG_LEVEL,
      connectionTimeout: 3000,
      requestTimeout: 30000,
      retry: { retries: 5, initialRetryTime: 100 },
    });
  }

  async createTopics(topics, configs = {}) {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const created = await admin.createTopics({
        waitForLeaders: true,
        timeout: 30000,
        topics: Object.entries(topics).map(([topic, numPartitions]) => ({
          topic, numPartitions, replicationFactor: 1,
          configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })),
        })),
      });
      assert.equal(created, true, 'createTopics returned false (topic exists?)');
    } finally {
      await admin.disconnect();
    }
  }

  async producer(acks) {
    const producer = this.kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      idempotent: false,
      retry: { retries: 0 },
    });
    await producer.connect();
    const compression = this.compression;
    return {
      async send(entries) {
        const topic = entries[0].record.topic;
        const result = await producer.send({
          topic,
          acks: acks === 'all' ? -1 : acks,
          timeout: 30000,
          compression,
          messages: entries.map(({ record: r }) => ({
            key: r.key, value: r.value, partition: r.partition,
            headers: toHeaders(r.headers), timestamp: String(r.timestamp),
          })),
        });
        if (acks === 0) return entries.map(() => null);
        // One base offset per partition; a partition's records follow in send order.
        const base = new Map(result.map(m => [m.partition, Number(m.baseOffset)]));
        const next = new Map();
        return entries.map(({ record: r }) => {
          const i = next.get(r.partition) ?? 0;
          next.set(r.partition, i + 1);
          return base.get(r.partition) + i;
        });
      },
      close: () => producer.disconnect(),
    };
  }

  // kafkajs's own Cluster, built the way `new Kafka(...)` builds it for its consumer.
  async cluster(topics) {
    const cluster = new Cluster({
      logger: createLogger({ level: LOG_LEVEL, logCreator: LoggerConsole }),
      socketFactory: defaultSocketFactory(),
      brokers: [this.ferryd.bootstrap],
      clientId: 'ferry-interop-reader',
      connectionTimeout: 3000,
      requestTimeout: 30000,
      enforceRequestTimeout: true,
      retry: { retries: 5, initialRetryTime: 100 },
      allowAutoTopicCreation: false,
      metadataMaxAge: 300000,
    });
    await cluster.connect();
    await cluster.addMultipleTargetTopics(topics);
    return cluster;
  }

  // Fetch from every partition until `next` reaches `ends`, honouring fetch offsets like a consumer
  // (a batch may start before the fetch offset; those records are skipped).
  async fetchUntil(cluster, next, ends, limit = Infinity) {
    const out = [];
    const pending = () => [...ends].filter(([k, end]) => next.get(k) < end);
    await waitUntil(async () => {
      for (const [k] of pending()) {
        const [topic, p] = [k.slice(0, k.lastIndexOf(':')), Number(k.slice(k.lastIndexOf(':') + 1))];
        const leader = Object.keys(cluster.findLeaderForPartitions(topic, [p]))[0];
        const broker = await cluster.findBroker({ nodeId: leader });
        const response = await broker.fetch({
          replicaId: -1, isolationLevel: 1, maxWaitTime: 100, minBytes: 1, maxBytes: 10485760,
          topics: [{ topic, partitions: [{ partition: p, fetchOffset: String(next.get(k)), maxBytes: 1048576 }] }],
        });
        for (const { topicName, partitions } of response.responses) {
          for (const part of partitions) {
            assert.equal(part.errorCode, 0, `fetch ${topicName}-${part.partition}`);
            for (const m of part.messages) {
              if (Number(m.offset) < next.get(k) || out.length >= limit) continue;
              const record = {
                topic: topicName, partition: part.partition, key: m.key, value: m.value,
                headers: fromHeaders(m.headers), timestamp: Number(m.timestamp),
              };
              out.push({ record, offset: Number(m.offset), timestampType: m.batchContext.timestampType });
              next.set(k, Number(m.offset) + 1);
            }
          }
        }
      }
      return pending().length === 0 || out.length >= limit;
    }, 60000, `reading up to ${JSON.stringify([...ends])}`, 0);
    return out;
  }

  async readAll(tps) {
    const topics = [...new Set(tps.map(([t]) => t))];
    const cluster = await this.cluster(topics);
    try {
      const offsets = await cluster.fetchTopicsOffset(topics.map(topic => ({
        topic, partitions: tps.filter(([t]) => t === topic).map(([, partition]) => ({ partition })),
      })));
      const ends = new Map();
      for (const { topic, partitions } of offsets) {
        for (const { partition, offset } of partitions) ends.set(`${topic}:${partition}`, Number(offset));
      }
      return await this.fetchUntil(cluster, new Map([...ends.keys()].map(k => [k, 0])), ends);
    } finally {
      await cluster.disconnect();
    }
  }

  async readFrom(topic, partition, offset, count) {
    const cluster = await this.cluster([topic]);
    try {
      const k = `${topic}:${partition}`;
      return await this.fetchUntil(cluster, new Map([[k, offset]]), new Map([[k, offset + count]]), count);
    } finally {
      await cluster.disconnect();
    }
  }
}

function rngFor(name) {
  return new SeededRandom(SEED ^ hashName(name));
}

describe('kafkajs 2.2.4 produce and read back', { timeout: TEST_TIMEOUT }, () => {
  let ferryd;
  before(async () => {
    ferryd = new Ferryd();
    await ferryd.start();
  });
  after(async () => ferryd && ferryd.close());

  test('acked records survive graceful and kill -9 restarts intact and in order', { timeout: TEST_TIMEOUT }, async () => {
    await restartScenario(ferryd, new KafkajsAdapter(ferryd), rngFor('restart'));
  });

  test('reading from an offset returns the records from that offset on', { timeout: TEST_TIMEOUT }, async () => {
    await seekScenario(ferryd, new KafkajsAdapter(ferryd), rngFor('seek'));
  });

  test('gzip batches round trip intact and are stored gzip-compressed', { timeout: TEST_TIMEOUT }, () => withBrokerLog(ferryd, async () => {
    const adapter = new KafkajsAdapter(ferryd, { compression: CompressionTypes.GZIP, name: 'kafkajs-gzip' });
    const topic = 'kafkajs-gzip';
    await adapter.createTopics({ [topic]: 1 });
    const history = new History();
    const producer = await adapter.producer('all');
    const rng = rngFor('gzip');
    try {
      for (let round = 0; round < 5; round++) {
        const entries = [];
        for (let i = 0; i < 40; i++) {
          const id = `${topic}/${round}/${i}`;
          const record = {
            topic, partition: 0, key: Buffer.from(`key-${i % 5}`),
            value: Buffer.concat([Buffer.from(`id=${id};`), Buffer.alloc(200, 'compressible ')]),
            headers: [['codec', Buffer.from('gzip')]], timestamp: Date.now() - rng.below(1e6),
          };
          history.sent(id, record);
          entries.push({ id, record });
        }
        const offsets = await withTimeout(producer.send(entries), 60000, 'gzip send');
        entries.forEach(({ id }, i) => history.acked(id, offsets[i]));
      }
    } finally {
      await producer.close();
    }
    await waitForEndOffsets(ferryd.kafkaPort, history.ackedEndOffsets());
    const consumed = await adapter.readAll([[topic, 0]]);
    assert.deepEqual(check(history, consumed).slice(0, 40), []);
    const codecs = new Set(batchesOnDisk(ferryd.dataDir, topic, 0).map(b => b.codec));
    assert.deepEqual([...codecs], [1]);
  }));
});

describe('kafkajs 2.2.4 admin', { timeout: TEST_TIMEOUT }, () => {
  let ferryd;
  let adapter;
  let admin;
  before(async () => {
    ferryd = new Ferryd();
    await ferryd.start();
    adapter = new KafkajsAdapter(ferryd);
    admin = adapter.kafka.admin();
    await admin.connect();
  });
  after(async () => {
    if (admin) await admin.disconnect();
    if (ferryd) await ferryd.close();
  });

  const createError = async topic => {
    try {
      await admin.createTopics({ topics: [topic], timeout: 30000 });
    } catch (e) {
      return e;
    }
    assert.fail(`creating ${JSON.stringify(topic)} succeeded`);
  };

  test('a created topic config is described as a dynamic topic override', async () => {
    await adapter.createTopics({ 'kjs-configs': 2 }, { 'retention.ms': '3600000', 'cleanup.policy': 'compact' });
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kjs-configs' }],
    });
    assert.equal(resources[0].errorCode, 0);
    const entries = new Map(resources[0].configEntries.map(e => [e.configName, e]));
    assert.equal(entries.get('retention.ms').configValue, '3600000');
    assert.equal(entries.get('retention.ms').configSource, DYNAMIC_TOPIC_CONFIG);
    assert.equal(entries.get('cleanup.policy').configValue, 'compact');
    assert.equal(entries.get('cleanup.policy').configSource, DYNAMIC_TOPIC_CONFIG);
    assert.notEqual(entries.get('segment.bytes').configSource, DYNAMIC_TOPIC_CONFIG);
  });

  test('a deleted topic is unknown to metadata and describe configs', async () => {
    await adapter.createTopics({ 'kjs-deleted': 1 });
    await admin.deleteTopics({ topics: ['kjs-deleted'], timeout: 30000 });
    const error = await admin.describeConfigs({
      includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kjs-deleted' }],
    }).then(() => null, e => e);
    assert.equal(error?.type, 'UNKNOWN_TOPIC_OR_PARTITION', String(error));
    const listed = await admin.listTopics();
    assert.equal(listed.includes('kjs-deleted'), false);
  });

  test('creating an existing topic reports it already exists', async () => {
    await adapter.createTopics({ 'kjs-exists': 1 });
    // kafkajs turns TOPIC_ALREADY_EXISTS into a `false` result instead of an error
    assert.equal(await admin.createTopics({ topics: [{ topic: 'kjs-exists' }], timeout: 30000 }), false);
  });

  test('an invalid topic name fails with INVALID_TOPIC_EXCEPTION', async () => {
    const error = await createError({ topic: 'bad name!' });
    assert.equal(error.errors?.[0]?.type ?? error.type, 'INVALID_TOPIC_EXCEPTION', String(error));
  });

  test('replication factor 3 on one broker fails with INVALID_REPLICATION_FACTOR', async () => {
    const error = await createError({ topic: 'kjs-rf3', replicationFactor: 3 });
    assert.equal(error.errors?.[0]?.type ?? error.type, 'INVALID_REPLICATION_FACTOR', String(error));
  });
});
