// Ferry's one configuration schema (STYLE.md habit 10): every key with its Kafka name, type,
// default, bounds and documentation. It drives
//   * parsing and validation of ferryd's configuration (properties file, FERRY_* environment
//     variables, --override key=value; later sources win),
//   * `ferryd --help` and docs/configuration.md,
//   * DescribeConfigs for brokers and topics, and validation of topic configs in CreateTopics /
//     AlterConfigs / IncrementalAlterConfigs.
//
// A broker key may be the default of a per-topic key (log.retention.ms -> retention.ms), as in
// Kafka. Unknown keys are errors that name the closest known key.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace ferry::config {

// Values are Kafka's DescribeConfigs ConfigType codes.
enum class Type : int8_t {
  kBoolean = 1,
  kString = 2,
  kInt = 3,
  kShort = 4,
  kLong = 5,
  kDouble = 6,
  kList = 7,
  kPassword = 9,
};
std::string_view type_name(Type type);  // "BOOLEAN", "LONG", ...

// Values are Kafka's DescribeConfigs ConfigSource codes.
enum class Source : int8_t {
  kUnknown = 0,
  kTopic = 1,                 // DYNAMIC_TOPIC_CONFIG
  kDynamicBroker = 2,         // DYNAMIC_BROKER_CONFIG
  kDynamicDefaultBroker = 3,  // DYNAMIC_DEFAULT_BROKER_CONFIG
  kStaticBroker = 4,          // STATIC_BROKER_CONFIG (file, environment, --override)
  kDefault = 5,               // DEFAULT_CONFIG
};

struct KeySpec {
  std::string_view name;  // broker-level key, Kafka's name where the meaning is the same
  Type type;
  std::optional<std::string_view> default_value;  // nullopt: no default
  std::string_view doc;
  std::string_view topic_name;  // the per-topic key this broker key defaults, or ""
  int64_t min = INT64_MIN;      // numeric bounds (inclusive)
  int64_t max = INT64_MAX;
  std::string_view choices;  // comma-separated allowed values (STRING, each LIST item), or ""
  bool sensitive = false;
};

// The whole schema, in documentation order.
std::span<const KeySpec> schema();
const KeySpec* find_key(std::string_view broker_key);
const KeySpec* find_topic_key(std::string_view topic_key);
// The known key closest to `unknown` (edit distance), for "did you mean" messages.
std::string_view closest_key(std::string_view unknown, bool topic_keys);

// Checks `value` against the spec: INVALID_CONFIG with Kafka's wording, e.g.
// "Invalid value abc for configuration retention.ms: Not a number of type LONG".
Status validate_value(const KeySpec& spec, std::string_view key_as_written, std::string_view value);

// Parses Java-properties text (key=value, key: value, # and ! comments, backslash line
// continuation). Errors name the line.
Result<std::vector<std::pair<std::string, std::string>>> parse_properties(std::string_view text);

// Where a broker value came from.
enum class Origin { kDefault, kFile, kEnvironment, kOverride };

// The effective broker configuration: every schema key has a validated textual value.
class BrokerConfig {
 public:
  struct Sources {
    std::optional<std::string> file_path;            // --config FILE
    std::vector<std::string> overrides;              // --override key=value
    std::map<std::string, std::string> environment;  // FERRY_* variables (name -> value)
  };
  // Defaults, then the file, then the environment, then overrides. Unknown keys and bad values
  // are INVALID_CONFIG naming the key (and the closest known key).
  static Result<BrokerConfig> load(const Sources& sources);
  // Only defaults plus `values` (tests, embedded use).
  static Result<BrokerConfig> from_map(const std::map<std::string, std::string>& values);
  // FERRY_* variables of the process environment.
  static std::map<std::string, std::string> process_environment();

  const std::string& get(std::string_view key) const;  // asserts the key is in the schema
  bool get_bool(std::string_view key) const;
  int64_t get_long(std::string_view key) const;  // INT, SHORT and LONG keys
  int32_t get_int(std::string_view key) const;
  double get_double(std::string_view key) const;
  std::vector<std::string> get_list(std::string_view key) const;
  Origin origin(std::string_view key) const;
  // Where the controller keeps its metadata store: metadata.log.dir, else
  // <first of log.dirs>/__cluster_metadata; empty when both are empty.
  std::string metadata_log_dir() const;

 private:
  Status set(std::string_view key, std::string value, Origin origin, std::string_view where);

  std::map<std::string, std::pair<std::string, Origin>, std::less<>> values_;
};

// FERRY_LOG_RETENTION_MS <-> log.retention.ms
std::string env_name_for_key(std::string_view key);

// ---- Per-topic configuration ------------------------------------------------------------------

// Topic overrides as stored in cluster metadata: topic key -> value.
using TopicOverrides = std::map<std::string, std::string>;

// Validates topic config entries as CreateTopics/AlterConfigs receive them (a null value means
// "no value"). INVALID_CONFIG "Unknown topic config name: x" for unknown keys.
Status validate_topic_config(std::string_view topic_key, const std::optional<std::string>& value);

struct TopicConfigEntry {
  std::string name;  // topic key
  std::string value;
  Source source;
  const KeySpec* spec;
  struct Synonym {
    std::string name;
    std::string value;
    Source source;
  };
  std::vector<Synonym> synonyms;  // most to least specific, as Kafka lists them
};

// The effective value of one topic key: the override, else the broker value (its default).
std::string topic_value(const TopicOverrides& overrides, const BrokerConfig& broker,
                        std::string_view topic_key);
// Every topic key with its effective value and source, for DescribeConfigs.
std::vector<TopicConfigEntry> describe_topic_config(const TopicOverrides& overrides,
                                                    const BrokerConfig& broker);

// Reference documentation generated from the schema (ferryd --help, docs/configuration.md).
std::string render_help();

}  // namespace ferry::config
