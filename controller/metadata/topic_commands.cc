// CreateTopics, DeleteTopics and CreatePartitions (see commands.h).
#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/topic_name.h"
#include "controller/metadata/commands.h"
#include "controller/metadata/placement.h"
#include "controller/metadata/state_machine.h"

namespace ferry::controller::metadata {

using controller::CreatePartitionsResult;
using controller::CreatePartitionsSpec;
using controller::CreateTopicResult;
using controller::CreateTopicSpec;
using controller::DeleteTopicResult;
using controller::DeleteTopicSpec;

namespace {

Error invalid_assignment(std::string message) {
  return Error(ErrorCode::INVALID_REPLICA_ASSIGNMENT, std::move(message));
}

// Kafka's validateManualPartitionAssignment plus the initial ISR/leader of the partition.
Result<PartitionRegistration> manual_partition(const MetadataImage& image, int32_t partition,
                                               const std::vector<NodeId>& replicas,
                                               std::optional<size_t> replication_factor) {
  if (replicas.empty()) {
    return invalid_assignment("The manual partition assignment includes an empty replica list.");
  }
  std::vector<NodeId> sorted = replicas;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (image.broker(sorted[i]) == nullptr) {
      return invalid_assignment(fmt::format(
          "The manual partition assignment includes broker {}, but no such broker is registered.",
          sorted[i]));
    }
    if (i > 0 && sorted[i] == sorted[i - 1]) {
      return invalid_assignment(fmt::format(
          "The manual partition assignment includes the broker {} more than once.", sorted[i]));
    }
  }
  if (replication_factor && replicas.size() != *replication_factor) {
    return invalid_assignment(fmt::format(
        "The manual partition assignment includes a partition with {} replica(s), but this is "
        "not consistent with previous partitions, which have {} replica(s).",
        replicas.size(), *replication_factor));
  }
  PartitionRegistration p;
  p.replicas = replicas;
  for (NodeId r : replicas) {
    if (broker_is_usable(image, r)) p.isr.push_back(r);
  }
  if (p.isr.empty()) {
    return invalid_assignment(fmt::format(
        "All brokers specified in the manual partition assignment for partition {} are fenced or "
        "in controlled shutdown.",
        partition));
  }
  p.leader = p.isr.front();
  return p;
}

PartitionRegistration automatic_partition(std::vector<NodeId> replicas) {
  PartitionRegistration p;
  p.isr = replicas;  // placement only picks usable brokers
  p.leader = replicas.front();
  p.replicas = std::move(replicas);
  return p;
}

Result<std::vector<PartitionRegistration>> manual_partitions(const MetadataImage& image,
                                                             const CreateTopicSpec& spec) {
  if (spec.replication_factor != -1) {
    return Error(ErrorCode::INVALID_REQUEST,
                 "A manual partition assignment was specified, but replication factor was not set "
                 "to -1.");
  }
  if (spec.num_partitions != -1) {
    return Error(ErrorCode::INVALID_REQUEST,
                 "A manual partition assignment was specified, but numPartitions was not set to "
                 "-1.");
  }
  std::vector<PartitionRegistration> parts;
  std::optional<size_t> rf;
  int32_t expected = 0;
  for (const auto& [partition, replicas] : spec.assignments) {  // std::map: sorted by index
    if (partition != expected++) {
      return invalid_assignment("partitions should be a consecutive 0-based integer sequence");
    }
    FERRY_ASSIGN_OR_RETURN(auto p, manual_partition(image, partition, replicas, rf));
    rf = replicas.size();
    parts.push_back(std::move(p));
  }
  return parts;
}

Result<std::vector<PartitionRegistration>> placed_partitions(const MetadataImage& image,
                                                             const CreateTopicSpec& spec,
                                                             const CommandConfig& config,
                                                             Random& random) {
  if (spec.replication_factor < -1 || spec.replication_factor == 0) {
    return Error(ErrorCode::INVALID_REPLICATION_FACTOR,
                 "Replication factor must be larger than 0, or -1 to use the default value.");
  }
  if (spec.num_partitions < -1 || spec.num_partitions == 0) {
    return Error(ErrorCode::INVALID_PARTITIONS,
                 "Number of partitions was set to an invalid non-positive value.");
  }
  const int32_t count = spec.num_partitions == -1 ? config.num_partitions : spec.num_partitions;
  const int32_t rf =
      spec.replication_factor == -1 ? config.default_replication_factor : spec.replication_factor;
  if (count > config.max_partitions_per_request) {
    return Error(ErrorCode::INVALID_PARTITIONS,
                 fmt::format("Number of partitions {} exceeds the limit of {} per request.", count,
                             config.max_partitions_per_request));
  }
  auto placed = place_replicas(image, count, rf, random);
  if (!placed.ok()) {
    return Error(placed.code(), fmt::format("Unable to replicate the partition {} time(s): {}", rf,
                                            placed.error().message()));
  }
  std::vector<PartitionRegistration> parts;
  parts.reserve(placed->size());
  for (auto& replicas : *placed)
    parts.push_back(automatic_partition(std::move(replicas)));
  return parts;
}

// Null values and unknown or invalid keys; the overrides as they will be stored.
Result<std::map<std::string, std::string>> topic_overrides(const CreateTopicSpec& spec) {
  std::vector<std::string> nulls;
  std::map<std::string, std::string> overrides;
  for (const auto& [key, value] : spec.configs) {
    if (!value) {
      nulls.push_back(key);
      continue;
    }
    FERRY_TRY(config::validate_topic_config(key, value));
    overrides[key] = *value;
  }
  if (!nulls.empty()) {
    return Error(
        ErrorCode::INVALID_CONFIG,
        fmt::format("Null value not supported for topic configs: {}", fmt::join(nulls, ",")));
  }
  return overrides;
}

// An existing topic whose name differs from `name` only in '.' versus '_', if any. Such names
// share the prefix before their first '.' or '_', so only that range of the sorted name map is
// scanned (not every topic).
std::optional<std::string> existing_collision(const MetadataImage& image, const std::string& name) {
  const size_t first = name.find_first_of("._");
  if (first == std::string::npos) return std::nullopt;
  const std::string prefix = name.substr(0, first);
  const std::string key = topic_collision_key(name);
  for (auto it = image.topic_ids.lower_bound(prefix);
       it != image.topic_ids.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    if (it->first != name && topic_collision_key(it->first) == key) return it->first;
  }
  return std::nullopt;
}

// Names: reserved internal topics, legality, existence, '.'/'_' collisions (with existing topics
// and with earlier topics of the same request, tracked in `accepted`: collision key -> name).
// Kafka prohibits creating __cluster_metadata; Ferry also reserves __consumer_offsets and
// __transaction_state, which the broker creates itself (spec.internal) with the configs they
// need.
Status check_new_topic_name(const MetadataImage& image, const CreateTopicSpec& spec,
                            const std::map<std::string, std::string>& accepted) {
  const std::string& name = spec.name;
  if (name == kClusterMetadataTopic || (is_internal_topic(name) && !spec.internal)) {
    return Error(ErrorCode::INVALID_REQUEST,
                 fmt::format("Creation of internal topic {} is prohibited.", name));
  }
  FERRY_TRY(validate_topic_name(name));
  if (image.topic(name) != nullptr) {
    return Error(ErrorCode::TOPIC_ALREADY_EXISTS, fmt::format("Topic '{}' already exists.", name));
  }
  std::optional<std::string> other = existing_collision(image, name);
  if (!other) {
    if (auto it = accepted.find(topic_collision_key(name)); it != accepted.end())
      other = it->second;
  }
  if (other) {
    return Error(ErrorCode::INVALID_TOPIC_EXCEPTION,
                 fmt::format("Topic '{}' collides with existing topic: {}", name, *other));
  }
  return ok_status();
}

Status plan_one_topic(const MetadataImage& image, const CreateTopicSpec& spec,
                      const CommandConfig& config, Random& random,
                      const std::map<std::string, std::string>& collisions,
                      CreateTopicResult& result, Records& records) {
  FERRY_TRY(check_new_topic_name(image, spec, collisions));
  FERRY_ASSIGN_OR_RETURN(auto overrides, topic_overrides(spec));
  std::vector<PartitionRegistration> parts;
  if (!spec.assignments.empty()) {
    FERRY_ASSIGN_OR_RETURN(parts, manual_partitions(image, spec));
  } else {
    FERRY_ASSIGN_OR_RETURN(parts, placed_partitions(image, spec, config, random));
  }
  result.topic_id = Uuid::random(random);
  result.num_partitions = static_cast<int32_t>(parts.size());
  result.replication_factor = static_cast<int16_t>(parts.front().replicas.size());
  result.configs = overrides;
  records.push_back(make_topic(result.topic_id, spec.name));
  for (const auto& [key, value] : overrides) {
    records.push_back(make_config(static_cast<int32_t>(controller::ConfigResourceType::kTopic),
                                  spec.name, key, value));
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    records.push_back(make_partition(result.topic_id, static_cast<int32_t>(i), parts[i]));
  }
  return ok_status();
}

template <typename Key>
std::set<Key> duplicates(const std::vector<Key>& keys) {
  std::set<Key> seen;
  std::set<Key> dups;
  for (const auto& k : keys) {
    if (!seen.insert(k).second) dups.insert(k);
  }
  return dups;
}

}  // namespace

