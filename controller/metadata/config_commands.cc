// AlterConfigs and IncrementalAlterConfigs (see commands.h).
//
// Resources: a topic (by name), the cluster-wide broker default (broker resource ""), or one
// broker (broker resource "<id>"). Broker resources accept the keys that are defaults of
// per-topic configs (log.retention.ms, min.insync.replicas, ...): those are the ones a running
// cluster reads dynamically; other broker keys are static and refused.
#include <algorithm>
#include <charconv>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "controller/metadata/commands.h"

namespace ferry::controller::metadata {

using controller::AlterConfigsResult;
using controller::AlterConfigsSpec;
using controller::ConfigChange;
using controller::ConfigOp;
using controller::ConfigResourceType;

namespace {

struct Resource {
  ConfigResourceType type;
  std::string name;                                   // as stored in ConfigRecord
  const std::map<std::string, std::string>* current;  // current overrides
  bool topic;
};

const std::map<std::string, std::string> kNoConfigs;

Result<Resource> find_resource(const MetadataImage& image, const AlterConfigsSpec& spec) {
  if (spec.type == ConfigResourceType::kTopic) {
    const TopicImage* topic = image.topic(spec.name);
    if (topic == nullptr) {
      return Error(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
                   fmt::format("The topic '{}' does not exist.", spec.name));
    }
    return Resource{spec.type, spec.name, &topic->configs, true};
  }
  if (spec.type != ConfigResourceType::kBroker) {
    return Error(ErrorCode::INVALID_REQUEST,
                 fmt::format("Unsupported resource type {}", static_cast<int>(spec.type)));
  }
  if (spec.name.empty()) return Resource{spec.type, "", &image.cluster_configs, false};
  int32_t id = -1;
  const char* end = spec.name.data() + spec.name.size();
  const auto [ptr, ec] = std::from_chars(spec.name.data(), end, id);
  if (ec != std::errc() || ptr != end || id < 0) {
    return Error(ErrorCode::INVALID_REQUEST, fmt::format("Invalid broker name {}", spec.name));
  }
  const auto it = image.broker_configs.find(NodeId(id));
  return Resource{spec.type, spec.name,
                  it == image.broker_configs.end() ? &kNoConfigs : &it->second, false};
}

// The schema entry for `key` on this resource, or INVALID_CONFIG / INVALID_REQUEST.
Result<const config::KeySpec*> key_spec(const Resource& resource, const std::string& key) {
  if (resource.topic) {
    const config::KeySpec* spec = config::find_topic_key(key);
    if (spec == nullptr) {
      return Error(ErrorCode::INVALID_CONFIG,
                   fmt::format("Unknown topic config name: {} (did you mean {}?)", key,
                               config::closest_key(key, true)));
    }
    return spec;
  }
  const config::KeySpec* spec = config::find_key(key);
  if (spec == nullptr) {
    return Error(ErrorCode::INVALID_CONFIG,
                 fmt::format("Unknown broker config name: {} (did you mean {}?)", key,
                             config::closest_key(key, false)));
  }
  if (spec->topic_name.empty()) {
    return Error(ErrorCode::INVALID_REQUEST,
                 fmt::format("Cannot update these configs dynamically: {}", key));
  }
  return spec;
}

std::vector<std::string> split_list(const std::string& value) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= value.size()) {
    const size_t comma = value.find(',', start);
    const size_t stop = comma == std::string::npos ? value.size() : comma;
    std::string item = value.substr(start, stop - start);
    if (!item.empty()) out.push_back(std::move(item));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// The value APPEND/SUBTRACT start from: the override, else the cluster default, else the
// schema default.
std::string base_value(const MetadataImage& image, const Resource& resource,
                       const config::KeySpec& spec, const std::string& key) {
  if (auto it = resource.current->find(key); it != resource.current->end()) return it->second;
  if (resource.topic) {
    if (auto it = image.cluster_configs.find(std::string(spec.name));
        it != image.cluster_configs.end()) {
      return it->second;
    }
  }
  return spec.default_value ? std::string(*spec.default_value) : std::string();
}

// The new value of `key` after `change` (nullopt = delete the override).
Result<std::optional<std::string>> new_value(const MetadataImage& image, const Resource& resource,
                                             const ConfigChange& change) {
  FERRY_ASSIGN_OR_RETURN(const config::KeySpec* spec, key_spec(resource, change.key));
  if (change.op == ConfigOp::kDelete) return std::optional<std::string>();
  if (!change.value) {
    return Error(ErrorCode::INVALID_REQUEST,
                 fmt::format("Null value not supported for : {}", change.key));
  }
  std::string value = *change.value;
  if (change.op == ConfigOp::kAppend || change.op == ConfigOp::kSubtract) {
    const char* verb = change.op == ConfigOp::kAppend ? "APPEND" : "SUBTRACT";
    if (spec->type != config::Type::kList) {
      return Error(
          ErrorCode::INVALID_CONFIG,
          fmt::format("Can't {} to key {} because its type is not LIST.", verb, change.key));
    }
    auto items = split_list(base_value(image, resource, *spec, change.key));
    for (const auto& item : split_list(*change.value)) {
      const auto it = std::find(items.begin(), items.end(), item);
      if (change.op == ConfigOp::kAppend && it == items.end()) items.push_back(item);
      if (change.op == ConfigOp::kSubtract && it != items.end()) items.erase(it);
    }
    value = fmt::format("{}", fmt::join(items, ","));
  } else if (change.op != ConfigOp::kSet) {
    return Error(ErrorCode::INVALID_REQUEST,
                 fmt::format("Unknown config operation {}", static_cast<int>(change.op)));
  }
  FERRY_TRY(config::validate_value(*spec, change.key, value));
  return std::optional<std::string>(std::move(value));
}

// The records that move `resource` to the requested state.
Result<Records> plan_resource(const MetadataImage& image, const AlterConfigsSpec& spec) {
  FERRY_ASSIGN_OR_RETURN(Resource resource, find_resource(image, spec));
  std::set<std::string> keys;
  std::map<std::string, std::optional<std::string>> target;
  for (const auto& change : spec.changes) {
    if (!keys.insert(change.key).second) {
      return Error(ErrorCode::INVALID_REQUEST, fmt::format("Duplicate config key: {}", change.key));
    }
    if (!spec.incremental && change.op != ConfigOp::kSet) {
      return Error(ErrorCode::INVALID_REQUEST, "AlterConfigs only sets values.");
    }
    FERRY_ASSIGN_OR_RETURN(target[change.key], new_value(image, resource, change));
  }
  if (!spec.incremental) {  // legacy AlterConfigs: keys not named lose their override
    for (const auto& [key, value] : *resource.current)
      target.try_emplace(key, std::nullopt);
  }
  Records records;
  const auto type = static_cast<int32_t>(resource.type);
  for (auto& [key, value] : target) {
    const auto it = resource.current->find(key);
    const bool unchanged = value ? (it != resource.current->end() && it->second == *value)
                                 : it == resource.current->end();
    if (!unchanged) records.push_back(make_config(type, resource.name, key, std::move(value)));
  }
  return records;
}

}  // namespace

Planned<std::vector<AlterConfigsResult>> plan_alter_configs(
    const MetadataImage& image, const std::vector<AlterConfigsSpec>& resources,
    bool validate_only) {
  Planned<std::vector<AlterConfigsResult>> out;
  std::set<std::pair<int, std::string>> seen;
  for (const auto& spec : resources) {
    AlterConfigsResult result;
    result.type = spec.type;
    result.name = spec.name;
    Result<Records> records =
        seen.insert({static_cast<int>(spec.type), spec.name}).second
            ? plan_resource(image, spec)
            : Result<Records>(Error(ErrorCode::INVALID_REQUEST, "Duplicate resource."));
    if (!records.ok()) {
      result.error = records.code();
      result.message = records.error().message();
    } else if (!validate_only) {
      for (auto& r : *records)
        out.records.push_back(std::move(r));
    }
    out.reply.push_back(std::move(result));
  }
  return out;
}

}  // namespace ferry::controller::metadata
