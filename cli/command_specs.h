// The one table of `ferry` commands and flags (STYLE.md habit 10: one source of truth). The
// argument parser (args.h), `--help` (help.h) and the README's command list all come from it.
//
// Commands are paths of words ("topic create"); a word that is a proper prefix of some paths
// ("topic", "cluster") is a group. Every flag has a long name; a short name is optional. A flag
// with an empty `value_name` is boolean. Global flags are accepted by every command, before or
// after the command words.
//
// The tables are constants (no mutable state); the functions return references to them.
#pragma once

#include <span>
#include <string_view>
#include <vector>

namespace ferry::cli {

enum class CommandId {
  kHelp,
  kVersion,
  kTopicCreate,
  kTopicList,
  kTopicDescribe,
  kTopicDelete,
  kTopicAlterConfig,
  kTopicAddPartitions,
  kProduce,
  kConsume,
  kClusterInfo,
  kClusterQuorum,
  kGroupList,
  kGroupDescribe,
  kGroupSeek,
  kGroupDelete,
  kGroupOffsetDelete,
};

struct FlagSpec {
  std::string_view long_name;   // "partitions" (used as --partitions)
  char short_name = 0;          // 'p' (used as -p), 0 for none
  std::string_view value_name;  // "N"; empty for a boolean flag
  bool repeatable = false;      // may be given more than once (values accumulate)
  std::string_view help;

  bool takes_value() const { return !value_name.empty(); }
};

struct CommandSpec {
  CommandId id;
  std::string_view path;        // "topic create"
  std::string_view args_usage;  // "TOPIC..." (shown in the usage line)
  int min_args = 0;             // positional arguments
  int max_args = 0;             // -1: unbounded
  std::string_view summary;     // one line, shown in listings
  std::string_view details;     // paragraphs for `--help`
  std::span<const FlagSpec> flags;
};

// Every command, in the order `ferry help` lists them.
std::span<const CommandSpec> command_specs();
// Flags every command accepts.
std::span<const FlagSpec> global_flags();
// Groups and a one-line summary of each ("topic", "Create, list, ... topics").
struct GroupSpec {
  std::string_view name;
  std::string_view summary;
};
std::span<const GroupSpec> command_groups();

const CommandSpec* find_command(std::string_view path);
const CommandSpec& command_spec(CommandId id);
// True when `path` is a group: a proper word-prefix of at least one command path.
bool is_group(std::string_view path);

// The long names of the global flags, for code that reads them.
namespace flag {
inline constexpr std::string_view kBrokers = "brokers";
inline constexpr std::string_view kFormat = "format";
inline constexpr std::string_view kTimeout = "timeout";
inline constexpr std::string_view kRdkafka = "rdkafka";
inline constexpr std::string_view kVerbose = "verbose";
inline constexpr std::string_view kHelp = "help";
}  // namespace flag

}  // namespace ferry::cli
