// Client-independent interop scenarios for the Node.js clients (kafkajs, @platformatic/kafka);
// the twin of python/scenario.py.
//
// An adapter has:
//   name                                 short name used in topic names and ids
//   headerStyle                          'pairs' (any order, duplicate keys anywhere),
//                                        'grouped' (duplicates only adjacent: kafkajs's
//                                        object-of-arrays) or 'unique'
//   nullHeaderValues                     whether a header value may be null
//   narrowTimestamps                     keep a batch's timestamps within a day of each other
//                                        (platformatic mis-encodes timestamp deltas >= 2^31 ms)
//   createTopics({name: partitions}, configs?)
//   producer(acks) -> { send([{id, record}]) -> Promise<[offset|null per entry]>, close() }
//                                        one produce call; resolves when acknowledged (acks=0:
//                                        at once, offsets null), rejects on any error
//   readAll([[topic, p]]) -> Consumed[]  log start to the end offset seen when reading starts
//   readFrom(topic, p, offset, count) -> Consumed[]
// Producers never use idempotence/transactions and never retry; readers never join a group.
import assert from 'node:assert/strict';

import { waitForEndOffsets, waitUntil, withTimeout } from './harness.mjs';
import { ACKED, History, check, makeValue, summary } from './history.mjs';

export const PARTITIONS = 3;
const HEADER_KEYS = ['trace', 'dup', 'ünïcode-ключ', 'empty-name-next', ''];

// A random record: binary key (sometimes null), value carrying `id`, 0-3 headers and an explicit
// timestamp that is neither now nor monotonic.
export function randomRecord(rng, adapter, topic, id) {
  const key = rng.chance(0.1) ? null : rng.bytes(rng.below(24));
  const value = makeValue(id, rng.bytes(rng.below(300)));
  const headers = [];
  const count = rng.below(4);
  for (let i = 0; i < count; i++) {
    let name = rng.choice(HEADER_KEYS);
    if (adapter.headerStyle === 'unique' && headers.some(([k]) => k === name)) continue;
    const roll = rng.below(100);
    const value = roll < 15 && adapter.nullHeaderValues ? null : roll < 30 ? Buffer.alloc(0) : rng.bytes(1 + rng.below(15));
    if (adapter.headerStyle === 'grouped') {
      // duplicates only next to each other, as an object of arrays encodes them
      const at = headers.findLastIndex(([k]) => k === name);
      if (at >= 0) {
        headers.splice(at + 1, 0, [name, value]);
        continue;
      }
    }
    headers.push([name, value]);
  }
  const now = Date.now();
  const timestamp = adapter.narrowTimestamps || rng.chance(0.5)
    ? now - 1 - rng.below(86_400_000)
    : 1_000_000_000_000 + rng.below(1e9);
  return { topic, partition: rng.below(PARTITIONS), key, value, headers, timestamp };
}

function makeEntries(rng, adapter, history, topic, tag, count) {
  const entries = [];
  for (let i = 0; i < count; i++) {
    const id = `${topic}/${tag}/${i}`;
    const record = randomRecord(rng, adapter, topic, id);
    history.sent(id, record);
    entries.push({ id, record });
  }
  return entries;
}

function applyResult(history, acks, entries, offsets) {
  entries.forEach(({ id }, i) => {
    if (acks !== 0) history.acked(id, offsets[i]);
  });
}

// `count` records per topic in sends of 20, each awaited (so send order = log order).
export async function produceRound(adapter, history, rng, topics, tag, count) {
  for (const [topic, acks] of Object.entries(topics)) {
    const producer = await adapter.producer(acks);
    try {
      const entries = makeEntries(rng, adapter, history, topic, tag, count);
      for (let i = 0; i < entries.length; i += 20) {
        const chunk = entries.slice(i, i + 20);
        applyResult(history, acks, chunk, await withTimeout(producer.send(chunk), 60000, `${topic} send`));
      }
    } finally {
      await producer.close();
    }
  }
}

export async function readAndCheck(ferryd, adapter, history, topics) {
  const names = Object.keys(topics);
  await waitForEndOffsets(ferryd.kafkaPort, history.ackedEndOffsets(names));
  const consumed = await adapter.readAll(names.flatMap(t => [...Array(PARTITIONS).keys()].map(p => [t, p])));
  const problems = check(history, consumed, names);
  console.log(`[${adapter.name}] ${summary(history, consumed)}`);
  assert.deepEqual(problems.slice(0, 40), []);
  return consumed;
}

