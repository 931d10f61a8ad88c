#include "cli/app.h"

#include <librdkafka/rdkafka.h>

#include "cli/args.h"
#include "cli/cluster_commands.h"
#include "cli/command_context.h"
#include "cli/consume_command.h"
#include "cli/group_commands.h"
#include "cli/help.h"
#include "cli/output.h"
#include "cli/produce_command.h"
#include "cli/report.h"
#include "cli/topic_commands.h"

#ifndef FERRY_VERSION
#error "FERRY_VERSION must be defined by the build"
#endif

namespace ferry::cli {
namespace {

int run_version(const CommandContext& ctx) {
  if (ctx.global.format == OutputFormat::kJson) {
    Json json = Json::object();
    json["ferry"] = ferry_version();
    json["librdkafka"] = rd_kafka_version_str();
    emit_json(ctx.out, json);
  } else {
    ctx.out << "ferry " << ferry_version() << " (librdkafka " << rd_kafka_version_str() << ")\n";
  }
  return kExitOk;
}

int dispatch(const CommandContext& ctx) {
  switch (ctx.spec().id) {
    case CommandId::kTopicCreate:
      return run_topic_create(ctx);
    case CommandId::kTopicList:
      return run_topic_list(ctx);
    case CommandId::kTopicDescribe:
      return run_topic_describe(ctx);
    case CommandId::kTopicDelete:
      return run_topic_delete(ctx);
    case CommandId::kTopicAlterConfig:
      return run_topic_alter_config(ctx);
    case CommandId::kTopicAddPartitions:
      return run_topic_add_partitions(ctx);
    case CommandId::kProduce:
      return run_produce(ctx);
    case CommandId::kConsume:
      return run_consume(ctx);
    case CommandId::kClusterInfo:
      return run_cluster_info(ctx);
    case CommandId::kClusterQuorum:
      return run_cluster_quorum(ctx);
    case CommandId::kGroupList:
      return run_group_list(ctx);
    case CommandId::kGroupDescribe:
      return run_group_describe(ctx);
    case CommandId::kGroupSeek:
      return run_group_seek(ctx);
    case CommandId::kGroupDelete:
      return run_group_delete(ctx);
    case CommandId::kGroupOffsetDelete:
      return run_group_offset_delete(ctx);
    case CommandId::kVersion:
      return run_version(ctx);
    case CommandId::kHelp:
      break;  // args.h turns `help` into a help invocation
  }
  FERRY_PANIC("no handler for command '{}'", ctx.spec().path);
}

}  // namespace

std::string_view ferry_version() {
  return FERRY_VERSION;
}

int run_cli(std::span<const std::string> args, const Environment& env, std::ostream& out,
            std::ostream& err, int stdin_fd) {
  auto inv = parse_command_line(args);
  if (!inv.ok()) {
    err << "ferry: " << inv.error().message() << '\n';
    return kExitUsage;
  }
  if (inv->help) {
    out << render_help(inv->help_path);
    return kExitOk;
  }
  auto global = parse_global_options(*inv);
  if (!global.ok()) {
    err << "ferry: " << global.error().message() << '\n';
    return kExitUsage;
  }
  CommandContext ctx{*inv, *global, env, out, err, stdin_fd};
  int status = dispatch(ctx);
  out.flush();
  err.flush();
  return status;
}

}  // namespace ferry::cli
