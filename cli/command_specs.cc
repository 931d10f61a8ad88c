#include "cli/command_specs.h"

#include "common/assert.h"

namespace ferry::cli {
namespace {

constexpr FlagSpec kGlobalFlags[] = {
    {"brokers", 0, "HOST:PORT,...", false,
     "bootstrap brokers (default: $FERRY_BROKERS, then `brokers=` in the profile, then "
     "127.0.0.1:9092)"},
    {"format", 0, "table|json", false, "output format (default table)"},
    {"timeout", 0, "DURATION", false,
     "bound for every network operation, e.g. 500ms, 10s, 2m (default 10s; for `consume`: "
     "exit after this long without a record)"},
    {"rdkafka", 'X', "KEY=VALUE", true,
     "set a librdkafka client property (e.g. -X security.protocol=ssl)"},
    {"verbose", 'v', "", false, "show librdkafka's log lines on stderr"},
    {"help", 'h', "", false, "show help for the command"},
};

constexpr FlagSpec kTopicCreateFlags[] = {
    {"partitions", 'p', "N", false, "number of partitions (default: the broker's num.partitions)"},
    {"replicas", 'r', "N", false,
     "replication factor (default: the broker's default.replication.factor)"},
    {"config", 'c', "KEY=VALUE", true, "a topic config, e.g. -c retention.ms=86400000"},
    {"dry-run", 0, "", false, "ask the broker to validate only (nothing is created)"},
};

constexpr FlagSpec kTopicListFlags[] = {
    {"internal", 'i', "", false, "include internal topics (__consumer_offsets, ...)"},
};

constexpr FlagSpec kTopicAlterFlags[] = {
    {"set", 0, "KEY=VALUE", true, "set a topic config"},
    {"delete", 0, "KEY", true, "remove a topic config (it falls back to the broker default)"},
    {"dry-run", 0, "", false, "ask the broker to validate only (nothing is changed)"},
};

constexpr FlagSpec kAddPartitionsFlags[] = {
    {"num", 'n', "N", false, "how many partitions to ADD (not the new total)"},
    {"dry-run", 0, "", false, "ask the broker to validate only (nothing is changed)"},
};

constexpr FlagSpec kProduceFlags[] = {
    {"key", 'k', "KEY", false, "the key of every record"},
    {"parse-key", 0, "", false, "split each line at the key separator into KEY and VALUE"},
    {"key-separator", 0, "SEP", false, "separator for --parse-key (default: a tab)"},
    {"header", 'H', "KEY=VALUE", true, "add a header to every record"},
    {"partition", 'p', "N", false, "produce to this partition (default: the key's hash)"},
    {"acks", 0, "all|-1|0|1", false, "required acknowledgements (default all)"},
    {"compression", 'z', "CODEC", false, "none, gzip, snappy, lz4 or zstd (default none)"},
};

constexpr FlagSpec kConsumeFlags[] = {
    {"from-beginning", 0, "", false, "start at the earliest offset (same as --offset beginning)"},
    {"offset", 'o', "OFFSET", false,
     "start at N, -N (N before the end), beginning or end (default end)"},
    {"partition", 'p', "N", false, "consume only this partition"},
    {"count", 'n', "N", false, "exit after N records"},
    {"exit-at-end", 'e', "", false, "exit once every partition has been read to its end"},
    {"group", 'g', "ID", false, "join this consumer group (subscribe) and commit offsets"},
    {"print-key", 0, "", false, "print the key before the value"},
    {"print-headers", 0, "", false, "print the headers (k:v,k2:v2 or NO_HEADERS)"},
    {"print-timestamp", 0, "", false, "print CreateTime:<ms> or LogAppendTime:<ms>"},
    {"print-partition", 0, "", false, "print Partition:<n>"},
    {"print-offset", 0, "", false, "print Offset:<n>"},
    {"key-separator", 0, "SEP", false, "separator after each printed field (default: a tab)"},
};

constexpr FlagSpec kQuorumFlags[] = {
    {"controllers", 0, "HOST:PORT,...", false,
     "controller listeners to ask, `id@host:port` also accepted (default: $FERRY_CONTROLLERS, "
     "then `controllers=` in the profile, then 127.0.0.1:9093)"},
    {"status", 0, "", false, "show the quorum's status (leader, epoch, high watermark, lag)"},
    {"replication", 0, "", false, "show each voter's and observer's replication progress"},
};

constexpr FlagSpec kGroupSeekFlags[] = {
    {"topic", 't', "TOPIC[:P,...]", true, "the partitions to move (default: all of TOPIC)"},
    {"to", 0, "earliest|latest|OFFSET", false, "move to the log start, the log end or OFFSET"},
    {"to-timestamp", 0, "MS", false,
     "move to the first record with a timestamp >= MS (epoch milliseconds)"},
    {"shift-by", 0, "N", false, "move the committed offset by N (negative: back)"},
    {"execute", 0, "", false, "apply the change (without it, only show what would change)"},
};

constexpr FlagSpec kGroupOffsetDeleteFlags[] = {
    {"topic", 't', "TOPIC[:P,...]", true, "the partitions whose offsets go (default: all)"},
};

constexpr CommandSpec kCommands[] = {
    {CommandId::kTopicCreate, "topic create", "TOPIC...", 1, -1, "Create topics",
     "Creates one or more topics with CreateTopics. Without -p/-r the broker's defaults apply.\n"
     "Example: ferry topic create orders -p 6 -c retention.ms=86400000",
     kTopicCreateFlags},
    {CommandId::kTopicList, "topic list", "", 0, 0, "List topics",
     "Lists the topics in the cluster with their partition count and replication factor.",
     kTopicListFlags},
    {CommandId::kTopicDescribe,
     "topic describe",
     "TOPIC...",
     1,
     -1,
     "Describe topics: partitions, leaders, replicas, ISR, watermarks and configs",
     "Shows each partition's leader, replicas, in-sync replicas and log start / high watermark\n"
     "offsets (Metadata + ListOffsets), and every topic config with its source\n"
     "(DescribeConfigs: DYNAMIC_TOPIC_CONFIG, STATIC_BROKER_CONFIG, DEFAULT_CONFIG, ...).",
     {}},
    {CommandId::kTopicDelete,
     "topic delete",
     "TOPIC...",
     1,
     -1,
     "Delete topics",
     "Deletes one or more topics with DeleteTopics.",
     {}},
    {CommandId::kTopicAlterConfig, "topic alter-config", "TOPIC...", 1, -1,
     "Set or remove topic configs",
     "Changes topic configs with the AlterConfigs API (librdkafka 2.0.2 has no\n"
     "IncrementalAlterConfigs). AlterConfigs is NOT incremental: it replaces the whole set of\n"
     "dynamic configs of the topic. So ferry first reads the current dynamic configs\n"
     "(DescribeConfigs, source DYNAMIC_TOPIC_CONFIG), applies --set and --delete to them and\n"
     "sends the merged set. Two consequences: a concurrent change made between the read and\n"
     "the write is lost, and a topic with a sensitive dynamic config (whose value the broker\n"
     "never returns) is refused rather than silently erased. Deleting a key that is not set\n"
     "is not an error.\n"
     "Example: ferry topic alter-config orders --set retention.ms=1000 --delete cleanup.policy",
     kTopicAlterFlags},
    {CommandId::kTopicAddPartitions, "topic add-partitions", "TOPIC...", 1, -1,
     "Add partitions to topics",
     "Adds partitions with CreatePartitions. --num is the number of partitions to ADD (rpk's\n"
     "meaning), not the new total: a topic with 3 partitions has 5 after --num 2. ferry reads\n"
     "the current count from Metadata and sends current + N as the new total.\n"
     "Example: ferry topic add-partitions orders --num 3",
     kAddPartitionsFlags},
    {CommandId::kProduce, "produce", "TOPIC", 1, 1, "Produce records read from stdin, one per line",
     "Reads stdin line by line and produces one record per line (the newline is not part of\n"
     "the value). With --parse-key each line is KEY<separator>VALUE (split at the first\n"
     "separator; a line without one is reported and skipped). Each delivered record is\n"
     "reported with its partition and offset; delivery errors are reported per line and make\n"
     "the exit status 1. Records are bounded by --timeout (message.timeout.ms).\n"
     "Example: printf 'k1\\tv1\\n' | ferry produce orders --parse-key -H source=cli",
     kProduceFlags},
    {CommandId::kConsume, "consume", "TOPIC...", 1, -1, "Print records from topics",
     "Without --group, assigns every partition (or --partition) directly, with no consumer\n"
     "group and no commits. With --group, subscribes as a member of the group and commits the\n"
     "offsets of the records it printed; --from-beginning then only applies when the group has\n"
     "no committed offset (auto.offset.reset=earliest).\n"
     "Stops after --count records, at the end of every partition with --exit-at-end, after\n"
     "--timeout without a record when --timeout is given, or on SIGINT/SIGTERM.\n"
     "Text output follows kafka-console-consumer: [timestamp] [partition] [offset] [headers]\n"
     "[key] value, each printed field followed by the key separator. With --format json,\n"
     "one JSON object per line: topic, partition, offset, timestamp, timestamp_type, key,\n"
     "value, headers (a null key or value is null).",
     kConsumeFlags},
    {CommandId::kClusterInfo,
     "cluster info",
     "",
     0,
     0,
     "Show the cluster id, controller and brokers",
     "Shows the cluster id, the controller id and every broker (Metadata).",
     {}},
    {CommandId::kClusterQuorum, "cluster quorum", "", 0, 0,
     "Describe the controller quorum (like kafka-metadata-quorum describe)",
     "Asks the controllers' gRPC listener (not the Kafka port) for the Raft quorum: the leader\n"
     "(active controller), its epoch and high watermark, and each voter's log end offset, lag\n"
     "and last contact. The addresses are tried in order until one answers; a follower\n"
     "forwards to the leader. --status and --replication pick one part (default: both), as\n"
     "kafka-metadata-quorum describe --status / --replication do.",
     kQuorumFlags},
    {CommandId::kGroupList,
     "group list",
     "",
     0,
     0,
     "List consumer groups",
     "Lists the groups of every broker (ListGroups) with their state.",
     {}},
    {CommandId::kGroupDescribe,
     "group describe",
     "GROUP...",
     1,
     -1,
     "Show a group's members, committed offsets and lag",
     "Shows each group's state, coordinator and protocol (DescribeGroups), its members with\n"
     "their client id, host and assignment, and per partition the committed offset\n"
     "(OffsetFetch), the log end offset (ListOffsets), the lag and the member it is assigned\n"
     "to; then the total lag.",
     {}},
    {CommandId::kGroupSeek, "group seek", "GROUP", 1, 1, "Move a group's committed offsets",
     "Like kafka-consumer-groups --reset-offsets: computes each selected partition's new\n"
     "offset (--to earliest|latest|OFFSET, --to-timestamp MS or --shift-by N, clamped to the\n"
     "log start and end) and shows old and new. Nothing changes without --execute. Refused\n"
     "while the group has members (their next commit would undo it): stop them first.\n"
     "Example: ferry group seek billing --topic orders --to earliest --execute",
     kGroupSeekFlags},
    {CommandId::kGroupDelete,
     "group delete",
     "GROUP...",
     1,
     -1,
     "Delete consumer groups and their offsets",
     "Deletes empty groups with their committed offsets (DeleteGroups); a group with members\n"
     "is refused with NON_EMPTY_GROUP.",
     {}},
    {CommandId::kGroupOffsetDelete, "group offset-delete", "GROUP", 1, 1,
     "Delete a group's committed offsets of some partitions",
     "Deletes the group's offsets of the selected partitions (OffsetDelete). Refused for\n"
     "topics a live member subscribes to (GROUP_SUBSCRIBED_TO_TOPIC).\n"
     "Example: ferry group offset-delete billing --topic orders:0,1",
     kGroupOffsetDeleteFlags},
    {CommandId::kVersion, "version", "", 0, 0, "Show ferry's and librdkafka's versions", "", {}},
    {CommandId::kHelp, "help", "[COMMAND...]", 0, -1, "Show help for a command", "", {}},
};

constexpr GroupSpec kGroups[] = {
    {"topic", "Create, list, describe, delete and configure topics"},
    {"cluster", "Inspect the cluster"},
    {"group", "List, describe, move and delete consumer groups"},
};

}  // namespace

std::span<const CommandSpec> command_specs() {
  return kCommands;
}
std::span<const FlagSpec> global_flags() {
  return kGlobalFlags;
}
std::span<const GroupSpec> command_groups() {
  return kGroups;
}

const CommandSpec* find_command(std::string_view path) {
  for (const auto& spec : kCommands) {
    if (spec.path == path) return &spec;
  }
  return nullptr;
}

const CommandSpec& command_spec(CommandId id) {
  for (const auto& spec : kCommands) {
    if (spec.id == id) return spec;
  }
  FERRY_PANIC("no command spec for id {}", static_cast<int>(id));
}

bool is_group(std::string_view path) {
  if (path.empty()) return true;
  for (const auto& spec : kCommands) {
    if (spec.path.size() > path.size() && spec.path.starts_with(path) &&
        spec.path[path.size()] == ' ') {
      return true;
    }
  }
  return false;
}

}  // namespace ferry::cli
