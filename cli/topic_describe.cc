// `ferry topic describe`: Metadata (leaders, replicas, ISR) + ListOffsets (watermarks) +
// DescribeConfigs (configs with their sources), per topic.
#include <map>
#include <optional>

#include <fmt/format.h>

#include "cli/output.h"
#include "cli/report.h"
#include "cli/table.h"
#include "cli/topic_commands.h"
#include "common/topic_name.h"

namespace ferry::cli {
namespace {

struct PartitionView {
  PartitionInfo info;
  std::optional<Watermarks> watermarks;  // absent when the query failed
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

std::vector<TopicView> collect(Client& client, const std::vector<std::string>& names,
                               const Deadline& deadline, Reporter& reporter) {
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
  json.set("name", view.name);
  json.set("internal", is_internal_topic(view.name));
  json.set("error", error_json(view.error));
  if (view.error) return json;
  Json partitions = Json::array();
  for (const auto& p : view.partitions) {
    Json item = Json::object();
    item.set("partition", p.info.id);
    item.set("leader", p.info.leader);
    item.set("replicas", ids_json(p.info.replicas));
    item.set("isr", ids_json(p.info.isr));
    item.set("log_start_offset", offset_json(p.watermarks, false));
    item.set("high_watermark", offset_json(p.watermarks, true));
    item.set("error", error_json(p.info.error == ErrorCode::NONE
                                     ? std::nullopt
                                     : std::optional<Error>(Error(p.info.error, ""))));
    partitions.push(std::move(item));
  }
  json.set("partitions", std::move(partitions));
  Json configs = Json::array();
  for (const auto& entry : view.configs) {
    Json item = Json::object();
    item.set("name", entry.name);
    item.set("value", Json::optional_string(entry.value));
    item.set("source", entry.source);
    item.set("read_only", entry.read_only);
    item.set("sensitive", entry.sensitive);
    configs.push(std::move(item));
  }
  json.set("configs", std::move(configs));
  json.set("configs_error", error_json(view.configs_error));
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
  Table configs({"KEY", "VALUE", "SOURCE"});
  for (const auto& entry : view.configs) {
    configs.add_row(
        {entry.name, entry.value.value_or(entry.sensitive ? "(sensitive)" : "-"), entry.source});
  }
  Table partitions(
      {"PARTITION", "LEADER", "REPLICAS", "ISR", "LOG-START-OFFSET", "HIGH-WATERMARK", "ERROR"});
  for (const auto& p : view.partitions) {
    std::string error = p.info.error == ErrorCode::NONE ? "" : error_display_name(p.info.error);
    partitions.add_row({std::to_string(p.info.id), std::to_string(p.info.leader),
                        join_ids(p.info.replicas), join_ids(p.info.isr),
                        offset_text(p.watermarks, false), offset_text(p.watermarks, true), error});
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
  auto views = collect(**client, *names, Deadline(ctx.global.timeout_ms), reporter);
  if (ctx.global.format == OutputFormat::kJson) {
    Json json = Json::array();
    for (const auto& view : views)
      json.push(topic_json(view));
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
