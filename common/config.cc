#include "common/config.h"
#include "common/parse.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <sstream>

#include <fmt/format.h>

#include "common/file_util.h"
#include "common/text.h"

extern char** environ;

namespace ferry::config {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string> split_list(std::string_view value) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= value.size()) {
    const size_t comma = value.find(',', start);
    const auto item =
        trim(value.substr(start, comma == std::string_view::npos ? value.npos : comma - start));
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

Error invalid_value(std::string_view key, std::string_view value, std::string_view why) {
  return Error(ErrorCode::INVALID_CONFIG,
               fmt::format("Invalid value {} for configuration {}: {}", value, key, why));
}

std::optional<int64_t> parse_integer(std::string_view text) {
  return ferry::parse_integer<int64_t>(trim(text));
}

bool is_choice(std::string_view choices, std::string_view value) {
  for (const auto& c : split_list(choices)) {
    if (c == value) return true;
  }
  return false;
}

std::string choices_text(std::string_view choices) {
  std::string out;
  for (const auto& c : split_list(choices))
    out += (out.empty() ? "" : ", ") + c;
  return out;
}

Status validate_integer(const KeySpec& spec, std::string_view key, std::string_view value) {
  const auto v = parse_integer(value);
  if (!v.has_value()) {
    return invalid_value(key, value, fmt::format("Not a number of type {}", type_name(spec.type)));
  }
  const int64_t type_min = spec.type == Type::kShort ? -32768
                           : spec.type == Type::kInt ? INT32_MIN
                                                     : INT64_MIN;
  const int64_t type_max = spec.type == Type::kShort ? 32767
                           : spec.type == Type::kInt ? INT32_MAX
                                                     : INT64_MAX;
  if (*v < type_min || *v > type_max) {
    return invalid_value(key, value, fmt::format("Not a number of type {}", type_name(spec.type)));
  }
  if (*v < spec.min)
    return invalid_value(key, value, fmt::format("Value must be at least {}", spec.min));
  if (*v > spec.max)
    return invalid_value(key, value, fmt::format("Value must be no more than {}", spec.max));
  return ok_status();
}

}  // namespace

std::string_view type_name(Type type) {
  switch (type) {
    case Type::kBoolean:
      return "BOOLEAN";
    case Type::kString:
      return "STRING";
    case Type::kInt:
      return "INT";
    case Type::kShort:
      return "SHORT";
    case Type::kLong:
      return "LONG";
    case Type::kDouble:
      return "DOUBLE";
    case Type::kList:
      return "LIST";
    case Type::kPassword:
      return "PASSWORD";
  }
  return "UNKNOWN";
}

const KeySpec* find_key(std::string_view broker_key) {
  for (const auto& spec : schema()) {
    if (spec.name == broker_key) return &spec;
  }
  return nullptr;
}

const KeySpec* find_topic_key(std::string_view topic_key) {
  if (topic_key.empty()) return nullptr;
  for (const auto& spec : schema()) {
    if (spec.topic_name == topic_key) return &spec;
  }
  return nullptr;
}

std::string_view closest_key(std::string_view unknown, bool topic_keys) {
  std::vector<std::string_view> keys;
  for (const auto& spec : schema()) {
    const std::string_view key = topic_keys ? spec.topic_name : spec.name;
    if (!key.empty()) keys.push_back(key);
  }
  return closest(unknown, keys).value_or("");
}

Status validate_value(const KeySpec& spec, std::string_view key, std::string_view value) {
  switch (spec.type) {
    case Type::kBoolean:
      if (value != "true" && value != "false") {
        return invalid_value(key, value, "Expected value to be either true or false");
      }
      return ok_status();
    case Type::kInt:
    case Type::kShort:
    case Type::kLong:
      return validate_integer(spec, key, value);
    case Type::kDouble: {
      const std::string s(trim(value));
      char* end = nullptr;
      const double v = std::strtod(s.c_str(), &end);
      if (s.empty() || end != s.c_str() + s.size()) {
        return invalid_value(key, value, "Not a number of type DOUBLE");
      }
      if (v < static_cast<double>(spec.min) || v > static_cast<double>(spec.max)) {
        return invalid_value(key, value,
                             fmt::format("Value must be in [{}, {}]", spec.min, spec.max));
      }
      return ok_status();
    }
    case Type::kString:
    case Type::kPassword:
      if (!spec.choices.empty() && !is_choice(spec.choices, value)) {
        return invalid_value(key, value,
                             fmt::format("String must be one of: {}", choices_text(spec.choices)));
      }
      return ok_status();
    case Type::kList:
      if (!spec.choices.empty()) {
        const auto items = split_list(value);
        if (items.empty() && spec.default_value && !spec.default_value->empty()) {
          return invalid_value(key, value, "Empty list");
        }
        for (const auto& item : items) {
          if (!is_choice(spec.choices, item)) {
            return invalid_value(key, value,
                                 fmt::format("Invalid value {}, must be one of: {}", item,
                                             choices_text(spec.choices)));
          }
        }
      }
      return ok_status();
  }
  return ok_status();
}

