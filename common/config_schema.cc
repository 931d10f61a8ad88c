// The configuration schema table: the one source of truth for every key (see config.h).
#include <array>

#include "common/config.h"

namespace ferry::config {

namespace {
constexpr int64_t kIntMax = 2147483647;

// clang-format off
constexpr std::array kSchema = {
  // ---- Node and roles -------------------------------------------------------------------------
  KeySpec{"node.id", Type::kInt, "1",
    "The id of this node (broker and/or controller). Unique in the cluster.", "", 0, kIntMax},
  KeySpec{"process.roles", Type::kList, "broker,controller",
    "The roles of this process: broker, controller, or both (the default for small clusters).",
    "", INT64_MIN, INT64_MAX, "broker,controller"},
  KeySpec{"listeners", Type::kList, "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093",
    "Listeners as NAME://host:port. The broker serves Kafka clients on every listener not named in "
    "controller.listener.names; the controller serves the internal gRPC API on that one."},
  KeySpec{"advertised.listeners", Type::kList, "",
    "Client listeners published in metadata, as NAME://host:port. Empty: the client listeners."},
  KeySpec{"controller.listener.names", Type::kList, "CONTROLLER",
    "The listener name(s) used by the controller quorum."},
  KeySpec{"controller.quorum.voters", Type::kList, "1@127.0.0.1:9093",
    "The controller quorum as id@host:port entries."},
  KeySpec{"controller.quorum.election.timeout.ms", Type::kInt, "1000",
    "Raft election timeout of the controller quorum; the effective timeout is randomised in "
    "[T, 2T).", "", 10, kIntMax},
  KeySpec{"controller.quorum.heartbeat.interval.ms", Type::kInt, "100",
    "How often the active controller heartbeats the other voters.", "", 1, kIntMax},
  KeySpec{"broker.rack", Type::kString, "", "The rack of this broker, for rack-aware placement."},
  KeySpec{"broker.heartbeat.interval.ms", Type::kInt, "250",
    "How often a broker heartbeats the active controller (Kafka: 2000).", "", 1, kIntMax},
  KeySpec{"broker.session.timeout.ms", Type::kInt, "2000",
    "A broker that has not heartbeated for this long is fenced and loses its leaderships; a "
    "broker stops leading this long after the send time of its last successful heartbeat (its "
    "lease). Kafka's default is 9000; Ferry's is short so that a leader that stops answering "
    "(host down, network partition) is replaced within about 3 s; a killed process on a running "
    "host is usually fenced sooner (broker.liveness.probe.after.ms). Raise it where brokers may "
    "pause longer (overloaded disks, VM stalls): a pause longer than this moves the broker's "
    "leaderships away.",
    "", 1, kIntMax},
  KeySpec{"broker.liveness.probe.after.ms", Type::kInt, "500",
    "After this long without a heartbeat from a broker, the active controller opens a TCP "
    "connection to each of the broker's registered listeners. If every one is refused (the host "
    "answers but no process listens: the broker was killed or crashed) the broker is fenced at "
    "once instead of at broker.session.timeout.ms, so its leaderships move in about this long. "
    "A probe that connects, times out or cannot reach the host proves nothing and the session "
    "runs its course. 0 disables probing. Ferry only; Kafka always waits for the session.",
    "", 0, kIntMax},
  KeySpec{"log.dirs", Type::kList, "./ferry-data",
    "Directories holding partition logs. The first also holds the controller metadata unless "
    "metadata.log.dir is set."},
  KeySpec{"metadata.log.dir", Type::kString, "",
    "Directory of the controller's metadata store. Empty: <first log dir>/__cluster_metadata."},
  KeySpec{"metadata.log.max.record.bytes.between.snapshots", Type::kLong, "20971520",
    "The controller snapshots the metadata state and compacts its log once this many bytes of "
    "records were applied since the last snapshot.", "", 1},
  KeySpec{"metadata.log.snapshot.retain.entries", Type::kInt, "1000",
    "Log entries the controller keeps below its latest snapshot, so that a briefly lagging voter "
    "or broker catches up from the log instead of a snapshot transfer.", "", 0, kIntMax},
  KeySpec{"log.level", Type::kString, "info", "Log level.", "", INT64_MIN, INT64_MAX,
    "trace,debug,info,warn,error,off"},

  // ---- Network ------------------------------------------------------------------------------
  KeySpec{"num.network.threads", Type::kInt, "2",
    "Threads serving client connections (decode, handle, encode).", "", 1, 256},
  KeySpec{"socket.request.max.bytes", Type::kInt, "104857600",
    "The largest request frame accepted; larger ones close the connection.", "", 1, kIntMax},
  KeySpec{"connections.max.idle.ms", Type::kLong, "600000",
    "Idle client connections are closed after this long.", "", 1},

  // ---- Topics and partitions -----------------------------------------------------------------
  KeySpec{"num.partitions", Type::kInt, "1", "Default partition count of new topics.", "", 1,
    kIntMax},
  KeySpec{"default.replication.factor", Type::kShort, "1",
    "Default replication factor of new topics (deploy/local-cluster.sh sets 3 for its three "
    "nodes).", "", 1, 32767},
  KeySpec{"auto.create.topics.enable", Type::kBoolean, "true",
    "Create unknown topics on Metadata requests that allow it (and on Produce)."},
  KeySpec{"delete.topic.enable", Type::kBoolean, "true", "Allow deleting topics."},
  KeySpec{"unclean.leader.election.enable", Type::kBoolean, "false",
    "Allow electing a leader from outside the ISR when no ISR member is alive (may lose data).",
    "unclean.leader.election.enable"},
  KeySpec{"min.insync.replicas", Type::kInt, "1",
    "acks=all produces need at least this many in-sync replicas.", "min.insync.replicas", 1,
    kIntMax},

  // ---- Logs (per-topic defaults) --------------------------------------------------------------
  KeySpec{"log.cleanup.policy", Type::kList, "delete",
    "delete: drop old segments by retention.ms/retention.bytes. compact: the log cleaner keeps "
    "the latest record of every key (a compact-only topic is never retained by time or size). "
    "Both may be given.", "cleanup.policy", INT64_MIN, INT64_MAX,
    "delete,compact"},
  KeySpec{"log.cleaner.min.cleanable.ratio", Type::kDouble, "0.5",
    "Compacted topics: clean a partition once its dirty bytes are more than this share of its "
    "cleanable bytes.", "min.cleanable.dirty.ratio", 0, 1},
  KeySpec{"log.cleaner.delete.retention.ms", Type::kLong, "86400000",
    "Compacted topics: how long a tombstone (a null value) is kept after the cleaner first "
    "kept it (KIP-534), so consumers reading the log see the delete.", "delete.retention.ms", 0},
  KeySpec{"log.cleaner.min.compaction.lag.ms", Type::kLong, "0",
    "Compacted topics: records newer than this are never cleaned.", "min.compaction.lag.ms", 0},
  KeySpec{"log.cleaner.max.compaction.lag.ms", Type::kLong, "9223372036854775807",
    "Compacted topics: a dirty segment older than this is cleaned whatever the dirty ratio.",
    "max.compaction.lag.ms", 1},
  KeySpec{"log.retention.ms", Type::kLong, "604800000",
    "Delete segments whose newest record is older than this (-1: keep forever).", "retention.ms",
    -1},
  KeySpec{"log.retention.bytes", Type::kLong, "-1",
    "Delete the oldest segments while a partition is larger than this (-1: no limit).",
    "retention.bytes", -1},
  KeySpec{"log.segment.bytes", Type::kInt, "1073741824", "Roll a new segment at this size.",
    "segment.bytes", 14, kIntMax},
  KeySpec{"log.roll.ms", Type::kLong, "604800000",
    "Roll a new segment when the active one is this old.", "segment.ms", 1},
  KeySpec{"log.index.interval.bytes", Type::kInt, "4096",
    "Bytes between offset-index entries.", "index.interval.bytes", 0, kIntMax},
  KeySpec{"message.max.bytes", Type::kInt, "1048588",
    "The largest record batch accepted.", "max.message.bytes", 0, kIntMax},
  KeySpec{"log.message.timestamp.type", Type::kString, "CreateTime",
    "CreateTime keeps the producer's timestamps; LogAppendTime stamps the broker's time.",
    "message.timestamp.type", INT64_MIN, INT64_MAX, "CreateTime,LogAppendTime"},
  KeySpec{"log.message.timestamp.before.max.ms", Type::kLong, "9223372036854775807",
    "CreateTime topics: refuse (INVALID_TIMESTAMP) a record whose timestamp is more than this "
    "before the broker's clock (KIP-937). The maximum means no bound (then "
    "message.timestamp.difference.max.ms applies).", "message.timestamp.before.max.ms", 0},
  KeySpec{"log.message.timestamp.after.max.ms", Type::kLong, "9223372036854775807",
    "CreateTime topics: refuse (INVALID_TIMESTAMP) a record whose timestamp is more than this "
    "after the broker's clock (KIP-937). The maximum means no bound (then "
    "message.timestamp.difference.max.ms applies).", "message.timestamp.after.max.ms", 0},
  KeySpec{"log.message.timestamp.difference.max.ms", Type::kLong, "9223372036854775807",
    "Deprecated (KIP-937): the bound on both sides when before.max.ms / after.max.ms are "
    "unset.", "message.timestamp.difference.max.ms", 0},
  KeySpec{"compression.type", Type::kString, "producer",
    "Ferry stores and serves batches exactly as produced (any codec), i.e. 'producer'.",
    "compression.type", INT64_MIN, INT64_MAX, "producer"},

  // ---- Durability and background work ------------------------------------------------------
  KeySpec{"log.flush.mode", Type::kString, "fsync",
    "fsync: acks=all is acknowledged only once the batch is fsynced (group commit) on every "
    "in-sync replica. page-cache: Kafka's behaviour, acknowledged once in memory (weaker).", "",
    INT64_MIN, INT64_MAX, "fsync,page-cache"},
  KeySpec{"log.flush.interval.ms", Type::kLong, "1000",
    "page-cache mode: how often partitions are fsynced (data acknowledged but not yet fsynced "
    "is lost on power failure). fsync mode group-commits every append at once and uses this "
    "period only as a safety net.", "", 1},
  KeySpec{"log.retention.check.interval.ms", Type::kLong, "300000",
    "How often retention runs.", "", 1},
  KeySpec{"log.cleaner.enable", Type::kBoolean, "true",
    "Run the log cleaner (one thread per log dir) for cleanup.policy=compact topics, "
    "__consumer_offsets included."},
  KeySpec{"log.cleaner.dedupe.buffer.size", Type::kLong, "134217728",
    "Memory of the cleaner's key -> offset map per pass (24 bytes per key); a dirty section "
    "with more keys is cleaned over several passes.", "", 1 << 20},
  KeySpec{"log.cleaner.io.buffer.load.factor", Type::kDouble, "0.9",
    "How full the cleaner's key map may get before a pass stops adding keys.", "", 0, 1},
  KeySpec{"log.cleaner.io.max.bytes.per.second", Type::kDouble, "104857600",
    "Bytes per second the cleaner may read plus write, so it never starves produce and fetch "
    "of the disk (Kafka's default is unlimited).", "", 1},
  KeySpec{"log.cleaner.backoff.ms", Type::kLong, "15000",
    "How long the cleaner sleeps when no partition needs cleaning.", "", 1},
  // ---- Replication ----------------------------------------------------------------------------
  KeySpec{"inter.broker.listener.name", Type::kString, "",
    "The listener followers fetch from (replica fetches are Kafka Fetch requests). Empty: the "
    "first client listener."},
  KeySpec{"replica.lag.time.max.ms", Type::kLong, "30000",
    "A follower that has not caught up with the leader's log end for this long leaves the ISR "
    "(a follower at the log end never does).", "", 1},
  KeySpec{"replica.fetch.wait.max.ms", Type::kInt, "500",
    "How long a follower's fetch waits on the leader for new data.", "", 0, kIntMax},
  KeySpec{"replica.fetch.min.bytes", Type::kInt, "1",
    "Bytes a follower's fetch waits for before the leader answers.", "", 1, kIntMax},
  KeySpec{"replica.fetch.max.bytes", Type::kInt, "1048576",
    "Bytes per partition a follower fetches at once (a larger first batch still comes whole).",
    "", 0, kIntMax},
  KeySpec{"replica.fetch.response.max.bytes", Type::kInt, "10485760",
    "Bytes a follower's fetch answer may hold in all (its memory bound per leader broker).", "",
    0, kIntMax},
  KeySpec{"replica.socket.timeout.ms", Type::kLong, "30000",
    "How long a follower waits for a fetch answer beyond replica.fetch.wait.max.ms before it "
    "drops the connection and reconnects.", "", 1},
  KeySpec{"replica.fetch.backoff.ms", Type::kInt, "100",
    "How long a follower waits after a failed fetch before trying again.", "", 0, kIntMax},
  KeySpec{"replica.high.watermark.checkpoint.interval.ms", Type::kLong, "5000",
    "How often each replica's high watermark is written to replication-offset-checkpoint.", "",
    1},
  // ---- Consumer groups (GROUPS.md; Kafka's keys and defaults) -------------------------------
  KeySpec{"offsets.topic.num.partitions", Type::kInt, "50",
    "Partitions of __consumer_offsets, created on the first FindCoordinator. A group lives on "
    "partition abs(hash(group.id)) % this: changing it after deployment moves every group.", "",
    1, kIntMax},
  KeySpec{"offsets.topic.replication.factor", Type::kInt, "3",
    "Replicas of each __consumer_offsets partition. With fewer live brokers than this the "
    "topic is created with as many replicas as there are brokers (a warning is logged).", "",
    1, 32767},
  KeySpec{"offsets.topic.segment.bytes", Type::kInt, "104857600",
    "segment.bytes of __consumer_offsets.", "", 14, kIntMax},
  KeySpec{"offsets.commit.timeout.ms", Type::kInt, "5000",
    "How long an offset commit or a group's assignment waits to be replicated to the ISR of "
    "its __consumer_offsets partition.", "", 1, kIntMax},
  KeySpec{"offsets.retention.minutes", Type::kInt, "10080",
    "How long committed offsets of an empty group (or of a topic a stable consumer group no "
    "longer subscribes to) are kept after the group emptied or the last commit (KIP-211).", "",
    1, kIntMax},
  KeySpec{"offsets.retention.check.interval.ms", Type::kLong, "600000",
    "How often expired offsets are looked for.", "", 1},
  KeySpec{"offset.metadata.max.bytes", Type::kInt, "4096",
    "The longest metadata string an offset commit may carry (OFFSET_METADATA_TOO_LARGE).", "",
    0, kIntMax},
  KeySpec{"group.min.session.timeout.ms", Type::kInt, "6000",
    "The shortest session timeout a group member may ask for (INVALID_SESSION_TIMEOUT).", "", 0,
    kIntMax},
  KeySpec{"group.max.session.timeout.ms", Type::kInt, "1800000",
    "The longest session timeout a group member may ask for (INVALID_SESSION_TIMEOUT).", "", 0,
    kIntMax},
  KeySpec{"group.initial.rebalance.delay.ms", Type::kInt, "3000",
    "How long the first rebalance of an empty group waits for more members (KIP-134).", "", 0,
    kIntMax},
  KeySpec{"group.max.size", Type::kInt, "2147483647",
    "The most members one group may have (GROUP_MAX_SIZE_REACHED).", "", 1, kIntMax},
};
// clang-format on
}  // namespace

std::span<const KeySpec> schema() {
  return kSchema;
}

}  // namespace ferry::config
