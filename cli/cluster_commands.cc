#include "cli/cluster_commands.h"

#include "cli/kafka/admin.h"
#include "cli/output.h"
#include "cli/report.h"
#include "cli/table.h"

namespace ferry::cli {
namespace {

Json cluster_json(const ClusterInfo& cluster) {
  Json json = Json::object();
  json["cluster_id"] = cluster.cluster_id.empty() ? Json() : Json(cluster.cluster_id);
  json["controller_id"] = cluster.controller_id < 0 ? Json() : Json(cluster.controller_id);
  Json brokers = Json::array();
  for (const auto& broker : cluster.brokers) {
    Json item = Json::object();
    item["id"] = broker.id;
    item["host"] = broker.host;
    item["port"] = broker.port;
    brokers.push_back(std::move(item));
  }
  json["brokers"] = std::move(brokers);
  return json;
}

std::string cluster_text(const ClusterInfo& cluster) {
  Table summary = Table::key_values();
  summary.add_row({"ID", cluster.cluster_id.empty() ? "-" : cluster.cluster_id});
  summary.add_row(
      {"CONTROLLER", cluster.controller_id < 0 ? "-" : std::to_string(cluster.controller_id)});
  // rpk's habit: the controller's id carries a '*'.
  Table brokers({"ID", "HOST", "PORT"});
  for (const auto& broker : cluster.brokers) {
    std::string id = std::to_string(broker.id) + (broker.id == cluster.controller_id ? "*" : "");
    brokers.add_row({id, broker.host, std::to_string(broker.port)});
  }
  return section_title("CLUSTER") + summary.render() + "\n" + section_title("BROKERS") +
         brokers.render();
}

}  // namespace

int run_cluster_info(const CommandContext& ctx) {
  auto client = ctx.make_client(Client::Kind::kProducer, {{"allow.auto.create.topics", "false"}});
  if (!client.ok()) return ctx.usage_failure(client.error());
  Reporter reporter(ctx.err, ctx.command_name());
  auto cluster = fetch_cluster(**client, false, Deadline(ctx.global.timeout_ms));
  if (!cluster.ok()) {
    reporter.item_failed((*client)->settings().brokers, cluster.error());
    return reporter.exit_code();
  }
  if (ctx.global.format == OutputFormat::kJson) {
    emit_json(ctx.out, cluster_json(*cluster));
  } else {
    ctx.out << cluster_text(*cluster);
  }
  return reporter.exit_code();
}

}  // namespace ferry::cli
