// `ferry topic describe`: Metadata (leaders, replicas, ISR) + ListOffsets (watermarks) +
// DescribeConfigs (configs with their sources), per topic, plus each partition's leader epoch
// (a Metadata v7 request of our own, kafka/leader_epochs.h) and its health: OFFLINE (no leader),
// UNDER-MIN-ISR (fewer in-sync replicas than min.insync.replicas: acks=all writes are refused),
// UNDER-REPLICATED (some replica is out of the ISR).
#include <algorithm>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "cli/kafka/leader_epochs.h"
#include "cli/output.h"
#include "cli/report.h"
#include "cli/table.h"
#include "cli/topic_commands.h"
#include "common/parse.h"
#include "common/topic_name.h"

namespace ferry::cli {
namespace {

struct PartitionView {
  PartitionInfo info;
  std::optional<Watermarks> watermarks;  // absent when the query failed
  std::optional<int32_t> leader_epoch;   // absent when unknown
};

struct TopicView {
  std::string name;
  std::optional<Error> error;
  std::vector<PartitionView> partitions;
  std::optional<Error> configs_error;
  std::vector<ConfigEntry> configs;
};

std::string partition_item(const std::string& topic, int32_t partition) {
  return fmt::format("{}[{}]", topic, partition);
}

// Watermarks of every partition, each query bounded by what is left of the deadline.
void add_watermarks(Client& client, TopicView& view, const Deadline& deadline, Reporter& reporter) {
  for (auto& partition : view.partitions) {
    if (partition.info.error != ErrorCode::NONE) {
      reporter.item_failed(partition_item(view.name, partition.info.id),
                           Error(partition.info.error, ""));
      continue;
    }
    auto marks = query_watermarks(client, view.name, partition.info.id, deadline);
    if (marks.ok()) {
      partition.watermarks = *marks;
    } else {
      reporter.item_failed(partition_item(view.name, partition.info.id), marks.error());
    }
  }
}

// min.insync.replicas from the topic's configs (1 when absent or unreadable).
int32_t min_insync(const TopicView& view) {
  for (const auto& e : view.configs) {
    if (e.name == "min.insync.replicas" && e.value) {
      // A value that does not parse (an odd broker): show the partitions without the flag.
      return std::max(1, parse_integer<int32_t>(*e.value).value_or(1));
    }
  }
  return 1;
}

// The flags of one partition, worst first.
std::vector<std::string> health_flags(const TopicView& view, const PartitionView& p) {
  std::vector<std::string> flags;
  if (p.info.error != ErrorCode::NONE) return flags;
  if (p.info.leader < 0) flags.emplace_back("OFFLINE");
  if (static_cast<int32_t>(p.info.isr.size()) < min_insync(view)) {
    flags.emplace_back("UNDER-MIN-ISR");
  }
  if (p.info.isr.size() < p.info.replicas.size()) flags.emplace_back("UNDER-REPLICATED");
  return flags;
}

std::vector<TopicView> collect(Client& client, const std::vector<std::string>& names,
                               const std::string& brokers, const Deadline& deadline,
                               Reporter& reporter) {
  std::vector<TopicView> views;
  auto cluster = fetch_cluster(client, true, deadline);
  std::vector<std::string> found;
  for (const auto& name : names) {
    TopicView view{name, std::nullopt, {}, std::nullopt, {}};
    auto topic = cluster.ok() ? find_topic(*cluster, name) : Result<TopicInfo>(cluster.error());
    if (!topic.ok()) {
      view.error = topic.error();
      reporter.item_failed(name, topic.error());
    } else {
      for (const auto& p : topic->partitions)
        view.partitions.push_back({p, std::nullopt});
      found.push_back(name);
    }
    views.push_back(std::move(view));
  }
  if (found.empty()) return views;
  // Best effort: a broker without Metadata v7 leaves the epochs unknown ("-").
  if (auto epochs = fetch_leader_epochs(brokers, found, deadline.remaining_ms()); epochs.ok()) {
    for (auto& view : views) {
      for (auto& p : view.partitions) {
        const auto it = epochs->find({view.name, p.info.id});
        if (it != epochs->end() && it->second >= 0) p.leader_epoch = it->second;
      }
    }
  }
  auto configs = describe_topic_configs(client, found, deadline);
  for (auto& view : views) {
    if (view.error) continue;
    add_watermarks(client, view, deadline, reporter);
    if (!configs.ok()) {
      view.configs_error = configs.error();
    } else {
      for (const auto& topic_configs : *configs) {
        if (topic_configs.topic != view.name) continue;
        view.configs_error = topic_configs.error;
        view.configs = topic_configs.entries;
      }
    }
    if (view.configs_error) reporter.item_failed(view.name, *view.configs_error);
  }
  return views;
}

Json offset_json(const std::optional<Watermarks>& marks, bool high) {
  if (!marks) return Json();
  return Json(high ? marks->high : marks->log_start);
}

Json topic_json(const TopicView& view) {
  Json json = Json::object();
  json["name"] = view.name;
  json["internal"] = is_internal_topic(view.name);
  json["error"] = error_json(view.error);
  if (view.error) return json;
  Json partitions = Json::array();
  for (const auto& p : view.partitions) {
    Json item = Json::object();
    item["partition"] = p.info.id;
    item["leader"] = p.info.leader;
    item["leader_epoch"] = p.leader_epoch ? Json(*p.leader_epoch) : Json();
    item["replicas"] = ids_json(p.info.replicas);
    item["isr"] = ids_json(p.info.isr);
    const auto flags = health_flags(view, p);
    item["under_replicated"] =
        std::find(flags.begin(), flags.end(), "UNDER-REPLICATED") != flags.end();
    item["under_min_isr"] = std::find(flags.begin(), flags.end(), "UNDER-MIN-ISR") != flags.end();
    item["offline"] = std::find(flags.begin(), flags.end(), "OFFLINE") != flags.end();
    item["log_start_offset"] = offset_json(p.watermarks, false);
    item["high_watermark"] = offset_json(p.watermarks, true);
    item["error"] = (error_json(p.info.error == ErrorCode::NONE
                                    ? std::nullopt
                                    : std::optional<Error>(Error(p.info.error, ""))));
    partitions.push_back(std::move(item));
  }
  json["partitions"] = std::move(partitions);
  Json configs = Json::array();
  for (const auto& entry : view.configs) {
    Json item = Json::object();
    item["name"] = entry.name;
    item["value"] = optional_string(entry.value);
    item["source"] = entry.source;
    item["read_only"] = entry.read_only;
    item["sensitive"] = entry.sensitive;
    configs.push_back(std::move(item));
  }
  json["configs"] = std::move(configs);
  json["configs_error"] = error_json(view.configs_error);
  return json;
}

std::string offset_text(const std::optional<Watermarks>& marks, bool high) {
  if (!marks) return "-";
  return std::to_string(high ? marks->high : marks->log_start);
}

std::string topic_text(const TopicView& view) {
  Table summary = Table::key_values();
  summary.add_row({"NAME", view.name});
  if (view.error) {
    summary.add_row({"ERROR", describe_error(*view.error)});
    return section_title("SUMMARY") + summary.render();
  }
  size_t rf = 0;
  for (const auto& p : view.partitions)
    rf = std::max(rf, p.info.replicas.size());
  summary.add_row({"PARTITIONS", std::to_string(view.partitions.size())});
  summary.add_row({"REPLICAS", std::to_string(rf)});
  size_t under_replicated = 0, under_min_isr = 0, offline = 0;
  for (const auto& p : view.partitions) {
    for (const auto& f : health_flags(view, p)) {
      under_replicated += f == "UNDER-REPLICATED";
      under_min_isr += f == "UNDER-MIN-ISR";
      offline += f == "OFFLINE";
    }
  }
  if (under_replicated > 0) summary.add_row({"UNDER-REPLICATED", std::to_string(under_replicated)});
  if (under_min_isr > 0) summary.add_row({"UNDER-MIN-ISR", std::to_string(under_min_isr)});
  if (offline > 0) summary.add_row({"OFFLINE", std::to_string(offline)});
  Table configs({"KEY", "VALUE", "SOURCE"});
  for (const auto& entry : view.configs) {
    configs.add_row(
        {entry.name, entry.value.value_or(entry.sensitive ? "(sensitive)" : "-"), entry.source});
  }
  Table partitions({"PARTITION", "LEADER", "EPOCH", "REPLICAS", "ISR", "LOG-START-OFFSET",
                    "HIGH-WATERMARK", "STATUS", "ERROR"});
  for (const auto& p : view.partitions) {
    std::string error = p.info.error == ErrorCode::NONE ? "" : error_display_name(p.info.error);
    std::string status;
    for (const auto& f : health_flags(view, p))
      status += (status.empty() ? "" : ",") + f;
    partitions.add_row({std::to_string(p.info.id), std::to_string(p.info.leader),
                        p.leader_epoch ? std::to_string(*p.leader_epoch) : "-",
                        join_ids(p.info.replicas), join_ids(p.info.isr),
                        offset_text(p.watermarks, false), offset_text(p.watermarks, true),
                        status.empty() ? "OK" : status, error});
  }
  std::string configs_text =
      view.configs_error ? describe_error(*view.configs_error) + "\n" : configs.render();
  return section_title("SUMMARY") + summary.render() + "\n" + section_title("CONFIGS") +
         configs_text + "\n" + section_title("PARTITIONS") + partitions.render();
}

}  // namespace

int run_topic_describe(const CommandContext& ctx) {
  auto names = parse_topic_names(ctx.inv);
  if (!names.ok()) return ctx.usage_failure(names.error());
  auto client = ctx.make_client(Client::Kind::kProducer, {{"allow.auto.create.topics", "false"}});
  if (!client.ok()) return ctx.usage_failure(client.error());
  Reporter reporter(ctx.err, ctx.command_name());
  auto settings = ctx.client_settings();
  if (!settings.ok()) return ctx.usage_failure(settings.error());
  auto views =
      collect(**client, *names, settings->brokers, Deadline(ctx.global.timeout_ms), reporter);
  if (ctx.global.format == OutputFormat::kJson) {
    Json json = Json::array();
    for (const auto& view : views)
      json.push_back(topic_json(view));
    emit_json(ctx.out, json);
  } else {
    for (size_t i = 0; i < views.size(); ++i) {
      if (i > 0) ctx.out << '\n';
      ctx.out << topic_text(views[i]);
    }
  }
  return reporter.exit_code();
}

}  // namespace ferry::cli
