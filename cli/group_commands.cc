#include "cli/group_commands.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "cli/kafka/admin.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/report.h"
#include "cli/table.h"
#include "common/parse.h"

namespace ferry::cli {
namespace {

const std::vector<std::pair<std::string, std::string>>& admin_properties() {
  static const std::vector<std::pair<std::string, std::string>> kProperties = {
      {"allow.auto.create.topics", "false"}};
  return kProperties;
}

std::string assignment_text(const std::vector<GroupTopicPartition>& tps) {
  std::map<std::string, std::vector<int32_t>> by_topic;
  for (const auto& tp : tps)
    by_topic[tp.topic].push_back(tp.partition);
  std::string out;
  for (const auto& [topic, parts] : by_topic) {
    if (!out.empty()) out += " ";
    out += topic + ":" + join_ids(parts);
  }
  return out.empty() ? "-" : out;
}

// Every partition of each selected topic (metadata), or the ones named.
Result<std::vector<GroupTopicPartition>> resolve(Client& client,
                                                 const std::vector<TopicSelection>& selections,
                                                 const Deadline& deadline) {
  std::vector<GroupTopicPartition> out;
  std::optional<ClusterInfo> cluster;
  for (const auto& s : selections) {
    if (!cluster) {
      FERRY_ASSIGN_OR_RETURN(auto c, fetch_cluster(client, true, deadline));
      cluster = std::move(c);
    }
    auto topic = find_topic(*cluster, s.topic);
    if (!topic.ok()) {
      return Error(topic.code(),
                   fmt::format("topic {}: {}", s.topic, describe_error(topic.error())));
    }
    if (s.partitions.empty()) {
      for (const auto& p : topic->partitions)
        out.push_back({s.topic, p.id});
      continue;
    }
    for (const int32_t p : s.partitions) {
      if (p < 0 || p >= static_cast<int32_t>(topic->partitions.size())) {
        return Error(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
                     fmt::format("{} has no partition {}", s.topic, p));
      }
      out.push_back({s.topic, p});
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// The group's member and committed offsets, per partition: committed offset, log end, lag and
// the member it is assigned to.
struct PartitionLag {
  GroupTopicPartition tp;
  int64_t committed = -1;
  int64_t log_end = -1;
  std::string member;
};

std::vector<PartitionLag> lags(Client& client, const GroupDescription& group,
                               const std::vector<GroupOffset>& offsets, const Deadline& deadline,
                               Reporter& reporter) {
  std::map<GroupTopicPartition, PartitionLag> rows;
  for (const auto& o : offsets) {
    rows[o.tp].tp = o.tp;
    rows[o.tp].committed = o.offset;
  }
  for (const auto& m : group.members) {
    for (const auto& tp : m.assignment) {
      rows[tp].tp = tp;
      rows[tp].member = m.member_id;
    }
  }
  std::vector<PartitionLag> out;
  for (auto& [tp, row] : rows) {
    auto marks = query_watermarks(client, tp.topic, tp.partition, deadline);
    if (marks.ok()) {
      row.log_end = marks->high;
    } else {
      reporter.item_failed(fmt::format("{} {}-{}", group.group_id, tp.topic, tp.partition),
                           marks.error());
    }
    out.push_back(row);
  }
  return out;
}

std::string offset_text(int64_t offset) {
  return offset < 0 ? "-" : std::to_string(offset);
}

}  // namespace

// ---- parsing ----------------------------------------------------------------------------------

Result<std::vector<TopicSelection>> parse_topic_selections(const Invocation& inv) {
  std::vector<TopicSelection> out;
  for (const auto& text : inv.values("topic")) {
    TopicSelection s;
    const size_t colon = text.find(':');
    s.topic = text.substr(0, colon);
    if (s.topic.empty())
      return usage_error(inv.command, fmt::format("--topic '{}': no topic", text));
    if (colon != std::string::npos) {
      std::string_view rest = std::string_view(text).substr(colon + 1);
      while (!rest.empty()) {
        const size_t comma = rest.find(',');
        const auto p = parse_integer<int32_t>(rest.substr(0, comma));
        if (!p || *p < 0) {
          return usage_error(
              inv.command,
              fmt::format("--topic '{}': partitions are numbers, e.g. {}:0,1", text, s.topic));
        }
        s.partitions.push_back(*p);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
      if (s.partitions.empty()) {
        return usage_error(inv.command, fmt::format("--topic '{}': no partition after ':'", text));
      }
    }
    out.push_back(std::move(s));
  }
  if (out.empty()) return usage_error(inv.command, "missing flag --topic TOPIC[:P,...]");
  return out;
}

Result<SeekTarget> parse_seek_target(const Invocation& inv) {
  const std::string* to = inv.value("to");
  const std::string* ts = inv.value("to-timestamp");
  const std::string* shift = inv.value("shift-by");
  const int given = (to != nullptr) + (ts != nullptr) + (shift != nullptr);
  if (given != 1) {
    return usage_error(inv.command,
                       "give exactly one of --to earliest|latest|OFFSET, --to-timestamp MS, "
                       "--shift-by N");
  }
  SeekTarget t;
  if (to != nullptr) {
    if (*to == "earliest") return SeekTarget{SeekTarget::Kind::kEarliest, 0};
    if (*to == "latest") return SeekTarget{SeekTarget::Kind::kLatest, 0};
    FERRY_ASSIGN_OR_RETURN(int64_t offset, parse_int_flag(inv, "to", *to, 0, INT64_MAX));
    return SeekTarget{SeekTarget::Kind::kOffset, offset};
  }
  if (ts != nullptr) {
    FERRY_ASSIGN_OR_RETURN(int64_t ms, parse_int_flag(inv, "to-timestamp", *ts, 0, INT64_MAX));
    return SeekTarget{SeekTarget::Kind::kTimestamp, ms};
  }
  FERRY_ASSIGN_OR_RETURN(int64_t n,
                         parse_int_flag(inv, "shift-by", *shift, INT64_MIN / 2, INT64_MAX / 2));
  return SeekTarget{SeekTarget::Kind::kShift, n};
}

Result<int64_t> seek_offset(const SeekTarget& target, int64_t committed, int64_t log_start,
                            int64_t log_end, int64_t offset_for_timestamp) {
  int64_t want = 0;
  switch (target.kind) {
    case SeekTarget::Kind::kEarliest:
      want = log_start;
      break;
    case SeekTarget::Kind::kLatest:
      want = log_end;
      break;
    case SeekTarget::Kind::kOffset:
      want = target.value;
      break;
    case SeekTarget::Kind::kTimestamp:
      want = offset_for_timestamp < 0 ? log_end : offset_for_timestamp;  // none later: the end
      break;
    case SeekTarget::Kind::kShift:
      if (committed < 0) {
        return Error(ErrorCode::INVALID_REQUEST,
                     "no committed offset to shift from (use --to first)");
      }
      want = committed + target.value;
      break;
  }
  return std::clamp(want, log_start, log_end);
}

// ---- commands ---------------------------------------------------------------------------------

int run_group_list(const CommandContext& ctx) {
  auto client = ctx.make_client(Client::Kind::kProducer, admin_properties());
  if (!client.ok()) return ctx.usage_failure(client.error());
  Reporter reporter(ctx.err, ctx.command_name());
  auto list = list_groups(**client, Deadline(ctx.global.timeout_ms));
  if (!list.ok()) {
    reporter.item_failed((*client)->settings().brokers, list.error());
    return reporter.exit_code();
  }
  for (const auto& e : list->errors)
    reporter.item_failed("a broker", e);
  if (ctx.global.format == OutputFormat::kJson) {
    Json json = Json::array();
    for (const auto& g : list->groups) {
      Json item = Json::object();
      item["group"] = g.group_id;
      item["state"] = g.state;
      item["simple"] = g.simple;
      json.push_back(std::move(item));
    }
    emit_json(ctx.out, json);
  } else {
    Table table({"GROUP", "STATE"});
    for (const auto& g : list->groups)
      table.add_row({g.group_id, g.state});
    ctx.out << table.render();
  }
  return reporter.exit_code();
}

int run_group_describe(const CommandContext& ctx) {
  auto client = ctx.make_client(Client::Kind::kProducer, admin_properties());
  if (!client.ok()) return ctx.usage_failure(client.error());
  Reporter reporter(ctx.err, ctx.command_name());
  Deadline deadline(ctx.global.timeout_ms);
  Json json = Json::array();
  for (const auto& id : ctx.inv.args) {
    auto group = describe_group(**client, id, deadline);
    if (!group.ok() || group->error) {
      reporter.item_failed(id, group.ok() ? *group->error : group.error());
      continue;
    }
    auto offsets = group_offsets(**client, id, deadline);
    if (!offsets.ok()) {
      reporter.item_failed(id, offsets.error());
      continue;
    }
    const auto rows = lags(**client, *group, *offsets, deadline, reporter);
    int64_t total_lag = 0;
    for (const auto& r : rows) {
      if (r.committed >= 0 && r.log_end >= 0)
        total_lag += std::max<int64_t>(r.log_end - r.committed, 0);
    }
    if (ctx.global.format == OutputFormat::kJson) {
      Json item = Json::object();
      item["group"] = id;
      item["state"] = group->state;
      item["protocol"] = group->protocol;
      item["coordinator"] = group->coordinator;
      item["total_lag"] = total_lag;
      Json members = Json::array();
      for (const auto& m : group->members) {
        Json jm = Json::object();
        jm["member_id"] = m.member_id;
        jm["instance_id"] = m.instance_id;
        jm["client_id"] = m.client_id;
        jm["host"] = m.host;
        Json assigned = Json::array();
        for (const auto& tp : m.assignment)
          assigned.push_back({{"topic", tp.topic}, {"partition", tp.partition}});
        jm["assignment"] = std::move(assigned);
        members.push_back(std::move(jm));
      }
      item["members"] = std::move(members);
      Json partitions = Json::array();
      for (const auto& r : rows) {
        Json jp = Json::object();
        jp["topic"] = r.tp.topic;
        jp["partition"] = r.tp.partition;
        jp["committed_offset"] = r.committed;
        jp["log_end_offset"] = r.log_end;
        jp["lag"] = r.committed >= 0 && r.log_end >= 0 ? Json(r.log_end - r.committed) : Json();
        jp["member_id"] = r.member;
        partitions.push_back(std::move(jp));
      }
      item["partitions"] = std::move(partitions);
      json.push_back(std::move(item));
      continue;
    }
    Table summary = Table::key_values();
    summary.add_row({"GROUP", id});
    summary.add_row(
        {"COORDINATOR", group->coordinator < 0 ? "-" : std::to_string(group->coordinator)});
    summary.add_row({"STATE", group->state});
    summary.add_row({"PROTOCOL", group->protocol.empty() ? "-" : group->protocol});
    summary.add_row({"MEMBERS", std::to_string(group->members.size())});
    summary.add_row({"TOTAL-LAG", std::to_string(total_lag)});
    Table members({"MEMBER-ID", "INSTANCE-ID", "CLIENT-ID", "HOST", "ASSIGNMENT"});
    for (const auto& m : group->members) {
      members.add_row({m.member_id, m.instance_id.empty() ? "-" : m.instance_id, m.client_id,
                       m.host, assignment_text(m.assignment)});
    }
    Table partitions(
        {"TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "MEMBER-ID"});
    for (const auto& r : rows) {
      const std::string lag =
          r.committed >= 0 && r.log_end >= 0 ? std::to_string(r.log_end - r.committed) : "-";
      partitions.add_row({r.tp.topic, std::to_string(r.tp.partition), offset_text(r.committed),
                          offset_text(r.log_end), lag, r.member.empty() ? "-" : r.member});
    }
    ctx.out << section_title("SUMMARY") << summary.render() << "\n"
            << section_title("MEMBERS") << members.render() << "\n"
            << section_title("PARTITIONS") << partitions.render();
  }
  if (ctx.global.format == OutputFormat::kJson) emit_json(ctx.out, json);
  return reporter.exit_code();
}

int run_group_seek(const CommandContext& ctx) {
  auto selections = parse_topic_selections(ctx.inv);
  if (!selections.ok()) return ctx.usage_failure(selections.error());
  auto target = parse_seek_target(ctx.inv);
  if (!target.ok()) return ctx.usage_failure(target.error());
  const bool execute = ctx.inv.has("execute");
  auto client = ctx.make_client(Client::Kind::kProducer, admin_properties());
  if (!client.ok()) return ctx.usage_failure(client.error());
  const std::string& id = ctx.inv.args.front();
  Reporter reporter(ctx.err, ctx.command_name());
  Deadline deadline(ctx.global.timeout_ms);
  // Like kafka-consumer-groups --reset-offsets: only a group with no live member is moved
  // (a member would overwrite the change with its next commit).
  auto group = describe_group(**client, id, deadline);
  if (!group.ok() || group->error) {
    reporter.item_failed(id, group.ok() ? *group->error : group.error());
    return reporter.exit_code();
  }
  if (!group->members.empty()) {
    reporter.item_failed(id, Error(ErrorCode::NON_EMPTY_GROUP,
                                   fmt::format("the group is {} with {} member(s): stop its "
                                               "consumers first",
                                               group->state, group->members.size())));
    return reporter.exit_code();
  }
  auto partitions = resolve(**client, *selections, deadline);
  if (!partitions.ok()) {
    reporter.item_failed(id, partitions.error());
    return reporter.exit_code();
  }
  auto current = group_offsets(**client, id, deadline);
  if (!current.ok()) {
    reporter.item_failed(id, current.error());
    return reporter.exit_code();
  }
  std::map<GroupTopicPartition, int64_t> committed;
  for (const auto& o : *current)
    committed[o.tp] = o.offset;
  std::map<GroupTopicPartition, int64_t> by_time;
  if (target->kind == SeekTarget::Kind::kTimestamp) {
    auto found = offsets_for_timestamp(**client, *partitions, target->value, deadline);
    if (!found.ok()) {
      reporter.item_failed(id, found.error());
      return reporter.exit_code();
    }
    for (const auto& o : *found)
      by_time[o.tp] = o.offset;
  }
  std::vector<GroupOffset> plan;
  std::vector<std::pair<GroupOffset, int64_t>> rows;  // new offset, old offset
  for (const auto& tp : *partitions) {
    const std::string item = fmt::format("{}-{}", tp.topic, tp.partition);
    auto marks = query_watermarks(**client, tp.topic, tp.partition, deadline);
    if (!marks.ok()) {
      reporter.item_failed(item, marks.error());
      continue;
    }
    const int64_t old = committed.count(tp) ? committed[tp] : -1;
    auto offset = seek_offset(*target, old, marks->log_start, marks->high,
                              by_time.count(tp) ? by_time[tp] : -1);
    if (!offset.ok()) {
      reporter.item_failed(item, offset.error());
      continue;
    }
    GroupOffset o;
    o.tp = tp;
    o.offset = *offset;
    plan.push_back(o);
    rows.emplace_back(o, old);
  }
  if (execute && !plan.empty()) {
    auto done = alter_group_offsets(**client, id, plan, deadline);
    if (!done.ok()) {
      reporter.item_failed(id, done.error());
      return reporter.exit_code();
    }
    for (const auto& o : *done) {
      if (o.error) reporter.item_failed(fmt::format("{}-{}", o.tp.topic, o.tp.partition), *o.error);
    }
  }
  if (ctx.global.format == OutputFormat::kJson) {
    Json json = Json::object();
    json["group"] = id;
    json["executed"] = execute;
    Json items = Json::array();
    for (const auto& [o, old] : rows) {
      items.push_back({{"topic", o.tp.topic},
                       {"partition", o.tp.partition},
                       {"old_offset", old},
                       {"new_offset", o.offset}});
    }
    json["partitions"] = std::move(items);
    emit_json(ctx.out, json);
  } else {
    Table table({"TOPIC", "PARTITION", "OLD-OFFSET", "NEW-OFFSET"});
    for (const auto& [o, old] : rows) {
      table.add_row(
          {o.tp.topic, std::to_string(o.tp.partition), offset_text(old), std::to_string(o.offset)});
    }
    ctx.out << table.render();
    if (!execute) ctx.out << "(dry run: nothing changed; add --execute to apply)\n";
  }
  return reporter.exit_code();
}

int run_group_delete(const CommandContext& ctx) {
  auto client = ctx.make_client(Client::Kind::kProducer, admin_properties());
  if (!client.ok()) return ctx.usage_failure(client.error());
  Reporter reporter(ctx.err, ctx.command_name());
  auto outcomes = delete_groups(**client, ctx.inv.args, Deadline(ctx.global.timeout_ms));
  if (!outcomes.ok()) {
    for (const auto& g : ctx.inv.args)
      reporter.item_failed(g, outcomes.error());
    return reporter.exit_code();
  }
  for (const auto& [g, error] : *outcomes) {
    if (error) reporter.item_failed(g, *error);
  }
  if (ctx.global.format == OutputFormat::kJson) {
    Json json = Json::array();
    for (const auto& [g, error] : *outcomes)
      json.push_back({{"group", g}, {"error", error_json(error)}});
    emit_json(ctx.out, json);
  } else {
    Table table({"GROUP", "STATUS"});
    for (const auto& [g, error] : *outcomes)
      table.add_row({g, status_text(error)});
    ctx.out << table.render();
  }
  return reporter.exit_code();
}

int run_group_offset_delete(const CommandContext& ctx) {
  auto selections = parse_topic_selections(ctx.inv);
  if (!selections.ok()) return ctx.usage_failure(selections.error());
  auto client = ctx.make_client(Client::Kind::kProducer, admin_properties());
  if (!client.ok()) return ctx.usage_failure(client.error());
  const std::string& id = ctx.inv.args.front();
  Reporter reporter(ctx.err, ctx.command_name());
  Deadline deadline(ctx.global.timeout_ms);
  auto partitions = resolve(**client, *selections, deadline);
  if (!partitions.ok()) {
    reporter.item_failed(id, partitions.error());
    return reporter.exit_code();
  }
  auto outcomes = delete_group_offsets(**client, id, *partitions, deadline);
  if (!outcomes.ok()) {
    reporter.item_failed(id, outcomes.error());
    return reporter.exit_code();
  }
  for (const auto& o : *outcomes) {
    if (o.error) reporter.item_failed(fmt::format("{}-{}", o.tp.topic, o.tp.partition), *o.error);
  }
  if (ctx.global.format == OutputFormat::kJson) {
    Json json = Json::array();
    for (const auto& o : *outcomes) {
      json.push_back(
          {{"topic", o.tp.topic}, {"partition", o.tp.partition}, {"error", error_json(o.error)}});
    }
    emit_json(ctx.out, json);
  } else {
    Table table({"TOPIC", "PARTITION", "STATUS"});
    for (const auto& o : *outcomes)
      table.add_row({o.tp.topic, std::to_string(o.tp.partition), status_text(o.error)});
    ctx.out << table.render();
  }
  return reporter.exit_code();
}

}  // namespace ferry::cli
