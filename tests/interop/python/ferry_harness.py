"""Real ferryd processes for the Python interop tests.

Contract:
  * `Ferryd` owns one single-node ferryd (broker + controller roles) on two loopback ports and a
    temporary data directory. The directory is removed by `close()` unless FERRY_KEEP_TEST_DIRS
    is set. The process's stdout/stderr go to `<dir>/ferryd.log` (appended across restarts) and
    the tail of that log is attached to every harness failure.
  * Readiness is a real Kafka Metadata v1 request over a raw socket (no client library in the
    loop): the broker is ready when Metadata lists broker 1 and, when topics are given, every
    partition of those topics has leader 1 and no error. Every wait is bounded by a timeout.
  * `stop()` is SIGTERM (graceful; ferryd must exit 0 within the timeout), `kill9()` is SIGKILL
    (a crash). `start()` after either reuses the same ports and data directory.
  * The binary comes from the FERRYD environment variable (CTest sets it to
    $<TARGET_FILE:ferryd>); FERRY_INTEROP_LOG_LEVEL sets ferryd's log.level (default debug:
    it also logs why a client connection was closed; failures attach the log tail).
  * `test_seed()` reads FERRY_SEED (decimal) or makes a fresh one, and prints it; every random
    choice a test makes must come from a `random.Random(test_seed())` so a failure can be replayed.

Not thread-safe: one `Ferryd` is driven by one test thread.
"""

import fcntl
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

# Below Linux's default ephemeral range (32768-60999): a port we pick cannot be taken by an
# outgoing connection's local port between a stop and the restart on the same port. Shared with
# the C++ tests (tests/support/process.cc), which claim ports the same way: a lock on
# /tmp/ferry-test-ports/<port> held until the process exits. The Node harness uses 30000-32000.
_PORT_RANGE = (20000, 30000)
_PORT_CLAIM_DIR = "/tmp/ferry-test-ports"
_claimed_ports = []  # open claim files: the locks last as long as this process
_PORT_PICKER = random.SystemRandom()  # port choice never affects what a test checks
_SETPRIV = shutil.which("setpriv")  # util-linux: exec with a parent-death signal


def test_seed():
    """The seed for this test process: FERRY_SEED if set, else fresh; printed either way."""
    text = os.environ.get("FERRY_SEED")
    seed = int(text) if text else random.SystemRandom().randrange(1, 2**63)
    print(f"FERRY_SEED={seed}", file=sys.stderr, flush=True)
    return seed


def _port_is_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _claim(port):
    os.makedirs(_PORT_CLAIM_DIR, mode=0o1777, exist_ok=True)
    claim = open(os.path.join(_PORT_CLAIM_DIR, str(port)), "a")  # close-on-exec by default
    try:
        fcntl.flock(claim, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        claim.close()
        return False
    if not _port_is_free(port):
        claim.close()
        return False
    _claimed_ports.append(claim)
    return True


def pick_free_ports(count):
    """`count` distinct loopback ports, free and claimed by this process until it exits."""
    ports = []
    while len(ports) < count:
        port = _PORT_PICKER.randrange(*_PORT_RANGE)
        if _claim(port):
            ports.append(port)
    return ports


class HarnessError(AssertionError):
    """A broker did not start, become ready or stop in time (carries the log tail)."""


# --- A minimal Metadata v1 client (request/response layout: MetadataRequest.json v1) -------------


class _Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, fmt):
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return value

    def string(self):
        length = self.take(">h")
        if length < 0:
            return None
        value = self.data[self.pos : self.pos + length].decode()
        self.pos += length
        return value

    def array(self, element):
        count = self.take(">i")
        return [element() for _ in range(max(count, 0))]


def _recv_exact(sock, n):
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise ConnectionError("connection closed mid-response")
        out += chunk
    return out


def _request(port, api_key, version, body, timeout):
    client_id = b"ferry-interop-probe"
    frame = struct.pack(">hhih", api_key, version, 7, len(client_id)) + client_id + body
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(struct.pack(">i", len(frame)) + frame)
        (size,) = struct.unpack(">i", _recv_exact(sock, 4))
        r = _Reader(_recv_exact(sock, size))
    if r.take(">i") != 7:
        raise ConnectionError("correlation id mismatch")
    return r


def _string(text):
    data = text.encode()
    return struct.pack(">h", len(data)) + data


