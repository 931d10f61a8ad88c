#!/usr/bin/env python3
"""Records the Kafka request frames real clients send, for the codec's golden tests.

    /usr/bin/python3 capture.py --ferryd build/broker/ferryd --out tests/broker/protocol/golden

Starts a ferryd that advertises a recording proxy's port (so every client connection passes
through the proxy), runs each client's usual operations (metadata, admin, produce with every
codec, fetch, list offsets), and writes <client>.frames: one line per distinct
(api key, version) request, "<key> <version> <hex of the frame without its size prefix>".
Re-run it when a client or the set of supported versions changes; the output is test data.
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "../../../.."))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """A TCP proxy that keeps the first request frame of each (api key, version)."""

    def __init__(self, listen_port, upstream_port):
        self.frames = {}
        self.lock = threading.Lock()
        self.upstream = upstream_port
        self.server = socket.create_server(("127.0.0.1", listen_port))
        threading.Thread(target=self.accept, daemon=True).start()

    def take(self):
        with self.lock:
            frames, self.frames = self.frames, {}
        return frames

    def accept(self):
        while True:
            client, _ = self.server.accept()
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream))
            except OSError:  # ferryd not listening yet: the client retries
                client.close()
                continue
            threading.Thread(target=self.client_to_server, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self.pipe, args=(upstream, client), daemon=True).start()

    def client_to_server(self, src, dst):
        buf = b""
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
                buf += data
                while len(buf) >= 4:
                    size = int.from_bytes(buf[:4], "big")
                    if len(buf) < 4 + size:
                        break
                    frame, buf = buf[4:4 + size], buf[4 + size:]
                    key, version = int.from_bytes(frame[0:2], "big"), int.from_bytes(frame[2:4], "big")
                    if len(frame) <= 256 * 1024:
                        with self.lock:
                            self.frames.setdefault((key, version), frame)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def pipe(self, src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, timeout=120, **kw)
    if r.returncode != 0:
        raise SystemExit(f"{cmd[:3]} failed: {r.stderr.decode()[-1500:]}")
    return r


PY_KAFKA = """
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic, ConfigResource, ConfigResourceType
b = "127.0.0.1:%d"
a = KafkaAdminClient(bootstrap_servers=b)
a.create_topics([NewTopic("gp", 1, 1, topic_configs={"retention.ms": "100000"})])
a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "gp")])
p = KafkaProducer(bootstrap_servers=b, acks="all")
p.send("gp", key=b"k", value=b"v", headers=[("h", b"x")]).get(10)
p.flush()
c = KafkaConsumer(bootstrap_servers=b, consumer_timeout_ms=2000)
c.assign([TopicPartition("gp", 0)]); c.seek_to_beginning()
list(c)
a.delete_topics(["gp"])
"""

CONFLUENT = """
from confluent_kafka import Producer, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic, ConfigResource, NewPartitions
b = "127.0.0.1:%d"
a = AdminClient({"bootstrap.servers": b})
for f in a.create_topics([NewTopic("gc", 1, 1)]).values(): f.result()
for f in a.create_partitions([NewPartitions("gc", 2)]).values(): f.result()
for f in a.describe_configs([ConfigResource("topic", "gc")]).values(): f.result()
for f in a.alter_configs([ConfigResource("topic", "gc", set_config={"retention.ms": "200000"})]).values(): f.result()
p = Producer({"bootstrap.servers": b, "compression.type": "gzip"})
p.produce("gc", key="k", value="v" * 100, partition=0); p.flush(10)
c = Consumer({"bootstrap.servers": b, "group.id": "unused", "enable.auto.commit": False})
c.assign([TopicPartition("gc", 0, 0)])
for _ in range(20):
    m = c.poll(0.5)
    if m is not None and not m.error(): break