// acks=all sends outstanding at a kill -9: 100 records in awaited sends, then 100 more handed to
// the client at once as one send per partition (concurrent sends to one partition have no defined
// order); once the first of those settles the broker is killed.
// After the restart every one of those sends has resolved (acked: must survive) or rejected
// (failed: may be there, never twice).
export async function killMidStream(adapter, ferryd, history, rng, topic, ready) {
  const producer = await adapter.producer('all');
  let ackedBeforeKill;
  try {
    const first = makeEntries(rng, adapter, history, topic, 'kill-first-half', 100);
    for (let i = 0; i < first.length; i += 20) {
      const chunk = first.slice(i, i + 20);
      applyResult(history, 'all', chunk, await withTimeout(producer.send(chunk), 60000, 'send'));
    }
    const second = makeEntries(rng, adapter, history, topic, 'kill-second-half', 100);
    const outcomes = [];
    let settled = 0;
    for (let p = 0; p < PARTITIONS; p++) {
      const chunk = second.filter(({ record }) => record.partition === p);
      if (chunk.length === 0) continue;
      outcomes.push(producer.send(chunk).then(
        offsets => applyResult(history, 'all', chunk, offsets),
        () => chunk.forEach(({ id }) => history.failed(id))).finally(() => settled++));
    }
    await waitUntil(() => settled > 0, 30000, 'the first concurrent send to settle', 1);
    await ferryd.kill9();
    ackedBeforeKill = history.ids({ status: ACKED, topic, contains: '/kill-' }).length;
    await ferryd.start(ready);
    await withTimeout(Promise.all(outcomes), 60000, 'sends outstanding at the kill');
  } finally {
    await producer.close();
  }
  const acked = history.ids({ status: ACKED, topic, contains: '/kill-' }).length;
  console.log(`[${adapter.name}] kill -9 with ${200 - ackedBeforeKill} of 200 acks=all sends ` +
    `unacknowledged; ${acked} acked in the end, ${200 - acked} failed`);
  return ackedBeforeKill;
}

// acks 0/1/all; graceful restart; read+check; more sends; kill -9 with acks=all sends outstanding;
// more sends after the restart; read+check everything.
export async function restartScenario(ferryd, adapter, rng) {
  await withBrokerLog(ferryd, () => runRestartScenario(ferryd, adapter, rng));
}

export async function seekScenario(ferryd, adapter, rng) {
  await withBrokerLog(ferryd, () => runSeekScenario(ferryd, adapter, rng));
}

// Runs fn(); a failure is re-thrown with the tail of the ferryd log attached.
export async function withBrokerLog(ferryd, fn) {
  try {
    await fn();
  } catch (e) {
    const wrapped = ferryd.failure(e.stack ?? String(e));
    wrapped.cause = e;
    throw wrapped;
  }
}

async function runRestartScenario(ferryd, adapter, rng) {
  const history = new History();
  const topics = { [`${adapter.name}-acks0`]: 0, [`${adapter.name}-acks1`]: 1, [`${adapter.name}-acksall`]: 'all' };
  const ready = Object.fromEntries(Object.keys(topics).map(t => [t, PARTITIONS]));
  await adapter.createTopics(ready);
  await ferryd.waitReady(ready);
  await produceRound(adapter, history, rng, topics, 'before-restart', 60);
  await ferryd.restart(true, ready);
  await readAndCheck(ferryd, adapter, history, topics);
  await produceRound(adapter, history, rng, topics, 'before-kill', 60);
  const ackedBeforeKill = await killMidStream(adapter, ferryd, history, rng, `${adapter.name}-acksall`, ready);
  assert.ok(ackedBeforeKill >= 100, `only ${ackedBeforeKill} acked before the kill`);
  await produceRound(adapter, history, rng, topics, 'after-kill', 30);
  await readAndCheck(ferryd, adapter, history, topics);
}

// Reading from an offset in the middle returns exactly the records acked there and after.
async function runSeekScenario(ferryd, adapter, rng) {
  const history = new History();
  const topic = `${adapter.name}-seek`;
  await adapter.createTopics({ [topic]: PARTITIONS });
  await ferryd.waitReady({ [topic]: PARTITIONS });
  await produceRound(adapter, history, rng, { [topic]: 'all' }, 'seek', 90);
  await waitForEndOffsets(ferryd.kafkaPort, history.ackedEndOffsets());
  const byOffset = new Map();
  const ends = new Array(PARTITIONS).fill(0);
  for (const id of history.ids({ topic })) {
    const s = history.sentById.get(id);
    byOffset.set(`${s.record.partition}:${s.offset}`, id);
    ends[s.record.partition] = Math.max(ends[s.record.partition], s.offset + 1);
  }
  const partition = ends.indexOf(Math.max(...ends));
  const end = ends[partition];
  const start = Math.floor(end / 2);
  const got = await adapter.readFrom(topic, partition, start, end - start);
  assert.deepEqual(got.map(c => c.offset), Array.from({ length: end - start }, (_, i) => start + i));
  assert.deepEqual(check(history, got, []), []);
}