def list_offsets_v1(port, partitions, timestamp=-1, timeout=2.0):
    """ListOffsets v1 (latest by default) for {topic: [partition, ...]}. Returns
    {(topic, partition): (error, offset)}."""
    body = struct.pack(">ii", -1, len(partitions))
    for topic, ps in partitions.items():
        body += _string(topic) + struct.pack(">i", len(ps))
        for p in ps:
            body += struct.pack(">iq", p, timestamp)
    r = _request(port, 2, 1, body, timeout)
    out = {}
    for _ in range(r.take(">i")):
        topic = r.string()
        for _ in range(r.take(">i")):
            p, error = r.take(">i"), r.take(">h")
            r.take(">q")  # timestamp
            out[(topic, p)] = (error, r.take(">q"))
    return out


def wait_for_end_offsets(port, minimum, timeout=20.0):
    """Bounded wait until the end offset (high watermark) of every (topic, partition) in
    `minimum` is at least the given value. Data acknowledged with acks=0/1 becomes readable only
    once the broker has flushed it (log.flush.interval.ms), so readers wait for this first."""
    by_topic = {}
    for topic, p in minimum:
        by_topic.setdefault(topic, []).append(p)

    last = "no answer yet"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            got = list_offsets_v1(port, by_topic)
            last = {tp: got.get(tp) for tp in minimum}
            if all(got.get(tp, (1, -1))[1] >= want for tp, want in minimum.items()):
                return got
        except (OSError, ConnectionError, struct.error) as e:
            last = repr(e)
        time.sleep(0.05)  # poll interval of a bounded wait
    raise AssertionError(f"end offsets did not reach {minimum} within {timeout}s (last: {last})")


def metadata_v1(port, timeout=2.0):
    """One Metadata v1 request for all topics. Returns
    {"brokers": {node_id: (host, port)}, "topics": {name: (error, {partition: (error, leader)})}}."""
    r = _request(port, 3, 1, struct.pack(">i", -1), timeout)
    brokers = {}
    for _ in range(r.take(">i")):
        node, host, bport = r.take(">i"), r.string(), r.take(">i")
        r.string()  # rack
        brokers[node] = (host, bport)
    r.take(">i")  # controller id
    topics = {}
    for _ in range(r.take(">i")):
        error, name = r.take(">h"), r.string()
        r.take(">b")  # is_internal
        partitions = {}
        for _ in range(r.take(">i")):
            perror, index, leader = r.take(">h"), r.take(">i"), r.take(">i")
            r.array(lambda: r.take(">i"))  # replicas
            r.array(lambda: r.take(">i"))  # isr
            partitions[index] = (perror, leader)
        topics[name] = (error, partitions)
    return {"brokers": brokers, "topics": topics}


# --- On-disk record batches (Kafka's log format; storage/README.md) ------------------------------


def batches_on_disk(data_dir, topic, partition):
    """Header fields of every record batch in <data_dir>/<topic>-<partition>/*.log, in file order:
    list of dicts with base_offset, last_offset_delta, attributes, codec (attributes & 7) and
    record_count. Only meaningful while the broker is stopped or after the data was served."""
    part_dir = os.path.join(data_dir, f"{topic}-{partition}")
    out = []
    for name in sorted(n for n in os.listdir(part_dir) if n.endswith(".log")):
        with open(os.path.join(part_dir, name), "rb") as f:
            data = f.read()
        pos = 0
        while pos + 61 <= len(data):
            base_offset, length = struct.unpack_from(">qi", data, pos)
            if length <= 0:
                break  # preallocated zeros at the tail
            (attributes,) = struct.unpack_from(">h", data, pos + 21)
            (last_delta,) = struct.unpack_from(">i", data, pos + 23)
            (count,) = struct.unpack_from(">i", data, pos + 57)
            out.append(
                {
                    "base_offset": base_offset,
                    "last_offset_delta": last_delta,
                    "attributes": attributes,
                    "codec": attributes & 7,
                    "record_count": count,
                }
            )
            pos += 12 + length
    return out


# --- The process ---------------------------------------------------------------------------------