c.get_watermark_offsets(TopicPartition("gc", 0))
c.close()
for f in a.delete_topics(["gc"]).values(): f.result()
"""

KAFKAJS = """
const { Kafka, logLevel } = require(%r);
(async () => {
  const kafka = new Kafka({ brokers: ['127.0.0.1:%d'], logLevel: logLevel.NOTHING });
  const admin = kafka.admin(); await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'gj', numPartitions: 1 }], waitForLeaders: true });
  await admin.fetchTopicOffsets('gj');
  await admin.describeConfigs({ resources: [{ type: 2, name: 'gj' }], includeSynonyms: false });
  const p = kafka.producer(); await p.connect();
  await p.send({ topic: 'gj', acks: -1, messages: [{ key: 'k', value: 'v', headers: { h: 'x' } }] });
  await admin.deleteTopics({ topics: ['gj'] });
  await p.disconnect(); await admin.disconnect(); process.exit(0);
})().catch(e => { console.error(e); process.exit(1); });
"""

PLATFORMATIC = """
import { Producer, Consumer, Admin, stringSerializers, stringDeserializers } from %r;
const brokers = ['127.0.0.1:%d'];
const admin = new Admin({ clientId: 'g', bootstrapBrokers: brokers });
await admin.createTopics({ topics: ['gl'], partitions: 1, replicas: 1 });
const producer = new Producer({ clientId: 'g', bootstrapBrokers: brokers, serializers: stringSerializers });
await producer.send({ messages: [{ topic: 'gl', key: 'k', value: 'v', partition: 0 }] });
const consumer = new Consumer({ clientId: 'g', groupId: 'unused', bootstrapBrokers: brokers, deserializers: stringDeserializers });
const offsets = await consumer.listOffsets({ topics: ['gl'] });
await admin.deleteTopics({ topics: ['gl'] });
await producer.close(); await consumer.close(); await admin.close();
process.exit(0);
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ferryd", required=True)
    ap.add_argument("--out", default=HERE)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="ferry-capture-")
    kafka, ctrl, proxy = free_port(), free_port(), free_port()
    recorder = Recorder(proxy, kafka)
    log = open(os.path.join(tmp, "ferryd.log"), "w")
    ferryd = subprocess.Popen([args.ferryd,
                               "--override", f"listeners=PLAINTEXT://127.0.0.1:{kafka},CONTROLLER://127.0.0.1:{ctrl}",
                               "--override", f"advertised.listeners=PLAINTEXT://127.0.0.1:{proxy}",
                               "--override", f"controller.quorum.voters=1@127.0.0.1:{ctrl}",
                               "--override", f"log.dirs={tmp}/data"], stdout=log, stderr=log)
    try:
        for _ in range(300):
            if subprocess.run(["kcat", "-L", "-b", f"127.0.0.1:{proxy}", "-m", "1"],
                              capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        recorder.take()
        js = os.path.join(ROOT, "tests/interop/js/node_modules")
        sessions = {
            "kcat": lambda: [run(["kcat", "-P", "-b", f"127.0.0.1:{proxy}", "-t", "gk", "-z", z, "-K:"],
                                 input=b"k:" + b"v" * 200 + b"\n") for z in ("none", "gzip", "snappy", "zstd")]
                            + [run(["kcat", "-C", "-b", f"127.0.0.1:{proxy}", "-t", "gk", "-o", "beginning", "-e"])],
            "kafka_python": lambda: run(["/usr/bin/python3", "-c", PY_KAFKA % proxy]),
            "confluent_kafka": lambda: run(["/usr/bin/python3", "-c", CONFLUENT % proxy]),
            "kafkajs": lambda: run(["node", "-e", KAFKAJS % (os.path.join(js, "kafkajs"), proxy)]),
            "platformatic": lambda: run(["node", "--input-type=module", "-e",
                                         PLATFORMATIC % (os.path.join(js, "@platformatic/kafka/dist/index.js"), proxy)]),
        }
        for name, session in sessions.items():
            session()
            time.sleep(0.5)  # let the proxy threads finish reading what was sent
            frames = recorder.take()
            with open(os.path.join(args.out, f"{name}.frames"), "w") as f:
                f.write(f"# Kafka request frames sent by {name}; generated by capture.py\n")
                for (key, version), frame in sorted(frames.items()):
                    f.write(f"{key} {version} {frame.hex()}\n")
            print(f"{name}: {len(frames)} distinct (api, version) requests")
    finally:
        ferryd.terminate()
        ferryd.wait(20)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
