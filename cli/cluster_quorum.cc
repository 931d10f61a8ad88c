// `ferry cluster quorum`: the controller quorum as kafka-metadata-quorum describe shows it, from
// the controllers' gRPC DescribeQuorum (cli/quorum_client.h).
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/cluster_commands.h"
#include "cli/output.h"
#include "cli/quorum_client.h"
#include "cli/report.h"
#include "cli/table.h"
#include "proto/controller.pb.h"

namespace ferry::cli {

Result<QuorumOptions> parse_cluster_quorum(const Invocation& inv, const Environment& env) {
  QuorumOptions options;
  const std::string* flag = inv.value("controllers");
  auto resolved = resolve_controllers(flag ? std::optional<std::string>(*flag) : std::nullopt, env);
  if (!resolved.ok()) return usage_error(inv.command, resolved.error().message());
  size_t start = 0;
  const std::string& list = resolved->brokers;
  while (start <= list.size()) {
    size_t comma = std::min(list.find(',', start), list.size());
    std::string entry = list.substr(start, comma - start);
    // controller.quorum.voters style `id@host:port` is accepted as well.
    if (size_t at = entry.find('@'); at != std::string::npos) entry = entry.substr(at + 1);
    if (entry.empty() || entry.find(':') == std::string::npos) {
      return usage_error(inv.command,
                         fmt::format("--controllers: '{}' is not host:port (from {})",
                                     list.substr(start, comma - start), resolved->source));
    }
    options.controllers.push_back(std::move(entry));
    start = comma + 1;
  }
  bool status = inv.has("status");
  bool replication = inv.has("replication");
  options.status = status || !replication;
  options.replication = replication || !status;
  return options;
}

namespace {

Json optional_number(int64_t value) {
  return value < 0 ? Json() : Json(value);
}

using Quorum = proto::DescribeQuorumResponse;
using Voters = google::protobuf::RepeatedPtrField<proto::VoterState>;

Json voter_json(const proto::VoterState& voter) {
  Json json = Json::object();
  json["id"] = static_cast<int64_t>(voter.id());
  json["address"] = voter.address();
  json["log_end_offset"] = optional_number(voter.log_end_offset());
  json["lag"] = optional_number(voter.lag());
  json["last_fetch_ms_ago"] = optional_number(voter.last_fetch_ms_ago());
  json["last_caught_up_ms_ago"] = optional_number(voter.last_caught_up_ms_ago());
  json["state"] = voter.state();
  return json;
}

// kafka-metadata-quorum's MaxFollowerLag / MaxFollowerLagTimeMs over the voters that follow.
std::pair<int64_t, int64_t> max_follower_lag(const Quorum& q) {
  int64_t lag = 0;
  int64_t lag_ms = 0;
  for (const auto& voter : q.voters()) {
    if (voter.id() == q.leader().leader_id()) continue;
    lag = std::max(lag, voter.lag());
    lag_ms = std::max(lag_ms, voter.last_caught_up_ms_ago());
  }
  return {lag, lag_ms};
}

Json quorum_json(const Quorum& q, const QuorumOptions& options) {
  Json json = Json::object();
  if (options.status) {
    auto [lag, lag_ms] = max_follower_lag(q);
    json["cluster_id"] = q.cluster_id();
    json["leader_id"] = static_cast<int64_t>(q.leader().leader_id());
    json["leader_epoch"] = q.leader_epoch();
    json["high_watermark"] = q.high_watermark();
    json["log_start_offset"] = optional_number(q.log_start_offset());
    json["max_follower_lag"] = lag;
    json["max_follower_lag_time_ms"] = lag_ms;
  }
  if (options.replication) {
    Json voters = Json::array();
    for (const auto& voter : q.voters())
      voters.push_back(voter_json(voter));
    Json observers = Json::array();
    for (const auto& observer : q.observers())
      observers.push_back(voter_json(observer));
    json["voters"] = std::move(voters);
    json["observers"] = std::move(observers);
  }
  return json;
}

std::string ids_text(const Voters& voters) {
  std::vector<int32_t> ids;
  for (const auto& voter : voters)
    ids.push_back(voter.id());
  return "[" + join_ids(ids) + "]";
}

std::string number_text(int64_t value) {
  return value < 0 ? "-" : std::to_string(value);
}

std::string quorum_status_text(const Quorum& q) {
  auto [lag, lag_ms] = max_follower_lag(q);
  Table table = Table::key_values();
  table.add_row({"ClusterId", q.cluster_id()});
  table.add_row({"LeaderId", std::to_string(q.leader().leader_id())});
  table.add_row({"LeaderEpoch", std::to_string(q.leader_epoch())});
  table.add_row({"HighWatermark", std::to_string(q.high_watermark())});
  table.add_row({"LogStartOffset", number_text(q.log_start_offset())});
  table.add_row({"MaxFollowerLag", std::to_string(lag)});
  table.add_row({"MaxFollowerLagTimeMs", std::to_string(lag_ms)});
  table.add_row({"CurrentVoters", ids_text(q.voters())});
  table.add_row({"CurrentObservers", ids_text(q.observers())});
  return section_title("STATUS") + table.render();
}

std::string replication_text(const Quorum& q) {
  Table table({"NODE-ID", "ADDRESS", "LOG-END-OFFSET", "LAG", "LAST-FETCH-MS-AGO",
               "LAST-CAUGHT-UP-MS-AGO", "STATUS"});
  auto add = [&](const proto::VoterState& v, std::string status) {
    table.add_row({std::to_string(v.id()), v.address(), number_text(v.log_end_offset()),
                   number_text(v.lag()), number_text(v.last_fetch_ms_ago()),
                   number_text(v.last_caught_up_ms_ago()), std::move(status)});
  };
  for (const auto& voter : q.voters())
    add(voter, voter.state());
  for (const auto& observer : q.observers())
    add(observer, "Observer");
  return section_title("REPLICATION") + table.render();
}

}  // namespace

int run_cluster_quorum(const CommandContext& ctx) {
  auto options = parse_cluster_quorum(ctx.inv, ctx.env);
  if (!options.ok()) return ctx.usage_failure(options.error());
  Reporter reporter(ctx.err, ctx.command_name());
  auto described = describe_quorum_any(options->controllers, ctx.global.timeout_ms);
  if (!described.ok()) {
    reporter.item_failed(fmt::format("{}", fmt::join(options->controllers, ",")),
                         described.error());
    return reporter.exit_code();
  }
  const Quorum& quorum = *described;
  if (ctx.global.format == OutputFormat::kJson) {
    emit_json(ctx.out, quorum_json(quorum, *options));
    return reporter.exit_code();
  }
  std::string text;
  if (options->status) text += quorum_status_text(quorum);
  if (options->status && options->replication) text += "\n";
  if (options->replication) text += replication_text(quorum);
  ctx.out << text;
  return reporter.exit_code();
}

}  // namespace ferry::cli
