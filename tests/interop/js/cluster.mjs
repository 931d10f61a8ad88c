// A real multi-node Ferry cluster for the Node.js failover tests (the twin of python/cluster.py).
//
// Contract:
//  * `new FerryCluster(n)` owns n ferryd processes on loopback, each both broker and controller
//    voter (process.roles=broker,controller), with their own ports (30000-31999, picked the way
//    harness.mjs picks them), data dirs and logs under one temp dir (removed by close() unless
//    FERRY_KEEP_TEST_DIRS is set, and kept when a node died by itself).
//  * Every wait is bounded. Node state comes from raw Kafka Metadata v1 requests (leader,
//    replicas, ISR per partition) and ListOffsets v1, never from a client library's cache.
//  * kill9 (SIGKILL) / stop (SIGTERM, must exit 0) / start drive real processes; a restarted node
//    reuses its ports and data. Each node's output is appended to node-<i>.log; failures carry
//    the tails (logTails()).
//  * The binary comes from FERRYD; FERRY_INTEROP_LOG_LEVEL sets ferryd's log.level (default info,
//    as python/cluster.py).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { listOffsetsV1, pickFreePorts, rawRequest, sleep, withTimeout } from './harness.mjs';

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find(p => fs.existsSync(p));

function int32(v) {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
}

// Metadata v1 for all topics: { brokers: Set(node), partitions: Map("topic:p" -> {error, leader,
// replicas, isr}) } (replicas and isr sorted).
export async function partitionsV1(port) {
  const r = await rawRequest(port, 3, 1, int32(-1));
  const brokers = new Set();
  r.array(() => {
    brokers.add(r.i32());
    r.str(); // host
    r.i32(); // port
    r.str(); // rack
  });
  r.i32(); // controller
  const partitions = new Map();
  r.array(() => {
    r.i16(); // topic error
    const name = r.str();
    r.i8(); // internal
    r.array(() => {
      const error = r.i16();
      const index = r.i32();
      const leader = r.i32();
      const replicas = r.array(() => r.i32()).sort((a, b) => a - b);
      const isr = r.array(() => r.i32()).sort((a, b) => a - b);
      partitions.set(`${name}:${index}`, { error, leader, replicas, isr });
    });
  });
  return { brokers, partitions };
}

export class FerryCluster {
  constructor(n = 3, { overrides = [] } = {}) {
    this.binary = process.env.FERRYD;
    if (!this.binary || !fs.existsSync(this.binary)) {
      throw new Error(`FERRYD must point at the ferryd binary (got ${this.binary})`);
    }
    this.n = n;
    this.extra = overrides;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-cluster-js-'));
    this.procs = new Map(); // node -> child process (with .exited, .exitCode)
    this.diedByThemselves = [];
  }

  nodes() {
    return Array.from({ length: this.n }, (_, k) => k + 1);
  }

  // ['127.0.0.1:<port>', ...] of the given nodes (default: all).
  bootstrap(nodes = this.nodes()) {
    return nodes.map(i => `127.0.0.1:${this.kafkaPorts.get(i)}`);
  }

  dataDir(i) {
    return path.join(this.dir, `data-${i}`);
  }

  logPath(i) {
    return path.join(this.dir, `node-${i}.log`);
  }

  args(i) {
    const voters = this.nodes().map(j => `${j}@127.0.0.1:${this.ctrlPorts.get(j)}`).join(',');
    const overrides = [
      `node.id=${i}`,
      `listeners=PLAINTEXT://127.0.0.1:${this.kafkaPorts.get(i)},CONTROLLER://127.0.0.1:${this.ctrlPorts.get(i)}`,
      `controller.quorum.voters=${voters}`,
      `log.dirs=${this.dataDir(i)}`,
      `default.replication.factor=${Math.min(3, this.n)}`,
      `log.level=${process.env.FERRY_INTEROP_LOG_LEVEL ?? 'info'}`,
      ...this.extra,
    ];
    return overrides.flatMap(o => ['--override', o]);
  }

  async pickPorts() {
    if (this.kafkaPorts) return;
    const ports = await pickFreePorts(2 * this.n);
    this.kafkaPorts = new Map(this.nodes().map(i => [i, ports[2 * (i - 1)]]));
    this.ctrlPorts = new Map(this.nodes().map(i => [i, ports[2 * (i - 1) + 1]]));
  }