Planned<std::vector<CreateTopicResult>> plan_create_topics(
    const MetadataImage& image, const std::vector<CreateTopicSpec>& topics, bool validate_only,
    const CommandConfig& config, Random& random) {
  Planned<std::vector<CreateTopicResult>> out;
  std::vector<std::string> names;
  for (const auto& t : topics)
    names.push_back(t.name);
  const auto dups = duplicates(names);
  std::map<std::string, std::string> collisions;  // accepted in this request: key -> name
  int64_t partitions_so_far = 0;
  for (const auto& spec : topics) {
    CreateTopicResult result;
    result.name = spec.name;
    Records records;
    Status status = dups.contains(spec.name)
                        ? Status(Error(ErrorCode::INVALID_REQUEST, "Duplicate topic name."))
                        : plan_one_topic(image, spec, config, random, collisions, result, records);
    if (status.ok() &&
        partitions_so_far + result.num_partitions > config.max_partitions_per_request) {
      status = Error(ErrorCode::INVALID_PARTITIONS,
                     fmt::format("Creating more than {} partitions in one request is not allowed.",
                                 config.max_partitions_per_request));
    }
    if (status.ok()) {
      partitions_so_far += result.num_partitions;
      collisions.emplace(topic_collision_key(spec.name), spec.name);
      if (!validate_only) {
        for (auto& r : records)
          out.records.push_back(std::move(r));
      }
    } else {
      result = CreateTopicResult{};
      result.name = spec.name;
      result.error = status.code();
      result.message = status.error().message();
    }
    out.reply.push_back(std::move(result));
  }
  return out;
}

