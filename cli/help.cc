#include "cli/help.h"

#include <fmt/format.h>

#include "cli/command_specs.h"
#include "cli/table.h"

namespace ferry::cli {
namespace {

std::string indent(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out += "  ";
    out.append(text, start, end - start);
    out += '\n';
    start = end + 1;
  }
  return out;
}

std::string flag_rows(std::span<const FlagSpec> flags) {
  Table table = Table::key_values();
  for (const auto& flag : flags) {
    std::string name = flag.short_name != 0
                           ? fmt::format("-{}, --{}", flag.short_name, flag.long_name)
                           : fmt::format("    --{}", flag.long_name);
    if (flag.takes_value()) name += fmt::format(" {}", flag.value_name);
    if (flag.repeatable) name += " (repeatable)";
    table.add_row({name, std::string(flag.help)});
  }
  return indent(table.render());
}

// Commands directly or indirectly under `prefix` ("" for all).
std::string command_rows(std::string_view prefix) {
  Table table = Table::key_values();
  for (const auto& spec : command_specs()) {
    if (!prefix.empty() && !spec.path.starts_with(std::string(prefix) + " ")) continue;
    table.add_row({std::string(spec.path), std::string(spec.summary)});
  }
  return indent(table.render());
}

std::string command_help(const CommandSpec& spec) {
  std::string args = spec.args_usage.empty() ? "" : " " + std::string(spec.args_usage);
  std::string out = fmt::format("{}\n\nUsage: ferry {}{} [flags]\n", spec.summary, spec.path, args);
  if (!spec.details.empty()) out += fmt::format("\n{}\n", spec.details);
  if (!spec.flags.empty()) out += "\nFlags:\n" + flag_rows(spec.flags);
  out += "\nGlobal flags:\n" + flag_rows(global_flags());
  return out;
}

}  // namespace

std::string render_help(std::string_view path) {
  if (const CommandSpec* spec = find_command(path)) return command_help(*spec);
  if (!path.empty()) {
    std::string summary;
    for (const auto& group : command_groups()) {
      if (group.name == path) summary = group.summary;
    }
    return fmt::format(
        "{}\n\nUsage: ferry {} <command> [flags]\n\nCommands:\n{}\n"
        "Global flags:\n{}\nRun 'ferry {} <command> --help' for a command's "
        "flags.\n",
        summary, path, command_rows(path), flag_rows(global_flags()), path);
  }
  return fmt::format(
      "ferry: the admin and console tool for Ferry (and any Kafka cluster)\n\n"
      "Usage: ferry <command> [flags]\n\nCommands:\n{}\nGlobal flags:\n{}\n"
      "Brokers come from --brokers, then $FERRY_BROKERS, then `brokers=` in the profile\n"
      "($FERRY_PROFILE or ~/.config/ferry/profile), then 127.0.0.1:9092.\n"
      "Exit status: 0 success, 1 some item failed, 2 usage error.\n"
      "Run 'ferry <command> --help' for a command's flags.\n",
      command_rows(""), flag_rows(global_flags()));
}

}  // namespace ferry::cli
