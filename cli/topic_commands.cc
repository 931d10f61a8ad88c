#include "cli/topic_commands.h"

#include <set>

#include <fmt/format.h>

#include "cli/output.h"
#include "cli/report.h"
#include "cli/table.h"
#include "common/topic_name.h"

namespace ferry::cli {
namespace {

// librdkafka's limits for NewTopic (RD_KAFKAP_PARTITIONS_MAX, RD_KAFKAP_BROKERS_MAX).
constexpr int64_t kMaxPartitions = 100'000;
constexpr int64_t kMaxReplicationFactor = 10'000;

// Properties of the clients behind admin commands: never create topics as a side effect.
const std::vector<std::pair<std::string, std::string>>& admin_properties() {
  static const std::vector<std::pair<std::string, std::string>> kProperties = {
      {"allow.auto.create.topics", "false"}};
  return kProperties;
}

void print_outcomes(const CommandContext& ctx, const std::vector<TopicOutcome>& outcomes) {
  if (ctx.global.format == OutputFormat::kJson) {
    Json json = Json::array();
    for (const auto& outcome : outcomes) {
      Json item = Json::object();
      item["topic"] = outcome.topic;
      item["error"] = error_json(outcome.error);
      json.push_back(std::move(item));
    }
    emit_json(ctx.out, json);
    return;
  }
  Table table({"TOPIC", "STATUS"});
  for (const auto& outcome : outcomes)
    table.add_row({outcome.topic, status_text(outcome.error)});
  ctx.out << table.render();
}

// Turns a failure of the whole request into one failure per topic.
std::vector<TopicOutcome> outcomes_or_failure(Result<std::vector<TopicOutcome>> result,
                                              const std::vector<std::string>& topics) {
  if (result.ok()) return std::move(result).value();
  std::vector<TopicOutcome> outcomes;
  for (const auto& topic : topics)
    outcomes.push_back({topic, result.error()});
  return outcomes;
}

void report_outcomes(Reporter& reporter, const std::vector<TopicOutcome>& outcomes) {
  for (const auto& outcome : outcomes) {
    if (outcome.error) reporter.item_failed(outcome.topic, *outcome.error);
  }
}

}  // namespace

Result<TopicCreateOptions> parse_topic_create(const Invocation& inv) {
  TopicCreateOptions options;
  FERRY_ASSIGN_OR_RETURN(auto names, parse_topic_names(inv));
  int32_t partitions = -1;
  int32_t replicas = -1;
  if (const std::string* p = inv.value("partitions")) {
    FERRY_ASSIGN_OR_RETURN(int64_t v, parse_int_flag(inv, "partitions", *p, 1, kMaxPartitions));
    partitions = static_cast<int32_t>(v);
  }
  if (const std::string* r = inv.value("replicas")) {
    FERRY_ASSIGN_OR_RETURN(int64_t v,
                           parse_int_flag(inv, "replicas", *r, 1, kMaxReplicationFactor));
    replicas = static_cast<int32_t>(v);
  }
  std::vector<std::pair<std::string, std::string>> configs;
  std::set<std::string> keys;
  for (const auto& text : inv.values("config")) {
    FERRY_ASSIGN_OR_RETURN(auto kv, parse_key_value(inv, "config", text));
    if (!keys.insert(kv.first).second) {
      return usage_error(inv.command, fmt::format("--config: '{}' given twice", kv.first));
    }
    configs.push_back(std::move(kv));
  }
  for (auto& name : names) {
    options.topics.push_back({std::move(name), partitions, replicas, configs});
  }
  options.dry_run = inv.has("dry-run");
  return options;
}

Result<TopicListOptions> parse_topic_list(const Invocation& inv) {
  return TopicListOptions{inv.has("internal")};
}

Result<AddPartitionsOptions> parse_add_partitions(const Invocation& inv) {
  AddPartitionsOptions options;
  FERRY_ASSIGN_OR_RETURN(options.topics, parse_topic_names(inv));
  const std::string* num = inv.value("num");
  if (num == nullptr) return usage_error(inv.command, "missing flag --num N");
  FERRY_ASSIGN_OR_RETURN(int64_t add, parse_int_flag(inv, "num", *num, 1, kMaxPartitions));
  options.add = static_cast<int32_t>(add);
  options.dry_run = inv.has("dry-run");
  return options;
}

int run_topic_create(const CommandContext& ctx) {
  auto options = parse_topic_create(ctx.inv);
  if (!options.ok()) return ctx.usage_failure(options.error());
  auto client = ctx.make_client(Client::Kind::kProducer, admin_properties());
  if (!client.ok()) return ctx.usage_failure(client.error());
  std::vector<std::string> names;
  for (const auto& topic : options->topics)
    names.push_back(topic.name);
  Deadline deadline(ctx.global.timeout_ms);
  auto outcomes = outcomes_or_failure(
      create_topics(**client, options->topics, options->dry_run, deadline), names);
  Reporter reporter(ctx.err, ctx.command_name());
  report_outcomes(reporter, outcomes);
  print_outcomes(ctx, outcomes);
  return reporter.exit_code();
}

int run_topic_delete(const CommandContext& ctx) {
  auto names = parse_topic_names(ctx.inv);
  if (!names.ok()) return ctx.usage_failure(names.error());
  auto client = ctx.make_client(Client::Kind::kProducer, admin_properties());
  if (!client.ok()) return ctx.usage_failure(client.error());
  Deadline deadline(ctx.global.timeout_ms);
  auto outcomes = outcomes_or_failure(delete_topics(**client, *names, deadline), *names);
  Reporter reporter(ctx.err, ctx.command_name());
  report_outcomes(reporter, outcomes);
  print_outcomes(ctx, outcomes);
  return reporter.exit_code();
}

namespace {

size_t replication_factor(const TopicInfo& topic) {
  size_t rf = 0;
  for (const auto& p : topic.partitions)
    rf = std::max(rf, p.replicas.size());
  return rf;
}

void print_topic_list(const CommandContext& ctx, const std::vector<const TopicInfo*>& topics) {
  if (ctx.global.format == OutputFormat::kJson) {
    Json json = Json::array();
    for (const TopicInfo* topic : topics) {
      Json item = Json::object();
      item["name"] = topic->name;
      item["partitions"] = static_cast<int64_t>(topic->partitions.size());
      item["replicas"] = static_cast<int64_t>(replication_factor(*topic));
      item["internal"] = is_internal_topic(topic->name);
      json.push_back(std::move(item));
    }
    emit_json(ctx.out, json);
    return;
  }
  Table table({"NAME", "PARTITIONS", "REPLICAS"});
  for (const TopicInfo* topic : topics) {
    table.add_row({topic->name, std::to_string(topic->partitions.size()),
                   std::to_string(replication_factor(*topic))});
  }
  ctx.out << table.render();
}

}  // namespace

int run_topic_list(const CommandContext& ctx) {
  auto options = parse_topic_list(ctx.inv);
  if (!options.ok()) return ctx.usage_failure(options.error());
  auto client = ctx.make_client(Client::Kind::kProducer, admin_properties());
  if (!client.ok()) return ctx.usage_failure(client.error());
  Reporter reporter(ctx.err, ctx.command_name());
  auto cluster = fetch_cluster(**client, true, Deadline(ctx.global.timeout_ms));
  if (!cluster.ok()) {
    reporter.item_failed((*client)->settings().brokers, cluster.error());
    return reporter.exit_code();
  }
  std::vector<const TopicInfo*> topics;
  for (const auto& topic : cluster->topics) {
    if (!options->internal && is_internal_topic(topic.name)) continue;
    topics.push_back(&topic);
  }
  print_topic_list(ctx, topics);
  return reporter.exit_code();
}

namespace {

// Outcome of add-partitions for one topic; `total` is the requested new partition count.
struct AddOutcome {
  TopicOutcome outcome;
  std::optional<int32_t> total;
};

void print_add_outcomes(const CommandContext& ctx, const std::vector<AddOutcome>& results) {
  if (ctx.global.format == OutputFormat::kJson) {
    Json json = Json::array();
    for (const auto& [outcome, total] : results) {
      Json item = Json::object();
      item["topic"] = outcome.topic;
      item["partitions"] = total && !outcome.error ? Json(*total) : Json();
      item["error"] = error_json(outcome.error);
      json.push_back(std::move(item));
    }
    emit_json(ctx.out, json);
    return;
  }
  Table table({"TOPIC", "PARTITIONS", "STATUS"});
  for (const auto& [outcome, total] : results) {
    std::string shown = total && !outcome.error ? std::to_string(*total) : "-";
    table.add_row({outcome.topic, shown, status_text(outcome.error)});
  }
  ctx.out << table.render();
}

}  // namespace

int run_topic_add_partitions(const CommandContext& ctx) {
  auto options = parse_add_partitions(ctx.inv);
  if (!options.ok()) return ctx.usage_failure(options.error());
  auto client = ctx.make_client(Client::Kind::kProducer, admin_properties());
  if (!client.ok()) return ctx.usage_failure(client.error());
  Deadline deadline(ctx.global.timeout_ms);
  // CreatePartitions takes the new total; --num is how many to add, so read the count first.
  auto cluster = fetch_cluster(**client, true, deadline);
  std::vector<AddOutcome> results;
  std::vector<std::pair<std::string, int32_t>> requests;
  for (const auto& name : options->topics) {
    Result<TopicInfo> topic =
        cluster.ok() ? find_topic(*cluster, name) : Result<TopicInfo>(cluster.error());
    if (!topic.ok()) {
      results.push_back({{name, topic.error()}, std::nullopt});
      continue;
    }
    int32_t total = static_cast<int32_t>(topic->partitions.size()) + options->add;
    results.push_back({{name, std::nullopt}, total});
    requests.push_back({name, total});
  }
  if (!requests.empty()) {
    std::vector<std::string> names;
    for (const auto& request : requests)
      names.push_back(request.first);
    auto sent = outcomes_or_failure(
        create_partitions(**client, requests, options->dry_run, deadline), names);
    for (auto& result : results) {
      for (const auto& outcome : sent) {
        if (outcome.topic == result.outcome.topic && result.total) result.outcome = outcome;
      }
    }
  }
  Reporter reporter(ctx.err, ctx.command_name());
  for (const auto& result : results) {
    if (result.outcome.error) reporter.item_failed(result.outcome.topic, *result.outcome.error);
  }
  print_add_outcomes(ctx, results);
  return reporter.exit_code();
}

}  // namespace ferry::cli
