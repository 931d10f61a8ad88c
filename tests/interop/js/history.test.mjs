// Self-tests of the Node.js history checker: each rule catches its violation; a good history passes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ACKED, History, check, idOf, makeValue } from './history.mjs';

const rec = (id, partition = 0, extra = {}) => ({
  topic: 't', partition, key: Buffer.from('k'), value: makeValue(id, Buffer.from('payload')),
  headers: [['h', Buffer.from('v')], ['h', null]], timestamp: 1000, ...extra,
});

function goodHistory() {
  const h = new History();
  for (let i = 0; i < 3; i++) {
    h.sent(`a${i}`, rec(`a${i}`, 0, { timestamp: 1000 + i }));
    h.acked(`a${i}`, i);
  }
  h.sent('u0', rec('u0', 1)); // acks=0
  return h;
}

const consumedOk = h => [0, 1, 2].map(i => ({ record: h.sentById.get(`a${i}`).record, offset: i, timestampType: 0 }));
const has = (problems, text) => problems.some(p => p.includes(text));

describe('history checker', () => {
  test('a complete in-order history passes', () => {
    const h = goodHistory();
    assert.deepEqual(check(h, consumedOk(h)), []);
  });

  test('an acks=0 record may be missing or present', () => {
    const h = goodHistory();
    assert.deepEqual(check(h, [...consumedOk(h), { record: h.sentById.get('u0').record, offset: 0, timestampType: 0 }]), []);
  });

  test('a lost acked record is reported', () => {
    const h = goodHistory();
    const problems = check(h, consumedOk(h).slice(0, 2));
    assert.equal(problems.length, 1);
    assert.ok(has(problems, 'lost a2'));
  });

  test('a duplicate is reported', () => {
    const h = goodHistory();
    const c = consumedOk(h);
    c.push({ ...c[2], offset: 3 });
    assert.ok(has(check(h, c), 'duplicate a2'));
  });

  test('a retried send may be stored twice, intact, but nothing else', () => {
    const h = goodHistory();
    h.retried('a1');
    h.acked('a1', 4);
    const c = [...consumedOk(h), { record: h.sentById.get('a1').record, offset: 4, timestampType: 0 }];
    assert.deepEqual(check(h, c), []);
    c.push({ record: h.sentById.get('a0').record, offset: 5, timestampType: 0 });
    assert.ok(has(check(h, c), 'duplicate a0'));
    const changed = { ...h.sentById.get('a1').record, key: Buffer.from('other') };
    const d = [...consumedOk(h), { record: changed, offset: 4, timestampType: 0 }];
    assert.ok(has(check(h, d), 'a1 at t-0@4: key'));
  });

  test('a retried acked record must still be read', () => {
    const h = goodHistory();
    h.retried('a2');
    h.acked('a2', 2);
    assert.ok(has(check(h, consumedOk(h).slice(0, 2)), 'lost a2'));
  });

  test('a phantom and a value without an id are reported', () => {
    const h = goodHistory();
    const c = [...consumedOk(h), { record: rec('never-sent'), offset: 3, timestampType: 0 }];
    assert.ok(has(check(h, c), 'phantom'));
    const d = [...consumedOk(h), { record: rec('x', 0, { value: Buffer.from('garbage') }), offset: 3, timestampType: 0 }];
    assert.ok(has(check(h, d), 'phantom'));
    assert.equal(idOf(Buffer.from('garbage')), null);
  });

  test('reordering within a partition is reported', () => {
    const h = goodHistory();
    const c = consumedOk(h);
    const swapped = [{ ...c[1], offset: 0 }, { ...c[0], offset: 1 }, c[2]];
    assert.ok(has(check(h, swapped), 'out of send order'));
  });

  test('non-increasing offsets are reported', () => {
    const h = goodHistory();
    const c = consumedOk(h);
    c[1] = { ...c[1], offset: 0 };
    assert.ok(has(check(h, c), 'offset 0 after 0'));
  });

  test('an acked offset must match the consumed offset', () => {
    const h = goodHistory();
    const c = consumedOk(h);
    c[2] = { ...c[2], offset: 7 };
    assert.ok(has(check(h, c), 'acked at offset 2, read at 7'));
  });

  test('changed key, value, headers or timestamp are reported', () => {
    for (const [field, change] of [
      ['key', { key: null }],
      ['headers', { headers: [['h', Buffer.from('v')], ['h', Buffer.alloc(0)]] }],
      ['timestamp', { timestamp: 999 }],
      ['value', { value: makeValue('a0', Buffer.from('other')) }],
    ]) {
      const h = goodHistory();
      const c = consumedOk(h);
      c[0] = { ...c[0], record: { ...c[0].record, ...change } };
      assert.ok(has(check(h, c), field), field);
    }
  });

  test('log append time is reported', () => {
    const h = goodHistory();
    const c = consumedOk(h);
    c[0] = { ...c[0], timestampType: 1 };
    assert.ok(has(check(h, c), 'CreateTime'));
  });

  test('a record read from another partition is reported', () => {
    const h = goodHistory();
    const c = consumedOk(h);
    c[0] = { ...c[0], record: { ...c[0].record, partition: 1 } };
    assert.ok(has(check(h, c), 'sent to t-0'));
  });

  test('status and acked end offsets are tracked', () => {
    const h = goodHistory();
    assert.equal(h.status('a0'), ACKED);
    h.failed('a1');
    assert.deepEqual(h.ids({ status: ACKED }), ['a0', 'a2']);
    assert.deepEqual([...h.ackedEndOffsets()], [['t:0', 3]]);
  });
});
