// Real ferryd processes for the Node.js interop tests (the twin of python/ferry_harness.py).
//
// Contract:
//  * `Ferryd` owns one single-node ferryd (broker + controller) on two loopback ports and a temp
//    data directory, removed by close() unless FERRY_KEEP_TEST_DIRS is set. Output goes to
//    <dir>/ferryd.log (appended across restarts); harness failures carry the log tail.
//  * Readiness is a raw Kafka Metadata v1 request (no client library involved): broker 1 listed
//    and, for the given topics, every partition has leader 1 and no error. Every wait is bounded.
//  * stop() is SIGTERM (must exit 0 in time), kill9() is SIGKILL; start() again reuses the same
//    ports and data.
//  * The binary comes from FERRYD (CTest sets it to $<TARGET_FILE:ferryd>); FERRY_INTEROP_LOG_LEVEL
//    sets ferryd's log.level (default debug: it also logs why a connection was closed).
//  * testSeed() reads FERRY_SEED or makes one and prints it; SeededRandom makes every random
//    choice of a test replayable.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

// --- seeds and randomness ------------------------------------------------------------------------

export function testSeed() {
  const text = process.env.FERRY_SEED;
  const seed = text ? BigInt(text) : crypto.randomBytes(8).readBigUInt64BE() >> 1n;
  process.stderr.write(`FERRY_SEED=${seed}\n`);
  return seed;
}

// splitmix64: small, seedable, good enough to pick test data.
export class SeededRandom {
  constructor(seed) {
    this.state = BigInt.asUintN(64, BigInt(seed));
  }
  nextU64() {
    this.state = BigInt.asUintN(64, this.state + 0x9e3779b97f4a7c15n);
    let z = this.state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  }
  // uniform integer in [0, n)
  below(n) {
    return Number(this.nextU64() % BigInt(n));
  }
  chance(p) {
    return Number(this.nextU64() >> 11n) / 2 ** 53 < p;
  }
  bytes(n) {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.below(256);
    return out;
  }
  choice(items) {
    return items[this.below(items.length)];
  }
}

export function hashName(name) {
  return BigInt('0x' + crypto.createHash('sha256').update(name).digest('hex').slice(0, 15));
}

// --- bounded waits -------------------------------------------------------------------------------

export const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