Result<std::vector<std::pair<std::string, std::string>>> parse_properties(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream in{std::string(text)};
  std::string line, logical;
  int lineno = 0, start_line = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (logical.empty()) start_line = lineno;
    std::string_view t = trim(line);
    if (logical.empty() && (t.empty() || t.front() == '#' || t.front() == '!')) continue;
    if (!t.empty() && t.back() == '\\') {  // continuation
      t.remove_suffix(1);
      logical += t;
      continue;
    }
    logical += t;
    const size_t sep = logical.find_first_of("=:");
    const size_t space = logical.find_first_of(" \t");
    const size_t at = std::min(sep, space);
    if (at == std::string::npos) {
      return Error(ErrorCode::INVALID_CONFIG,
                   fmt::format("line {}: expected key=value, got '{}'", start_line, logical));
    }
    std::string key(trim(std::string_view(logical).substr(0, at)));
    std::string_view rest = trim(std::string_view(logical).substr(at));
    if (!rest.empty() && (rest.front() == '=' || rest.front() == ':')) rest = trim(rest.substr(1));
    if (key.empty()) {
      return Error(ErrorCode::INVALID_CONFIG, fmt::format("line {}: empty key", start_line));
    }
    out.emplace_back(std::move(key), std::string(rest));
    logical.clear();
  }
  return out;
}