Planned<std::vector<DeleteTopicResult>> plan_delete_topics(
    const MetadataImage& image, const std::vector<DeleteTopicSpec>& topics,
    const CommandConfig& config) {
  Planned<std::vector<DeleteTopicResult>> out;
  std::set<Uuid> deleted;
  for (const auto& spec : topics) {
    DeleteTopicResult result;
    const TopicImage* topic = nullptr;
    if (spec.id && !spec.id->is_zero()) {
      result.topic_id = *spec.id;
      topic = image.topic(*spec.id);
      if (topic == nullptr) result.error = ErrorCode::UNKNOWN_TOPIC_ID;
    } else if (spec.name) {
      result.name = *spec.name;
      topic = image.topic(*spec.name);
      if (topic == nullptr) result.error = ErrorCode::UNKNOWN_TOPIC_OR_PARTITION;
    } else {
      result.error = ErrorCode::INVALID_REQUEST;
      result.message = "Neither topic name nor id was specified.";
    }
    if (topic != nullptr) {
      result.name = topic->name;
      result.topic_id = topic->id;
      if (!config.delete_topic_enable) {
        result.error = ErrorCode::TOPIC_DELETION_DISABLED;
      } else if (!deleted.insert(topic->id).second) {
        result.error = ErrorCode::INVALID_REQUEST;
        result.message = spec.id ? "Duplicate topic id." : "Duplicate topic name.";
      } else {
        out.records.push_back(make_remove_topic(topic->id));
      }
    }
    if (result.error != ErrorCode::NONE && result.message.empty()) {
      result.message = std::string(error_default_message(result.error));
    }
    out.reply.push_back(std::move(result));
  }
  return out;
}