export async function waitUntil(predicate, timeoutMs, what, intervalMs = 50) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}` +
        (lastError ? ` (last error: ${lastError.message})` : ''));
    }
    await sleep(intervalMs); // poll interval of a bounded wait
  }
}

// Races `promise` against a timeout (for client calls that have no timeout of their own).
export async function withTimeout(promise, timeoutMs, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// --- ports ---------------------------------------------------------------------------------------

// Below Linux's ephemeral range (32768-60999), so an outgoing connection cannot take a port we
// picked between a stop and the restart on it. The C++ and Python tests claim ports in
// 20000-29999 with file locks Node cannot take, so Node keeps to 30000-31999 of its own. The
// choice never affects what a test checks.
function portIsFree(port) {
  return new Promise(resolve => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export async function pickFreePorts(count) {
  const ports = [];
  while (ports.length < count) {
    const port = 30000 + crypto.randomInt(2000);
    if (!ports.includes(port) && (await portIsFree(port))) ports.push(port);
  }
  return ports;
}

// --- raw Kafka requests (Metadata v1, ListOffsets v1) --------------------------------------------

class Reader {
  constructor(buf) {
    this.buf = buf;
    this.pos = 0;
  }
  i8() { return this.buf.readInt8((this.pos += 1) - 1); }
  i16() { return this.buf.readInt16BE((this.pos += 2) - 2); }
  i32() { return this.buf.readInt32BE((this.pos += 4) - 4); }
  i64() { return this.buf.readBigInt64BE((this.pos += 8) - 8); }
  str() {
    const n = this.i16();
    if (n < 0) return null;
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  array(fn) {
    const n = this.i32();
    const out = [];
    for (let i = 0; i < n; i++) out.push(fn());
    return out;
  }
}

function kstring(text) {
  const data = Buffer.from(text);
  const len = Buffer.alloc(2);
  len.writeInt16BE(data.length);
  return Buffer.concat([len, data]);
}

function int32(v) {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
}

export function rawRequest(port, apiKey, version, body, timeoutMs = 2000) {
  const header = Buffer.alloc(8);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(version, 2);
  header.writeInt32BE(7, 4);
  const frame = Buffer.concat([header, kstring('ferry-interop-probe'), body]);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = Buffer.alloc(0);
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error('raw request timed out')));
    socket.on('error', reject);
    socket.on('connect', () => socket.write(Buffer.concat([int32(frame.length), frame])));
    socket.on('data', chunk => {
      data = Buffer.concat([data, chunk]);
      if (data.length >= 4 && data.length >= 4 + data.readInt32BE(0)) {
        socket.destroy();
        const r = new Reader(data.subarray(4, 4 + data.readInt32BE(0)));
        if (r.i32() !== 7) reject(new Error('correlation id mismatch'));
        else resolve(r);
      }
    });
    socket.on('close', () => reject(new Error('connection closed before a full response')));
  });
}

// {brokers: Map(node -> [host, port]), topics: Map(name -> {error, partitions: Map(p -> {error, leader})})}
export async function metadataV1(port) {
  const r = await rawRequest(port, 3, 1, int32(-1));
  const brokers = new Map();
  r.array(() => {
    const node = r.i32();
    brokers.set(node, [r.str(), r.i32()]);
    r.str(); // rack
  });
  r.i32(); // controller
  const topics = new Map();
  r.array(() => {
    const error = r.i16();
    const name = r.str();
    r.i8(); // internal
    const partitions = new Map();
    r.array(() => {
      const perror = r.i16();
      const index = r.i32();
      const leader = r.i32();
      r.array(() => r.i32());
      r.array(() => r.i32());
      partitions.set(index, { error: perror, leader });
    });
    topics.set(name, { error, partitions });
  });
  return { brokers, topics };
}

// Latest offsets: Map("topic:p" -> bigint offset, -1n on error)
export async function listOffsetsV1(port, topicPartitions) {
  const byTopic = new Map();
  for (const [t, p] of topicPartitions) byTopic.set(t, [...(byTopic.get(t) ?? []), p]);
  const parts = [int32(-1), int32(byTopic.size)];
  for (const [t, ps] of byTopic) {
    parts.push(kstring(t), int32(ps.length));
    for (const p of ps) {
      const b = Buffer.alloc(12);
      b.writeInt32BE(p, 0);
      b.writeBigInt64BE(-1n, 4);
      parts.push(b);
    }
  }
  const r = await rawRequest(port, 2, 1, Buffer.concat(parts));
  const out = new Map();
  r.array(() => {
    const t = r.str();
    r.array(() => {
      const p = r.i32();
      const error = r.i16();
      r.i64();
      const offset = r.i64();
      out.set(`${t}:${p}`, error === 0 ? offset : -1n);
    });
  });
  return out;
}

// Waits until every "topic:p" -> minimum end offset (Number) is reached. Data acknowledged with
// acks=0/1 becomes readable only once the broker flushed it (log.flush.interval.ms).
export async function waitForEndOffsets(port, minimum, timeoutMs = 20000) {
  const tps = [...minimum.keys()].map(k => {
    const i = k.lastIndexOf(':');
    return [k.slice(0, i), Number(k.slice(i + 1))];
  });
  if (tps.length === 0) return;
  let last = 'no answer';
  await waitUntil(async () => {
    const got = await listOffsetsV1(port, tps);
    last = JSON.stringify([...got].map(([k, v]) => [k, String(v)]));
    return [...minimum].every(([k, want]) => (got.get(k) ?? -1n) >= BigInt(want));
  }, timeoutMs, `end offsets ${JSON.stringify([...minimum])} (last ${last})`);
}

// --- the process ---------------------------------------------------------------------------------

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find(p => fs.existsSync(p));

export class Ferryd {
  constructor(overrides = []) {
    this.binary = process.env.FERRYD;
    if (!this.binary || !fs.existsSync(this.binary)) {
      throw new Error(`FERRYD must point at the ferryd binary (got ${this.binary})`);
    }
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-interop-js-'));
    this.dataDir = path.join(this.dir, 'data');
    this.logPath = path.join(this.dir, 'ferryd.log');
    this.extraOverrides = overrides;
    this.proc = null;
    this.exitCode = null;
    this.starts = 0;
  }

  get bootstrap() {
    return `127.0.0.1:${this.kafkaPort}`;
  }

  args() {
    const overrides = [
      'node.id=1',
      `listeners=PLAINTEXT://127.0.0.1:${this.kafkaPort},CONTROLLER://127.0.0.1:${this.controllerPort}`,
      `controller.quorum.voters=1@127.0.0.1:${this.controllerPort}`,
      `log.dirs=${this.dataDir}`,
      // Known: a restarted broker re-registers only after the old session expires.
      'broker.session.timeout.ms=2000',
      'broker.heartbeat.interval.ms=500',
      `log.level=${process.env.FERRY_INTEROP_LOG_LEVEL ?? 'debug'}`,
      ...this.extraOverrides,
    ];
    return overrides.flatMap(o => ['--override', o]);
  }

  spawn() {
    // setpriv (util-linux) execs ferryd with a parent-death signal: it dies with the test
    // process, even when CTest kills that on a timeout. Same pid, so signals reach ferryd.
    const argv = SETPRIV ? [SETPRIV, '--pdeathsig', 'KILL', '--', this.binary, ...this.args()]
      : [this.binary, ...this.args()];
    fs.appendFileSync(this.logPath, `---- start #${this.starts + 1}: ${argv.join(' ')}\n`);
    const log = fs.openSync(this.logPath, 'a');
    const proc = spawn(argv[0], argv.slice(1), { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    this.exitCode = null;
    proc.exited = new Promise(resolve => proc.on('exit', (code, signal) => {
      this.exitCode = code ?? signal;
      resolve(code ?? signal);
    }));
    this.proc = proc;
    this.starts++;
  }

  async start(topics = {}, timeoutMs = 30000) {
    if (this.proc) throw new Error('ferryd already running');
    if (this.kafkaPort === undefined) [this.kafkaPort, this.controllerPort] = await pickFreePorts(2);
    const firstStart = this.starts === 0;
    for (let attempt = 0; ; attempt++) {
      this.spawn();
      try {
        await this.waitReady(topics, timeoutMs);
        return;
      } catch (e) {
        const diedAtOnce = this.exitCode !== null;
        if (!diedAtOnce) await this.kill9();
        this.proc = null;
        // A port we picked was taken in between: only retried on the very first start.
        if (!(firstStart && diedAtOnce) || attempt === 2) throw e;
        [this.kafkaPort, this.controllerPort] = await pickFreePorts(2);
      }
    }
  }

  async waitReady(topics = {}, timeoutMs = 30000) {
    let last = 'no answer yet';
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exitCode !== null) throw this.failure(`ferryd exited with ${this.exitCode} before ready`);
      try {
        const md = await metadataV1(this.kafkaPort);
        last = notReady(md, topics);
        if (last === null) return md;
      } catch (e) {
        last = `metadata failed: ${e.message}`;
      }
      await sleep(50); // poll interval of a bounded wait
    }
    throw this.failure(`not ready within ${timeoutMs} ms: ${last}`);
  }

  async stop(timeoutMs = 30000) {
    const proc = this.proc;
    proc.kill('SIGTERM');
    try {
      await withTimeout(proc.exited, timeoutMs, 'ferryd exit after SIGTERM');
    } catch (e) {
      proc.kill('SIGKILL');
      await proc.exited;
      this.proc = null;
      throw this.failure(e.message);
    }
    this.proc = null;
    if (this.exitCode !== 0) throw this.failure(`ferryd exited with ${this.exitCode} after SIGTERM`);
  }

  async kill9() {
    const proc = this.proc;
    proc.kill('SIGKILL');
    await withTimeout(proc.exited, 10000, 'ferryd exit after SIGKILL');
    this.proc = null;
  }

  async restart(graceful, topics = {}) {
    if (graceful) await this.stop();
    else await this.kill9();
    await this.start(topics);
  }

  logTail(lines = 60) {
    try {
      return fs.readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  failure(message) {
    const state = this.proc && this.exitCode !== null
      ? ` [ferryd is not running: it exited by itself with ${this.exitCode}]` : '';
    return new Error(`${message}${state}\n--- ferryd log tail (${this.logPath}):\n${this.logTail()}`);
  }

  // Stops ferryd (SIGKILL) and removes the temp dir. Throws if ferryd had exited by itself (a
  // crash the test did not cause), with its exit status and log tail.
  async close() {
    let died = null;
    if (this.proc && this.exitCode !== null) {
      died = this.failure(`ferryd died during the test (exit ${this.exitCode})`);
      this.proc = null;
    } else if (this.proc) {
      await this.kill9();
    }
    if (process.env.FERRY_KEEP_TEST_DIRS) process.stderr.write(`kept test dir ${this.dir}\n`);
    else fs.rmSync(this.dir, { recursive: true, force: true });
    if (died) throw died;
  }
}

function notReady(md, topics) {
  if (!md.brokers.has(1)) return `broker 1 not listed`;
  for (const [name, count] of Object.entries(topics)) {
    const t = md.topics.get(name);
    if (!t) return `topic ${name} not listed`;
    if (t.error !== 0 || t.partitions.size !== count) {
      return `topic ${name}: error ${t.error}, ${t.partitions.size}/${count} partitions`;
    }
    for (const [p, { error, leader }] of t.partitions) {
      if (error !== 0 || leader !== 1) return `${name}-${p}: error ${error}, leader ${leader}`;
    }
  }
  return null;
}

// Header fields of the record batches in <dataDir>/<topic>-<partition>/*.log (Kafka's format).
export function batchesOnDisk(dataDir, topic, partition) {
  const dir = path.join(dataDir, `${topic}-${partition}`);
  const out = [];
  for (const name of fs.readdirSync(dir).filter(n => n.endsWith('.log')).sort()) {
    const data = fs.readFileSync(path.join(dir, name));
    let pos = 0;
    while (pos + 61 <= data.length) {
      const length = data.readInt32BE(pos + 8);
      if (length <= 0) break;
      const attributes = data.readInt16BE(pos + 21);
      out.push({
        baseOffset: data.readBigInt64BE(pos),
        attributes,
        codec: attributes & 7,
        recordCount: data.readInt32BE(pos + 57),
      });
      pos += 12 + length;
    }
  }
  return out;
}