class Ferryd:
    """One single-node ferryd. Use as a context manager or call close()."""

    def __init__(self, overrides=(), binary=None):
        self.binary = binary or os.environ.get("FERRYD")
        if not self.binary or not os.access(self.binary, os.X_OK):
            raise HarnessError(f"FERRYD must point at the ferryd binary (got {self.binary!r})")
        self.dir = tempfile.mkdtemp(prefix="ferry-interop-")
        self.data_dir = os.path.join(self.dir, "data")
        self.log_path = os.path.join(self.dir, "ferryd.log")
        self.extra_overrides = list(overrides)
        self.kafka_port, self.controller_port = pick_free_ports(2)
        self.proc = None
        self.starts = 0

    @property
    def bootstrap(self):
        return f"127.0.0.1:{self.kafka_port}"

    def _args(self):
        overrides = [
            "node.id=1",
            f"listeners=PLAINTEXT://127.0.0.1:{self.kafka_port},"
            f"CONTROLLER://127.0.0.1:{self.controller_port}",
            f"controller.quorum.voters=1@127.0.0.1:{self.controller_port}",
            f"log.dirs={self.data_dir}",
            # Known: a restarted broker re-registers only after the old session expires.
            "broker.session.timeout.ms=2000",
            "broker.heartbeat.interval.ms=500",
            f"log.level={os.environ.get('FERRY_INTEROP_LOG_LEVEL', 'debug')}",
        ] + self.extra_overrides
        args = [self.binary]
        for o in overrides:
            args += ["--override", o]
        return args

    def _spawn(self):
        args = self._args()
        if _SETPRIV:
            # ferryd dies with the test process, even when CTest kills that on a timeout.
            args = [_SETPRIV, "--pdeathsig", "KILL", "--"] + args
        with open(self.log_path, "ab") as log:
            log.write(f"---- start #{self.starts + 1}: {' '.join(args)}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        self.starts += 1

    def start(self, topics=None, timeout=30.0):
        """Starts ferryd and waits until ready (see wait_ready). The very first start retries with
        new ports if the process dies at once (another process took a port we picked)."""
        if self.proc is not None:
            raise HarnessError("ferryd already running")
        first_start = self.starts == 0
        for attempt in range(3):
            self._spawn()
            try:
                self.wait_ready(topics, timeout)
                return
            except HarnessError:
                died_at_once = self.proc.poll() is not None
                if not (first_start and died_at_once) or attempt == 2:
                    if self.proc.poll() is None:
                        self.kill9()
                    self.proc = None
                    raise
                self.proc = None
                self.kafka_port, self.controller_port = pick_free_ports(2)

    def wait_ready(self, topics=None, timeout=30.0):
        """Bounded wait until Metadata lists broker 1 and every partition of `topics` (a dict
        name -> partition count, or None) has leader 1 without error."""
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise self.failure(f"ferryd exited with {self.proc.returncode} before ready")
            try:
                md = metadata_v1(self.kafka_port)
                missing = self._not_ready(md, topics or {})
                if missing is None:
                    return md
                last = missing
            except (OSError, ConnectionError, struct.error) as e:
                last = f"metadata failed: {e!r}"
            time.sleep(0.05)  # poll interval of a bounded wait, not synchronisation
        raise self.failure(f"not ready within {timeout}s: {last}")

    @staticmethod
    def _not_ready(md, topics):
        if 1 not in md["brokers"]:
            return f"broker 1 not listed: {md['brokers']}"
        for name, count in topics.items():
            if name not in md["topics"]:
                return f"topic {name} not listed"
            error, partitions = md["topics"][name]
            if error != 0 or len(partitions) != count:
                return f"topic {name}: error {error}, {len(partitions)}/{count} partitions"
            for p, (perror, leader) in sorted(partitions.items()):
                if perror != 0 or leader != 1:
                    return f"{name}-{p}: error {perror}, leader {leader}"
        return None

    def stop(self, timeout=30.0):
        """Graceful stop (SIGTERM); ferryd must exit 0 within `timeout`."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None
            raise self.failure(f"ferryd did not exit within {timeout}s of SIGTERM")
        self.proc = None
        if code != 0:
            raise self.failure(f"ferryd exited with {code} after SIGTERM")

    def kill9(self):
        """Crash: SIGKILL and reap."""
        self.proc.kill()
        self.proc.wait(10)
        self.proc = None

    def restart(self, graceful, topics=None, timeout=30.0):
        if graceful:
            self.stop()
        else:
            self.kill9()
        self.start(topics, timeout)

    def log_tail(self, lines=60):
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def failure(self, message):
        state = ""
        if self.proc is not None and self.proc.poll() is not None:
            state = f" [ferryd is not running: it exited by itself with {self.proc.returncode}]"
        return HarnessError(
            f"{message}{state}\n--- ferryd log tail ({self.log_path}):\n{self.log_tail()}")

    def close(self):
        """Stops ferryd (SIGKILL) and removes the temp dir. Raises if ferryd had exited by itself
        (a crash the test did not cause), with its exit status and log tail."""
        died = None
        if self.proc is not None:
            if self.proc.poll() is not None:
                died = self.failure(f"ferryd died during the test (exit {self.proc.returncode})")
                self.proc = None
            else:
                self.kill9()
        if os.environ.get("FERRY_KEEP_TEST_DIRS"):
            print(f"kept test dir {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        if died is not None:
            raise died

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def wait_until(predicate, timeout, what, interval=0.05):
    """Polls `predicate` until it returns a truthy value (returned) or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
