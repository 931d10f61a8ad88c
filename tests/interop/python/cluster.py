"""A real multi-node Ferry cluster for replication and failover tests (and bench/).

Contract:
  * `FerryCluster(n)` owns n ferryd processes on loopback, each both broker and controller
    voter (process.roles=broker,controller), with their own ports below the ephemeral range,
    data dirs and logs under one temp dir (removed by close() unless FERRY_KEEP_TEST_DIRS).
  * `extra_voters=k` adds k controller-only voters (ids n+1..n+k), so that losing brokers does
    not lose the controller quorum (e.g. two of three brokers down with five voters).
  * `netns=True` puts every node in its own network namespace (10.77.<k>.<i>/24 on a shared
    bridge; needs root and iproute2) so that a test can cut a node off from the others with
    `isolate(i)` while the test itself (in the root namespace, 10.77.<k>.254) still reaches it.
  * Every wait is bounded. Node state comes from raw Kafka Metadata v1 requests (leader, replicas,
    ISR per partition) and ListOffsets, never from a client library's cache.
  * kill9 / stop (SIGTERM) / pause (SIGSTOP) / resume / start drive real processes. Each node's
    output is appended to node-<i>.log; failures carry the tails (`log_tails()`).
"""

import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

from ferry_harness import (
    _SETPRIV,
    HarnessError,
    _request,
    _string,
    list_offsets_v1,
    pick_free_ports,
)


def partitions_v1(host, port, timeout=2.0):
    """Metadata v1 for all topics: {(topic, p): (error, leader, replicas, isr)} and the broker ids.
    """
    r = _request_to(host, port, 3, 1, struct.pack(">i", -1), timeout)
    brokers = set()
    for _ in range(r.take(">i")):
        node = r.take(">i")
        r.string()
        r.take(">i")
        r.string()
        brokers.add(node)
    r.take(">i")
    out = {}
    for _ in range(r.take(">i")):
        _error, name = r.take(">h"), r.string()
        r.take(">b")
        for _ in range(r.take(">i")):
            perror, index, leader = r.take(">h"), r.take(">i"), r.take(">i")
            replicas = r.array(lambda: r.take(">i"))
            isr = r.array(lambda: r.take(">i"))
            out[(name, index)] = (perror, leader, sorted(replicas), sorted(isr))
    return brokers, out


def _request_to(host, port, api_key, version, body, timeout):
    if host == "127.0.0.1":
        return _request(port, api_key, version, body, timeout)
    import socket

    from ferry_harness import _Reader, _recv_exact

    client_id = b"ferry-cluster-probe"
    frame = struct.pack(">hhih", api_key, version, 7, len(client_id)) + client_id + body
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(struct.pack(">i", len(frame)) + frame)
        (size,) = struct.unpack(">i", _recv_exact(sock, 4))
        r = _Reader(_recv_exact(sock, size))
    if r.take(">i") != 7:
        raise ConnectionError("correlation id mismatch")
    return r


def log_batches(part_dir):
    """(base_offset, last_offset, bytes) of every batch in a partition dir's segments, in order."""
    out = []
    for name in sorted(n for n in os.listdir(part_dir) if n.endswith(".log")):
        with open(os.path.join(part_dir, name), "rb") as f:
            data = f.read()
        pos = 0
        while pos + 61 <= len(data):
            base_offset, length = struct.unpack_from(">qi", data, pos)
            if length <= 0 or pos + 12 + length > len(data):
                break
            (last_delta,) = struct.unpack_from(">i", data, pos + 23)
            out.append((base_offset, base_offset + last_delta, data[pos : pos + 12 + length]))
            pos += 12 + length
    return out


