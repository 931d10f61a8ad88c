// Produce/consume history and its checker for the Node.js interop tests (the twin of
// python/history.py; same rules, same words in the violations).
//
// Records: { topic, partition, key: Buffer|null, value: Buffer, headers: [[name, Buffer|null]],
// timestamp: Number ms }. Consumed: { record, offset: Number, timestampType: 0 (CreateTime) }.
// Ids live in the value ("id=<id>;..."), so nothing trusts offsets to identify a record.
//
// check() rules: no phantom (every consumed id was sent, to that topic and partition); no
// duplicate; intact key/value/headers (order, duplicates, nulls)/timestamp and CreateTime; no
// loss (every ACKED record read, unless marked mayLose); an acked offset equals the read offset;
// per partition, offsets strictly increase and ids follow the send order. Retried sends
// (`retried`: sent again after a failed attempt, by the test or inside the client) may be read
// more than once, each copy intact, and are exempt from the send-order and acked-offset rules
// (which copy carries the acked offset is unknown); nothing else may be duplicated.
export const ACKED = 'acked';
export const FAILED = 'failed'; // the producer reported an error: possibly persisted
export const UNKNOWN = 'unknown'; // acks=0: no answer by design

export function makeValue(id, filler = Buffer.alloc(0)) {
  return Buffer.concat([Buffer.from(`id=${id};`), filler]);
}

export function idOf(value) {
  if (!value || value.length < 4 || value.toString('latin1', 0, 3) !== 'id=') return null;
  const end = value.indexOf(0x3b); // ';'
  return end > 0 ? value.toString('utf8', 3, end) : null;
}

const tpKey = (topic, partition) => `${topic}:${partition}`;

export class History {
  constructor() {
    this.sentById = new Map();
    this.order = new Map(); // "topic:p" -> [id]
  }

  sent(id, record) {
    if (this.sentById.has(id)) throw new Error(`id ${id} sent twice`);
    const key = tpKey(record.topic, record.partition);
    if (!this.order.has(key)) this.order.set(key, []);
    this.sentById.set(id, { record, index: this.order.get(key).length, status: UNKNOWN, offset: null, mayLose: false, retried: false });
    this.order.get(key).push(id);
  }

  acked(id, offset) {
    const s = this.sentById.get(id);
    s.status = ACKED;
    s.offset = offset !== null && offset !== undefined && offset >= 0 ? Number(offset) : null;
  }

  failed(id) {
    this.sentById.get(id).status = FAILED;
  }

  // The record is (or may have been) sent again after a failed attempt: it may legitimately be
  // stored twice. Status back to UNKNOWN until the outcome is recorded.
  retried(id) {
    const s = this.sentById.get(id);
    s.retried = true;
    s.status = UNKNOWN;
    s.offset = null;
  }

  status(id) {
    return this.sentById.get(id).status;
  }

  ids({ status, topic, contains } = {}) {
    const out = [];
    for (const [id, s] of this.sentById) {
      if (status && s.status !== status) continue;
      if (topic && s.record.topic !== topic) continue;
      if (contains && !id.includes(contains)) continue;
      out.push(id);
    }
    return out;
  }

  // "topic:p" -> last acked offset + 1: what a reader waits for before everything acked is readable.
  ackedEndOffsets(topics = null) {
    const out = new Map();
    for (const s of this.sentById.values()) {
      if (s.status !== ACKED || s.offset === null) continue;
      if (topics && !topics.includes(s.record.topic)) continue;
      const key = tpKey(s.record.topic, s.record.partition);
      out.set(key, Math.max(out.get(key) ?? 0, s.offset + 1));
    }
    return out;
  }
}

function sameBytes(a, b) {
  if (a === null || b === null || a === undefined || b === undefined) return (a ?? null) === (b ?? null);
  return Buffer.compare(a, b) === 0;
}

function sameHeaders(a, b) {
  return a.length === b.length && a.every(([k, v], i) => k === b[i][0] && sameBytes(v, b[i][1]));
}

const show = headers => JSON.stringify(headers.map(([k, v]) => [k, v === null ? null : v.toString('hex')]));

function intactProblems(id, sent, got) {
  const want = sent.record;
  const problems = [];
  if (!sameBytes(got.record.key, want.key)) problems.push(`key ${got.record.key?.toString('hex')} != sent ${want.key?.toString('hex')}`);
  if (!sameBytes(got.record.value, want.value)) problems.push(`value differs (len ${got.record.value?.length} vs ${want.value.length})`);
  if (!sameHeaders(got.record.headers, want.headers)) problems.push(`headers ${show(got.record.headers)} != sent ${show(want.headers)}`);
  if (got.timestampType !== 0) problems.push(`timestamp type ${got.timestampType} is not CreateTime`);
  if (Number(got.record.timestamp) !== Number(want.timestamp)) problems.push(`timestamp ${got.record.timestamp} != sent ${want.timestamp}`);
  return problems.map(p => `${id} at ${got.record.topic}-${got.record.partition}@${got.offset}: ${p}`);
}

// Violations (empty = good). `topics`: restrict the loss check to these (null: all).
export function check(history, consumed, topics = null) {
  const problems = [];
  const seen = new Map();
  const lastOffset = new Map();
  const lastIndex = new Map();
  for (const c of consumed) {
    const tp = tpKey(c.record.topic, c.record.partition);
    if (lastOffset.has(tp) && c.offset <= lastOffset.get(tp)) problems.push(`${tp}: offset ${c.offset} after ${lastOffset.get(tp)}`);
    lastOffset.set(tp, c.offset);
    const id = idOf(c.record.value);
    const sent = id === null ? undefined : history.sentById.get(id);
    if (!sent) {
      problems.push(`phantom record at ${tp}@${c.offset}: ${c.record.value?.subarray(0, 40).toString('latin1')}`);
      continue;
    }
    if (seen.has(id)) {
      if (sent.retried) problems.push(...intactProblems(id, sent, c));
      else problems.push(`duplicate ${id}: offsets ${seen.get(id)} and ${c.offset}`);
      continue;
    }
    seen.set(id, c.offset);
    if (tpKey(sent.record.topic, sent.record.partition) !== tp) {
      problems.push(`${id} sent to ${sent.record.topic}-${sent.record.partition}, read from ${tp}`);
      continue;
    }
    problems.push(...intactProblems(id, sent, c));
    if (sent.retried) continue; // which copy carries the acked offset is unknown; resends reorder
    if (sent.status === ACKED && sent.offset !== null && sent.offset !== c.offset) {
      problems.push(`${id} acked at offset ${sent.offset}, read at ${c.offset}`);
    }
    if (lastIndex.has(tp) && sent.index <= lastIndex.get(tp)) problems.push(`${id} out of send order in ${tp} (index ${sent.index})`);
    lastIndex.set(tp, sent.index);
  }
  for (const [id, s] of history.sentById) {
    if (topics && !topics.includes(s.record.topic)) continue;
    if (s.status === ACKED && !s.mayLose && !seen.has(id)) {
      problems.push(`lost ${id}: acked at ${s.record.topic}-${s.record.partition}@${s.offset}, never read back`);
    }
  }
  return problems;
}

export function summary(history, consumed) {
  const counts = {};
  for (const s of history.sentById.values()) counts[s.status] = (counts[s.status] ?? 0) + 1;
  return `sent ${history.sentById.size} (${JSON.stringify(counts)}), consumed ${consumed.length}`;
}
