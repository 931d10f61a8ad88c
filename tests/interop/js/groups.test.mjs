// Consumer groups with kafkajs 2.2.4 and @platformatic/kafka 1.35.0 on a 3-node Ferry cluster
// (rf=3 __consumer_offsets; the twin of python/groups_test.py): each client's ordinary group
// consumer (subscribe, auto-commit) with two members over six partitions reads every record,
// the members' partitions never overlap at the end, and the group's committed offsets reach
// the log ends. The committed offsets are read back through the other client's admin API.
// Every wait is bounded.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';

import { Admin, Consumer as PfConsumer, stringDeserializers } from '@platformatic/kafka';

import { FerryCluster } from './cluster.mjs';
import { testSeed, waitUntil, withTimeout } from './harness.mjs';

const require = createRequire(import.meta.url);
const { Kafka, Partitioners, logLevel } = require('kafkajs');

const SEED = testSeed();
const TOPIC = 'orders';
const PARTITIONS = 6;
const RECORDS = 120;
const TEST_TIMEOUT = 240000;
const OVERRIDES = ['group.initial.rebalance.delay.ms=200', 'offsets.topic.num.partitions=6'];

function kafkajs(cluster) {
  return new Kafka({
    clientId: 'ferry-groups', brokers: cluster.bootstrap(), logLevel: logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 100 },
  });
}

async function setUp(cluster) {
  await cluster.startAll();
  const kafka = kafkajs(cluster);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3 }] });
  await admin.disconnect();
  await cluster.waitFullIsr(TOPIC, PARTITIONS);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const messages = Array.from({ length: RECORDS }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: i % PARTITIONS }));
  await producer.send({ topic: TOPIC, acks: -1, messages });
  await producer.disconnect();
}

// The group's committed offsets through kafkajs's admin (OffsetFetch), retried while the
// coordinator moves or loads.
async function committedKafkajs(cluster, groupId) {
  const admin = kafkajs(cluster).admin();
  await admin.connect();
  try {
    const [topic] = await admin.fetchOffsets({ groupId, topics: [TOPIC] });
    return Object.fromEntries(topic.partitions.map(p => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

async function committedPlatformatic(cluster, groupId) {
  const admin = new Admin({ clientId: 'ferry-groups-admin', bootstrapBrokers: cluster.bootstrap(), retries: 5 });
  try {
    const groups = await admin.listConsumerGroupOffsets({ groups: [{ groupId, topics: [{ name: TOPIC, partitionIndexes: [0, 1, 2, 3, 4, 5] }] }] });
    const out = {};
    for (const g of groups) for (const t of g.topics) for (const p of t.partitions) out[p.partitionIndex] = Number(p.committedOffset);
    return out;
  } finally {
    await admin.close();
  }
}

const allAt = value => Object.fromEntries(Array.from({ length: PARTITIONS }, (_, p) => [p, value]));

describe('consumer groups on a 3-node cluster', { timeout: TEST_TIMEOUT }, () => {
  test('kafkajs: two members share six partitions, read everything and commit the ends', { timeout: TEST_TIMEOUT }, async () => {
    const cluster = new FerryCluster(3, { overrides: OVERRIDES });
    const consumers = [];
    try {
      await setUp(cluster);
      const seen = new Map(); // "p@o" -> member
      const owned = [new Set(), new Set()];
      for (let i = 0; i < 2; i++) {
        const c = kafkajs(cluster).consumer({ groupId: 'js-group', sessionTimeout: 10000, heartbeatInterval: 500, rebalanceTimeout: 10000 });
        consumers.push(c);
        c.on(c.events.GROUP_JOIN, e => {
          owned[i] = new Set((e.payload.memberAssignment[TOPIC] ?? []).map(Number));
        });
        await c.connect();
        await c.subscribe({ topic: TOPIC, fromBeginning: true });
        await c.run({ eachMessage: async ({ partition, message }) => { seen.set(`${partition}@${message.offset}`, i); } });
      }
      await waitUntil(() => seen.size === RECORDS && owned[0].size + owned[1].size === PARTITIONS &&
        owned[0].size > 0 && owned[1].size > 0, 90000, `kafkajs members to read ${RECORDS} records (read ${seen.size})`);
      assert.deepEqual([...owned[0]].filter(p => owned[1].has(p)), [], 'overlapping assignments');
      for (const c of consumers) await withTimeout(c.disconnect(), 30000, 'kafkajs disconnect');
      consumers.length = 0;
      let committed = {};
      await waitUntil(async () => {
        committed = await committedPlatformatic(cluster, 'js-group').catch(() => ({}));
        return JSON.stringify(committed) === JSON.stringify(allAt(RECORDS / PARTITIONS));
      }, 30000, 'the committed offsets (read by platformatic) to reach the log ends');
    } catch (e) {
      throw cluster.failure(e.stack ?? String(e));
    } finally {
      for (const c of consumers) await c.disconnect().catch(() => {});
      await cluster.close();
    }
  });

  test('@platformatic/kafka: two members share six partitions, read everything and commit the ends', { timeout: TEST_TIMEOUT }, async () => {
    const cluster = new FerryCluster(3, { overrides: OVERRIDES });
    const consumers = [];
    try {
      await setUp(cluster);
      const seen = new Map();
      for (let i = 0; i < 2; i++) {
        const c = new PfConsumer({
          clientId: `ferry-groups-${i}`, groupId: 'pf-group', bootstrapBrokers: cluster.bootstrap(),
          deserializers: stringDeserializers, sessionTimeout: 10000, heartbeatInterval: 500, rebalanceTimeout: 10000,
          retries: 10,
        });
        consumers.push(c);
        const stream = await c.consume({ topics: [TOPIC], mode: 'earliest', autocommit: 100 });
        stream.on('data', m => { seen.set(`${m.partition}@${m.offset}`, i); });
        stream.on('error', () => {});
      }
      await waitUntil(() => seen.size === RECORDS, 90000, `platformatic members to read ${RECORDS} records (read ${seen.size})`);
      const owned = () => consumers.map(c => new Set((c.assignments ?? []).flatMap(a => a.partitions)));
      await waitUntil(() => owned().every(a => a.size > 0) && owned()[0].size + owned()[1].size === PARTITIONS,
        30000, `both platformatic members to own partitions (${JSON.stringify(owned().map(a => [...a]))})`);
      const assignments = owned();
      assert.deepEqual([...assignments[0]].filter(p => assignments[1].has(p)), [], 'overlapping assignments');
      await waitUntil(async () => {
        const committed = await committedKafkajs(cluster, 'pf-group').catch(() => ({}));
        return JSON.stringify(committed) === JSON.stringify(allAt(RECORDS / PARTITIONS));
      }, 30000, 'the committed offsets (read by kafkajs) to reach the log ends');
    } catch (e) {
      throw cluster.failure(e.stack ?? String(e));
    } finally {
      for (const c of consumers) await withTimeout(c.close(true), 30000, 'platformatic close').catch(() => {});
      await cluster.close();
    }
  });
});

console.log(`FERRY_SEED=${SEED}`);