class FerryCluster:
    def __init__(self, n=3, overrides=(), netns=False, binary=None, extra_voters=0):
        self.binary = binary or os.environ.get("FERRYD")
        if not self.binary or not os.access(self.binary, os.X_OK):
            raise HarnessError(f"FERRYD must point at the ferryd binary (got {self.binary!r})")
        self.n = n
        self.voters = n + extra_voters
        if netns and extra_voters:
            raise HarnessError("extra voters are not supported with network namespaces")
        self.dir = tempfile.mkdtemp(prefix="ferry-cluster-")
        self.extra = list(overrides)
        self.netns = netns
        self.procs = {}
        self.paused = set()
        self.keep_dir = False
        ports = pick_free_ports(2 * self.voters)
        self.kafka_ports = {i: ports[2 * (i - 1)] for i in range(1, self.voters + 1)}
        self.ctrl_ports = {i: ports[2 * (i - 1) + 1] for i in range(1, self.voters + 1)}
        self.hosts = {i: "127.0.0.1" for i in range(1, self.voters + 1)}
        self._ns_prefix = None
        if netns:
            try:
                self._setup_netns()
            except BaseException:
                # close() never runs for a cluster that was not constructed: undo it here.
                if getattr(self, "_bridge", None):
                    self._teardown_netns()
                shutil.rmtree(self.dir, ignore_errors=True)
                raise

    # --- network namespaces ------------------------------------------------------------------

    def _ip(self, *args, check=True):
        r = subprocess.run(["ip", *args], capture_output=True, text=True)
        if check and r.returncode != 0:
            raise HarnessError(f"ip {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
        return r

    def _setup_netns(self):
        if os.geteuid() != 0:
            raise HarnessError("network namespaces need root")
        k = os.getpid() % 200 + 20
        self._ns_prefix = f"ferry{os.getpid()}"
        self._bridge = f"fb{os.getpid() % 100000}"
        self._subnet = f"10.77.{k}"
        self._ns_if = {}
        self._shaped = set()
        # Names come from our pid: a run killed before its clean-up (a CI stop, a reboot of the
        # test machine) may have left ones a later process with the same pid would now collide
        # with. Nothing else uses these names; remove them first.
        self._teardown_netns()
        for i in range(1, self.n + 1):
            self._ip("link", "del", f"fh{os.getpid() % 10000}n{i}", check=False)
        self._ip("link", "add", self._bridge, "type", "bridge")
        self._ip("addr", "add", f"{self._subnet}.254/24", "dev", self._bridge)
        self._ip("link", "set", self._bridge, "up")
        for i in range(1, self.n + 1):
            ns = self.ns(i)
            host_if, ns_if = f"fh{os.getpid() % 10000}n{i}", f"fn{os.getpid() % 10000}n{i}"
            self._ip("netns", "add", ns)
            self._ip("link", "add", host_if, "type", "veth", "peer", "name", ns_if)
            self._ip("link", "set", ns_if, "netns", ns)
            self._ip("link", "set", host_if, "master", self._bridge)
            self._ip("link", "set", host_if, "up")
            self._ns_if[i] = ns_if
            self._ip("-n", ns, "addr", "add", f"{self._subnet}.{i}/24", "dev", ns_if)
            self._ip("-n", ns, "link", "set", ns_if, "up")
            self._ip("-n", ns, "link", "set", "lo", "up")
            self.hosts[i] = f"{self._subnet}.{i}"

    def ns(self, i):
        return f"{self._ns_prefix}-{i}"

    def _tc(self, ns, *args, check=True):
        return subprocess.run(["ip", "netns", "exec", ns, "tc", *args], check=check,
                              capture_output=True, text=True)

    def _drop(self, i, destination):
        """Node i's namespace drops every packet it sends to `destination`: a tc u32 filter on its
        interface sends them to an htb class whose queue is a blackhole qdisc (unlike a route,
        this also cuts connections that are already established; it needs only htb, u32 and
        blackhole, which even minimal kernels have)."""
        dev = self._ns_if[i]
        ns = self.ns(i)
        if i not in self._shaped:
            self._tc(ns, "qdisc", "add", "dev", dev, "root", "handle", "1:", "htb", "default", "1")
            self._tc(ns, "class", "add", "dev", dev, "parent", "1:", "classid", "1:1", "htb",
                     "rate", "10gbit")
            self._tc(ns, "class", "add", "dev", dev, "parent", "1:", "classid", "1:2", "htb",
                     "rate", "8bit")
            self._tc(ns, "qdisc", "add", "dev", dev, "parent", "1:2", "handle", "20:", "blackhole")
            self._shaped.add(i)
        self._tc(ns, "filter", "add", "dev", dev, "parent", "1:", "protocol", "ip", "prio", "1",
                 "u32", "match", "ip", "dst", f"{destination}/32", "flowid", "1:2")

    def isolate(self, i):
        """Cut node i off from every other node in both directions; the test (bridge address
        .254) still reaches it. One isolation at a time: heal() before isolating another."""
        for j in range(1, self.n + 1):
            if j == i:
                continue
            self._drop(i, self.hosts[j])
            self._drop(j, self.hosts[i])

    def heal(self, i=None):
        """Removes every packet filter (any isolation)."""
        for j in sorted(self._shaped):
            self._tc(self.ns(j), "qdisc", "del", "dev", self._ns_if[j], "root", check=False)
        self._shaped.clear()

    def _teardown_netns(self):
        for i in range(1, self.n + 1):
            self._ip("netns", "del", self.ns(i), check=False)
        self._ip("link", "del", self._bridge, check=False)

    # --- processes ---------------------------------------------------------------------------

    def bootstrap(self, nodes=None):
        ids = nodes or range(1, self.n + 1)
        return ",".join(f"{self.hosts[i]}:{self.kafka_ports[i]}" for i in ids)

    def data_dir(self, i):
        return os.path.join(self.dir, f"data-{i}")

    def log_path(self, i):
        return os.path.join(self.dir, f"node-{i}.log")

    def _args(self, i):
        voters = ",".join(
            f"{j}@{self.hosts[j]}:{self.ctrl_ports[j]}" for j in range(1, self.voters + 1)
        )
        if i <= self.n:
            listeners = [f"listeners=PLAINTEXT://{self.hosts[i]}:{self.kafka_ports[i]},"
                         f"CONTROLLER://{self.hosts[i]}:{self.ctrl_ports[i]}"]
        else:
            listeners = ["process.roles=controller",
                         f"listeners=CONTROLLER://{self.hosts[i]}:{self.ctrl_ports[i]}"]
        overrides = [
            f"node.id={i}",
            *listeners,
            f"controller.quorum.voters={voters}",
            f"log.dirs={self.data_dir(i)}",
            f"default.replication.factor={min(3, self.n)}",
            f"log.level={os.environ.get('FERRY_INTEROP_LOG_LEVEL', 'info')}",
        ] + self.extra
        args = [self.binary]
        for o in overrides:
            args += ["--override", o]
        if self.netns:
            args = ["ip", "netns", "exec", self.ns(i)] + args
        if _SETPRIV:
            args = [_SETPRIV, "--pdeathsig", "KILL", "--"] + args
        return args

    def start(self, i):
        if i in self.procs:
            raise HarnessError(f"node {i} already running")
        with open(self.log_path(i), "ab") as log:
            log.write(f"---- start node {i}\n".encode())
            log.flush()
            self.procs[i] = subprocess.Popen(
                self._args(i), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )

    def start_all(self, timeout=60.0):
        for i in range(1, self.voters + 1):
            self.start(i)
        self.wait_brokers(set(range(1, self.n + 1)), timeout)

    def kill9(self, i):
        p = self.procs.pop(i)
        if i in self.paused:
            self.paused.discard(i)
        p.kill()
        p.wait(10)

    def stop(self, i, timeout=30.0):
        p = self.procs.pop(i)
        p.send_signal(signal.SIGTERM)
        try:
            code = p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(10)
            raise self.failure(f"node {i} did not exit within {timeout}s of SIGTERM")
        if code != 0:
            raise self.failure(f"node {i} exited with {code} after SIGTERM")

    def pause(self, i):
        self.procs[i].send_signal(signal.SIGSTOP)
        self.paused.add(i)

    def resume(self, i):
        self.procs[i].send_signal(signal.SIGCONT)
        self.paused.discard(i)

    def running(self):
        return sorted(self.procs)

    # --- observation -------------------------------------------------------------------------

    def partitions(self, via=None):
        """{(topic, p): (error, leader, replicas, isr)} as a running node's metadata says."""
        last = None
        for i in [via] if via else self.running():
            if i in self.paused or i > self.n:
                continue
            try:
                return partitions_v1(self.hosts[i], self.kafka_ports[i])[1]
            except (OSError, ConnectionError, struct.error) as e:
                last = e
        raise ConnectionError(f"no node answered Metadata: {last!r}")

    def wait_brokers(self, expected, timeout=60.0):
        """Until every running node serves Metadata listing exactly `expected` brokers."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                ok = all(
                    partitions_v1(self.hosts[i], self.kafka_ports[i])[0] >= set(expected)
                    for i in self.running() if i <= self.n
                )
                if ok:
                    return
            except (OSError, ConnectionError, struct.error) as e:
                last = e
            time.sleep(0.05)  # poll interval of a bounded wait
        raise self.failure(f"brokers {sorted(expected)} not all serving within {timeout}s ({last!r})")

    def wait_for(self, predicate, timeout, what, via=None):
        """Polls `predicate(partitions)` (as node `via`, else any running broker, sees them) until
        true (bounded); returns the partitions."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                parts = self.partitions(via)
                if predicate(parts):
                    return parts
                last = parts
            except (OSError, ConnectionError, struct.error) as e:
                last = repr(e)
            time.sleep(0.05)  # poll interval of a bounded wait
        raise self.failure(f"timed out after {timeout}s waiting for {what}; last: {last}",
                           stacks=True)

    def wait_full_isr(self, topic, count, timeout=60.0, via=None):
        def full(parts):
            return all(
                (topic, p) in parts
                and parts[(topic, p)][0] == 0
                and parts[(topic, p)][1] >= 0
                and parts[(topic, p)][3] == parts[(topic, p)][2]
                for p in range(count)
            )

        return self.wait_for(full, timeout, f"{topic}: every partition led with a full ISR", via)

    def leader(self, topic, partition):
        return self.partitions()[(topic, partition)][1]

    def high_watermarks(self, node, topic, count):
        got = list_offsets_v1_at(self.hosts[node], self.kafka_ports[node], {topic: list(range(count))})
        return {p: got[(topic, p)] for p in range(count)}

    def replica_logs_below(self, topic, partition, end_offset, nodes=None):
        """{node: bytes of the batches whose last offset < end_offset} from each node's files."""
        out = {}
        for i in nodes or range(1, self.n + 1):
            part_dir = os.path.join(self.data_dir(i), f"{topic}-{partition}")
            if not os.path.isdir(part_dir):
                out[i] = None
                continue
            out[i] = b"".join(b for (_, last, b) in log_batches(part_dir) if last < end_offset)
        return out

    # --- failure reporting and cleanup ----------------------------------------------------------

    def log_tails(self, lines=40):
        parts = []
        for i in range(1, self.voters + 1):
            try:
                with open(self.log_path(i), "rb") as f:
                    text = f.read().decode(errors="replace").splitlines()
            except OSError:
                text = ["(no log)"]
            parts.append(f"--- node {i} ({self.log_path(i)}):\n" + "\n".join(text[-lines:]))
        return "\n".join(parts)

    def thread_stacks(self):
        """Every running node's threads (gdb), written next to the logs: a wait that timed out
        may be a node that hung, and its stacks are gone once the test kills it."""
        if shutil.which("gdb") is None:
            return "(no gdb: no thread stacks)"
        path = os.path.join(self.dir, "stacks.txt")
        with open(path, "w") as out:
            for i, proc in sorted(self.procs.items()):
                if proc.poll() is not None or i in self.paused:
                    continue
                out.write(f"=== node {i} (pid {proc.pid})\n")
                out.flush()
                try:
                    subprocess.run(["gdb", "-batch", "-p", str(proc.pid), "-ex",
                                    "thread apply all bt 30"], stdout=out, stderr=subprocess.STDOUT,
                                   timeout=60)
                except subprocess.TimeoutExpired:
                    out.write("(gdb timed out)\n")
        self.keep_dir = True
        return f"thread stacks of the running nodes: {path}"

    def failure(self, message, stacks=False):
        extra = f"\n{self.thread_stacks()}" if stacks else ""
        return HarnessError(f"{message}\n{self.log_tails()}{extra}")

    def dead_by_themselves(self):
        return [i for i, p in self.procs.items() if p.poll() is not None]

    def close(self):
        died = self.dead_by_themselves()
        for i in list(self.procs):
            if i in self.paused:
                self.resume(i)
            self.procs[i].kill()
            self.procs[i].wait(10)
        self.procs.clear()
        if self.netns:
            self._teardown_netns()
        if os.environ.get("FERRY_KEEP_TEST_DIRS"):
            print(f"kept cluster dir {self.dir}", file=sys.stderr)
        elif not died and not self.keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)
        elif self.keep_dir:
            print(f"kept cluster dir {self.dir} (thread stacks inside)", file=sys.stderr)
        if died:
            raise self.failure(f"nodes {died} died during the test (dir kept: {self.dir})")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def list_offsets_v1_at(host, port, partitions, timestamp=-1, timeout=2.0):
    if host == "127.0.0.1":
        return list_offsets_v1(port, partitions, timestamp, timeout)
    body = struct.pack(">ii", -1, len(partitions))
    for topic, ps in partitions.items():
        body += _string(topic) + struct.pack(">i", len(ps))
        for p in ps:
            body += struct.pack(">iq", p, timestamp)
    r = _request_to(host, port, 2, 1, body, timeout)
    out = {}
    for _ in range(r.take(">i")):
        topic = r.string()
        for _ in range(r.take(">i")):
            p, error = r.take(">i"), r.take(">h")
            r.take(">q")
            out[(topic, p)] = (error, r.take(">q"))
    return out
