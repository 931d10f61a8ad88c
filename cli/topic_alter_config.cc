// `ferry topic alter-config`: read-modify-write of a topic's dynamic configs with the
// non-incremental AlterConfigs API (librdkafka 2.0.2 has no IncrementalAlterConfigs).
#include <map>
#include <set>

#include <fmt/format.h>

#include "cli/output.h"
#include "cli/report.h"
#include "cli/table.h"
#include "cli/topic_commands.h"

namespace ferry::cli {

Result<AlterConfigOptions> parse_alter_config(const Invocation& inv) {
  AlterConfigOptions options;
  FERRY_ASSIGN_OR_RETURN(options.topics, parse_topic_names(inv));
  std::set<std::string> keys;
  for (const auto& text : inv.values("set")) {
    FERRY_ASSIGN_OR_RETURN(auto kv, parse_key_value(inv, "set", text));
    if (!keys.insert(kv.first).second) {
      return usage_error(inv.command, fmt::format("--set: '{}' given twice", kv.first));
    }
    options.set.push_back(std::move(kv));
  }
  for (const auto& key : inv.values("delete")) {
    if (key.empty()) return usage_error(inv.command, "--delete: empty config name");
    if (key.find('=') != std::string::npos) {
      return usage_error(inv.command, fmt::format("--delete takes a config name, not '{}'", key));
    }
    if (!keys.insert(key).second) {
      return usage_error(inv.command,
                         fmt::format("'{}' is both set and deleted (or deleted twice)", key));
    }
    options.remove.push_back(key);
  }
  if (options.set.empty() && options.remove.empty()) {
    return usage_error(inv.command, "nothing to change: give --set KEY=VALUE or --delete KEY");
  }
  options.dry_run = inv.has("dry-run");
  return options;
}

Result<std::vector<std::pair<std::string, std::string>>> merge_dynamic_configs(
    const std::vector<ConfigEntry>& current, const AlterConfigOptions& options) {
  std::map<std::string, std::string> merged;
  std::set<std::string> removed(options.remove.begin(), options.remove.end());
  for (const auto& entry : current) {
    if (!entry.is_dynamic_topic_config() || removed.count(entry.name) > 0) continue;
    if (entry.sensitive || !entry.value) {
      return Error(static_cast<ErrorCode>(RD_KAFKA_RESP_ERR__INVALID_ARG),
                   fmt::format("dynamic config {} is sensitive: the broker does not return its "
                               "value, and the non-incremental AlterConfigs would erase it",
                               entry.name));
    }
    merged[entry.name] = *entry.value;
  }
  for (const auto& [key, value] : options.set)
    merged[key] = value;
  return std::vector<std::pair<std::string, std::string>>(merged.begin(), merged.end());
}

namespace {

struct AlterOutcome {
  TopicOutcome outcome;
  std::vector<std::pair<std::string, std::string>> configs;  // the set sent
};

// Reads the current configs and builds each topic's merged set; failures become outcomes.
std::vector<AlterOutcome> plan(Client& client, const AlterConfigOptions& options,
                               const Deadline& deadline, std::vector<TopicConfigSet>& sets) {
  std::vector<AlterOutcome> outcomes;
  auto current = describe_topic_configs(client, options.topics, deadline);
  for (size_t i = 0; i < options.topics.size(); ++i) {
    const std::string& topic = options.topics[i];
    if (!current.ok()) {
      outcomes.push_back({{topic, current.error()}, {}});
      continue;
    }
    const TopicConfigs& configs = (*current)[i];
    if (configs.error) {
      outcomes.push_back({{topic, configs.error}, {}});
      continue;
    }
    auto merged = merge_dynamic_configs(configs.entries, options);
    if (!merged.ok()) {
      outcomes.push_back({{topic, merged.error()}, {}});
      continue;
    }
    outcomes.push_back({{topic, std::nullopt}, *merged});
    sets.push_back({topic, std::move(merged).value()});
  }
  return outcomes;
}

void print_alter_outcomes(const CommandContext& ctx, const std::vector<AlterOutcome>& outcomes) {
  if (ctx.global.format == OutputFormat::kJson) {
    Json json = Json::array();
    for (const auto& [outcome, configs] : outcomes) {
      Json item = Json::object();
      item["topic"] = outcome.topic;
      Json sent = Json::object();
      for (const auto& [key, value] : configs)
        sent[key] = value;
      item["dynamic_configs"] = outcome.error ? Json() : std::move(sent);
      item["error"] = error_json(outcome.error);
      json.push_back(std::move(item));
    }
    emit_json(ctx.out, json);
    return;
  }
  Table table({"TOPIC", "STATUS"});
  for (const auto& result : outcomes) {
    table.add_row({result.outcome.topic, status_text(result.outcome.error)});
  }
  ctx.out << table.render();
}

}  // namespace

int run_topic_alter_config(const CommandContext& ctx) {
  auto options = parse_alter_config(ctx.inv);
  if (!options.ok()) return ctx.usage_failure(options.error());
  auto client = ctx.make_client(Client::Kind::kProducer, {{"allow.auto.create.topics", "false"}});
  if (!client.ok()) return ctx.usage_failure(client.error());
  Deadline deadline(ctx.global.timeout_ms);
  std::vector<TopicConfigSet> sets;
  std::vector<AlterOutcome> outcomes = plan(**client, *options, deadline, sets);
  if (!sets.empty()) {
    auto altered = alter_topic_configs(**client, sets, options->dry_run, deadline);
    for (auto& result : outcomes) {
      if (result.outcome.error) continue;
      if (!altered.ok()) {
        result.outcome.error = altered.error();
        continue;
      }
      for (const auto& outcome : *altered) {
        if (outcome.topic == result.outcome.topic) result.outcome.error = outcome.error;
      }
    }
  }
  Reporter reporter(ctx.err, ctx.command_name());
  for (const auto& result : outcomes) {
    if (result.outcome.error) reporter.item_failed(result.outcome.topic, *result.outcome.error);
  }
  print_alter_outcomes(ctx, outcomes);
  return reporter.exit_code();
}

}  // namespace ferry::cli