namespace {

Result<std::vector<PartitionRegistration>> new_partitions(const MetadataImage& image,
                                                          const TopicImage& topic,
                                                          const CreatePartitionsSpec& spec,
                                                          const CommandConfig& config,
                                                          Random& random) {
  const auto current = static_cast<int32_t>(topic.partitions.size());
  if (spec.count < current) {
    return Error(ErrorCode::INVALID_PARTITIONS,
                 fmt::format("Topic currently has {} partitions, which is higher than the "
                             "requested {}.",
                             current, spec.count));
  }
  if (spec.count == current) {
    return Error(ErrorCode::INVALID_PARTITIONS,
                 fmt::format("Topic already has {} partition(s).", current));
  }
  const int32_t additional = spec.count - current;
  if (additional > config.max_partitions_per_request) {
    return Error(ErrorCode::INVALID_PARTITIONS,
                 fmt::format("Adding {} partitions exceeds the limit of {} per request.",
                             additional, config.max_partitions_per_request));
  }
  const size_t rf = topic.partitions.empty() ? 1 : topic.partitions.front().replicas.size();
  std::vector<PartitionRegistration> parts;
  if (spec.assignments) {
    if (static_cast<int32_t>(spec.assignments->size()) != additional) {
      return invalid_assignment(fmt::format(
          "Attempted to add {} additional partition(s), but only {} assignment(s) were specified.",
          additional, spec.assignments->size()));
    }
    for (int32_t i = 0; i < additional; ++i) {
      FERRY_ASSIGN_OR_RETURN(
          auto p,
          manual_partition(image, current + i, (*spec.assignments)[static_cast<size_t>(i)], rf));
      parts.push_back(std::move(p));
    }
    return parts;
  }
  auto placed = place_replicas(image, additional, static_cast<int32_t>(rf), random);
  if (!placed.ok()) {
    return Error(placed.code(), fmt::format("Unable to replicate the partition {} time(s): {}", rf,
                                            placed.error().message()));
  }
  for (auto& replicas : *placed)
    parts.push_back(automatic_partition(std::move(replicas)));
  return parts;
}

}  // namespace

Planned<std::vector<CreatePartitionsResult>> plan_create_partitions(
    const MetadataImage& image, const std::vector<CreatePartitionsSpec>& topics, bool validate_only,
    const CommandConfig& config, Random& random) {
  Planned<std::vector<CreatePartitionsResult>> out;
  std::vector<std::string> names;
  for (const auto& t : topics)
    names.push_back(t.name);
  const auto dups = duplicates(names);
  for (const auto& spec : topics) {
    CreatePartitionsResult result;
    result.name = spec.name;
    const TopicImage* topic = image.topic(spec.name);
    Result<std::vector<PartitionRegistration>> parts =
        dups.contains(spec.name) ? Error(ErrorCode::INVALID_REQUEST, "Duplicate topic name.")
        : topic == nullptr       ? Error(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
                                         fmt::format("The topic '{}' does not exist.", spec.name))
                                 : new_partitions(image, *topic, spec, config, random);
    if (!parts.ok()) {
      result.error = parts.code();
      result.message = parts.error().message();
    } else if (!validate_only) {
      const auto first = static_cast<int32_t>(topic->partitions.size());
      for (size_t i = 0; i < parts->size(); ++i) {
        out.records.push_back(
            make_partition(topic->id, first + static_cast<int32_t>(i), (*parts)[i]));
      }
    }
    out.reply.push_back(std::move(result));
  }
  return out;
}

CommandConfig CommandConfig::from(const config::BrokerConfig& config) {
  CommandConfig c;
  c.num_partitions = config.get_int("num.partitions");
  c.default_replication_factor = static_cast<int16_t>(config.get_int("default.replication.factor"));
  c.unclean_leader_election = config.get_bool("unclean.leader.election.enable");
  c.delete_topic_enable = config.get_bool("delete.topic.enable");
  c.broker_session_timeout_ms = config.get_long("broker.session.timeout.ms");
  c.broker_probe_after_ms = config.get_long("broker.liveness.probe.after.ms");
  return c;
}

}  // namespace ferry::controller::metadata