  async start(i) {
    await this.pickPorts();
    if (this.procs.has(i)) throw new Error(`node ${i} already running`);
    // setpriv (util-linux) execs ferryd with a parent-death signal: it dies with the test
    // process, even when CTest kills that on a timeout. Same pid, so signals reach ferryd.
    const argv = SETPRIV ? [SETPRIV, '--pdeathsig', 'KILL', '--', this.binary, ...this.args(i)]
      : [this.binary, ...this.args(i)];
    fs.appendFileSync(this.logPath(i), `---- start node ${i}\n`);
    const log = fs.openSync(this.logPath(i), 'a');
    const proc = spawn(argv[0], argv.slice(1), { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    proc.expected = false; // set when the test kills or stops it
    proc.exited = new Promise(resolve => proc.on('exit', (code, signal) => {
      proc.exitStatus = code ?? signal;
      if (!proc.expected) this.diedByThemselves.push(`node ${i} (exit ${proc.exitStatus})`);
      resolve(proc.exitStatus);
    }));
    this.procs.set(i, proc);
  }

  async startAll(timeoutMs = 60000) {
    for (const i of this.nodes()) await this.start(i);
    await this.waitBrokers(this.nodes(), timeoutMs);
  }

  async kill9(i) {
    const proc = this.procs.get(i);
    this.procs.delete(i);
    proc.expected = true;
    proc.kill('SIGKILL');
    await withTimeout(proc.exited, 10000, `node ${i} exit after SIGKILL`);
  }

  async stop(i, timeoutMs = 30000) {
    const proc = this.procs.get(i);
    this.procs.delete(i);
    proc.expected = true;
    proc.kill('SIGTERM');
    try {
      await withTimeout(proc.exited, timeoutMs, `node ${i} exit after SIGTERM`);
    } catch (e) {
      proc.kill('SIGKILL');
      await proc.exited;
      throw this.failure(e.message);
    }
    if (proc.exitStatus !== 0) throw this.failure(`node ${i} exited with ${proc.exitStatus} after SIGTERM`);
  }

  running() {
    return [...this.procs.keys()].sort((a, b) => a - b);
  }

  // Map("topic:p" -> {error, leader, replicas, isr}) as a running node (`via`, else the first
  // that answers) sees it.
  async partitions(via = null) {
    let last;
    for (const i of via ? [via] : this.running()) {
      try {
        return (await partitionsV1(this.kafkaPorts.get(i))).partitions;
      } catch (e) {
        last = e;
      }
    }
    throw new Error(`no node answered Metadata: ${last?.message}`);
  }

  async waitBrokers(expected, timeoutMs = 60000) {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer';
    while (Date.now() < deadline) {
      if (this.diedByThemselves.length) throw this.failure(`died while starting: ${this.diedByThemselves}`);
      try {
        let ok = true;
        for (const i of this.running()) {
          const { brokers } = await partitionsV1(this.kafkaPorts.get(i));
          if (!expected.every(b => brokers.has(b))) {
            ok = false;
            last = `node ${i} lists ${[...brokers]}`;
          }
        }
        if (ok) return;
      } catch (e) {
        last = e.message;
      }
      await sleep(50); // poll interval of a bounded wait
    }
    throw this.failure(`brokers ${expected} not all serving within ${timeoutMs} ms (${last})`);
  }

  // Polls predicate(partitions) until true (bounded); returns the partitions.
  async waitFor(predicate, timeoutMs, what, via = null) {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer';
    while (Date.now() < deadline) {
      try {
        const parts = await this.partitions(via);
        if (predicate(parts)) return parts;
        last = JSON.stringify([...parts]);
      } catch (e) {
        last = e.message;
      }
      await sleep(50); // poll interval of a bounded wait
    }
    throw this.failure(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last}`);
  }

  async waitFullIsr(topic, count, timeoutMs = 60000) {
    const full = parts => Array.from({ length: count }, (_, p) => parts.get(`${topic}:${p}`)).every(s =>
      s && s.error === 0 && s.leader >= 0 && s.isr.length === s.replicas.length
        && s.isr.every((b, k) => b === s.replicas[k]));
    return this.waitFor(full, timeoutMs, `${topic}: every partition led with a full ISR`);
  }

  async leader(topic, partition) {
    return (await this.partitions()).get(`${topic}:${partition}`).leader;
  }

  // The high watermark of topic-partition as its current leader reports it (-1n on error).
  async highWatermark(topic, partition) {
    const leader = await this.leader(topic, partition);
    if (leader < 0) return -1n;
    const got = await listOffsetsV1(this.kafkaPorts.get(leader), [[topic, partition]]);
    return got.get(`${topic}:${partition}`) ?? -1n;
  }

  logTails(lines = 40) {
    return this.nodes().map(i => {
      let text;
      try {
        text = fs.readFileSync(this.logPath(i), 'utf8').split('\n').slice(-lines).join('\n');
      } catch {
        text = '(no log)';
      }
      return `--- node ${i} (${this.logPath(i)}):\n${text}`;
    }).join('\n');
  }

  failure(message) {
    return new Error(`${message}\n${this.logTails()}`);
  }

  // Kills every node still running and removes the dir (kept with FERRY_KEEP_TEST_DIRS or when a
  // node died by itself, which is then thrown).
  async close() {
    for (const i of this.running()) await this.kill9(i);
    const died = this.diedByThemselves;
    if (process.env.FERRY_KEEP_TEST_DIRS || died.length) process.stderr.write(`kept cluster dir ${this.dir}\n`);
    else fs.rmSync(this.dir, { recursive: true, force: true });
    if (died.length) throw this.failure(`nodes died during the test: ${died.join(', ')} (dir kept: ${this.dir})`);
  }
}