std::string env_name_for_key(std::string_view key) {
  std::string out = "FERRY_";
  for (char c : key) {
    out.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

// ---- BrokerConfig --------------------------------------------------------------------------

Status BrokerConfig::set(std::string_view key, std::string value, Origin origin,
                         std::string_view where) {
  const KeySpec* spec = find_key(key);
  if (spec == nullptr) {
    std::string hint;
    if (find_topic_key(key) != nullptr) {
      hint = fmt::format(" ({} is a topic config; its broker default is {})", key,
                         find_topic_key(key)->name);
    } else {
      hint = fmt::format(" (did you mean {}?)", closest_key(key, false));
    }
    return Error(ErrorCode::INVALID_CONFIG,
                 fmt::format("{}: unknown configuration key '{}'{}", where, key, hint));
  }
  if (auto valid = validate_value(*spec, key, value); !valid.ok()) {
    return valid.error().with_context(where);
  }
  values_[std::string(key)] = {std::move(value), origin};
  return ok_status();
}

Result<BrokerConfig> BrokerConfig::from_map(const std::map<std::string, std::string>& values) {
  Sources sources;
  for (const auto& [k, v] : values)
    sources.overrides.push_back(k + "=" + v);
  return load(sources);
}

Result<BrokerConfig> BrokerConfig::load(const Sources& sources) {
  BrokerConfig config;
  for (const auto& spec : schema()) {
    if (spec.default_value.has_value()) {
      config.values_[std::string(spec.name)] = {std::string(*spec.default_value), Origin::kDefault};
    }
  }
  if (sources.file_path.has_value()) {
    FERRY_ASSIGN_OR_RETURN(const std::string text, read_whole_file(*sources.file_path));
    auto entries = parse_properties(text);
    if (!entries.ok()) return entries.error().with_context(*sources.file_path);
    for (auto& [k, v] : *entries) {
      FERRY_TRY(config.set(k, v, Origin::kFile, *sources.file_path));
    }
  }
  for (const auto& [name, value] : sources.environment) {
    std::string key;
    for (char c : std::string_view(name).substr(6)) {  // after FERRY_
      key.push_back(c == '_' ? '.'
                             : static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    FERRY_TRY(config.set(key, value, Origin::kEnvironment, "environment variable " + name));
  }
  for (const auto& kv : sources.overrides) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos) {
      return Error(ErrorCode::INVALID_CONFIG,
                   fmt::format("--override '{}': expected key=value", kv));
    }
    FERRY_TRY(config.set(trim(std::string_view(kv).substr(0, eq)), kv.substr(eq + 1),
                         Origin::kOverride, "--override"));
  }
  return config;
}

std::map<std::string, std::string> BrokerConfig::process_environment() {
  // Only variables that name a schema key: FERRY_SEED, FERRY_BROKERS and other tool variables
  // are not configuration.
  std::map<std::string, std::string> out;
  for (char** env = environ; env != nullptr && *env != nullptr; ++env) {
    const std::string_view entry(*env);
    if (!entry.starts_with("FERRY_")) continue;
    const size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string name(entry.substr(0, eq));
    for (const auto& spec : schema()) {
      if (env_name_for_key(spec.name) == name) out[name] = std::string(entry.substr(eq + 1));
    }
  }
  return out;
}

const std::string& BrokerConfig::get(std::string_view key) const {
  const auto it = values_.find(key);
  FERRY_ASSERT(it != values_.end(), "configuration key {} is not in the schema", key);
  return it->second.first;
}

bool BrokerConfig::get_bool(std::string_view key) const {
  return get(key) == "true";
}
int64_t BrokerConfig::get_long(std::string_view key) const {
  return *parse_integer(get(key));
}
int32_t BrokerConfig::get_int(std::string_view key) const {
  return static_cast<int32_t>(get_long(key));
}
double BrokerConfig::get_double(std::string_view key) const {
  return std::strtod(get(key).c_str(), nullptr);
}
std::vector<std::string> BrokerConfig::get_list(std::string_view key) const {
  return split_list(get(key));
}
std::string BrokerConfig::metadata_log_dir() const {
  if (const std::string& dir = get("metadata.log.dir"); !dir.empty()) return dir;
  const auto dirs = get_list("log.dirs");
  if (dirs.empty()) return {};
  return dirs.front() + "/__cluster_metadata";
}
Origin BrokerConfig::origin(std::string_view key) const {
  const auto it = values_.find(key);
  return it == values_.end() ? Origin::kDefault : it->second.second;
}

// ---- Topic configuration -------------------------------------------------------------------

Status validate_topic_config(std::string_view topic_key, const std::optional<std::string>& value) {
  const KeySpec* spec = find_topic_key(topic_key);
  if (spec == nullptr) {
    return Error(ErrorCode::INVALID_CONFIG,
                 fmt::format("Unknown topic config name: {} (did you mean {}?)", topic_key,
                             closest_key(topic_key, true)));
  }
  if (!value.has_value()) {
    return Error(ErrorCode::INVALID_CONFIG,
                 fmt::format("Null value not supported for topic configs: {}", topic_key));
  }
  return validate_value(*spec, topic_key, *value);
}

std::string topic_value(const TopicOverrides& overrides, const BrokerConfig& broker,
                        std::string_view topic_key) {
  if (const auto it = overrides.find(std::string(topic_key)); it != overrides.end()) {
    return it->second;
  }
  const KeySpec* spec = find_topic_key(topic_key);
  FERRY_ASSERT(spec != nullptr, "{} is not a topic config", topic_key);
  return broker.get(spec->name);
}

std::vector<TopicConfigEntry> describe_topic_config(const TopicOverrides& overrides,
                                                    const BrokerConfig& broker) {
  std::vector<TopicConfigEntry> out;
  for (const auto& spec : schema()) {
    if (spec.topic_name.empty()) continue;
    TopicConfigEntry entry{std::string(spec.topic_name), "", Source::kDefault, &spec, {}};
    if (const auto it = overrides.find(entry.name); it != overrides.end()) {
      entry.synonyms.push_back({entry.name, it->second, Source::kTopic});
    }
    if (broker.origin(spec.name) != Origin::kDefault) {
      entry.synonyms.push_back(
          {std::string(spec.name), broker.get(spec.name), Source::kStaticBroker});
    }
    if (spec.default_value.has_value()) {
      entry.synonyms.push_back(
          {std::string(spec.name), std::string(*spec.default_value), Source::kDefault});
    }
    if (!entry.synonyms.empty()) {
      entry.value = entry.synonyms.front().value;
      entry.source = entry.synonyms.front().source;
    }
    out.push_back(std::move(entry));
  }
  return out;
}

std::string render_help() {
  std::string out;
  for (const auto& spec : schema()) {
    out += fmt::format("  {} ({}", spec.name, type_name(spec.type));
    if (spec.default_value.has_value()) out += fmt::format(", default '{}'", *spec.default_value);
    if (!spec.topic_name.empty()) out += fmt::format(", per-topic as {}", spec.topic_name);
    out += ")\n";
    out += fmt::format("      {}\n", spec.doc);
    if (!spec.choices.empty()) out += fmt::format("      One of: {}\n", choices_text(spec.choices));
    out += fmt::format("      Environment: {}\n", env_name_for_key(spec.name));
  }
  return out;
}

}  // namespace ferry::config
