#include "cli/args.h"

#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "common/text.h"

namespace ferry::cli {
namespace {

bool is_help_token(std::string_view token) {
  return token == "-h" || token == "--help";
}

// "-" alone is an argument (stdin by convention), as is the empty string.
bool is_flag_token(std::string_view token) {
  return token.size() >= 2 && token[0] == '-';
}

std::string join_subcommands(std::string_view group) {
  std::string out;
  for (const auto& spec : command_specs()) {
    if (spec.path.size() > group.size() && spec.path.starts_with(group) &&
        spec.path[group.size()] == ' ') {
      if (!out.empty()) out += ", ";
      out += spec.path.substr(group.size() + 1);
    }
  }
  return out;
}

std::string hint_for_path(std::string_view path) {
  if (const CommandSpec* spec = find_command(path)) {
    std::string args = spec->args_usage.empty() ? "" : " " + std::string(spec->args_usage);
    return fmt::format("Usage: ferry {}{} [flags]\nRun 'ferry {} --help' for details.", path, args,
                       path);
  }
  if (path.empty()) return "Usage: ferry <command> [flags]\nRun 'ferry help' for the commands.";
  return fmt::format(
      "Usage: ferry {} <command> [flags]   (commands: {})\nRun 'ferry {} --help' for details.",
      path, join_subcommands(path), path);
}

struct FoundFlag {
  const FlagSpec* spec = nullptr;
  std::optional<std::string> inline_value;
};

const FlagSpec* find_in(std::span<const FlagSpec> flags, std::string_view long_name,
                        char short_name) {
  for (const auto& flag : flags) {
    if (!long_name.empty() && flag.long_name == long_name) return &flag;
    if (short_name != 0 && flag.short_name == short_name) return &flag;
  }
  return nullptr;
}

// Resolves a flag token against the command's flags and the global ones; spec is null when
// the token names no flag (or is a boolean short flag with trailing characters).
FoundFlag lookup_flag(std::string_view token, std::span<const FlagSpec> command_flags) {
  FoundFlag found;
  if (token.starts_with("--")) {
    std::string_view name = token.substr(2);
    size_t eq = name.find('=');
    if (eq != std::string_view::npos) {
      found.inline_value = std::string(name.substr(eq + 1));
      name = name.substr(0, eq);
    }
    found.spec = find_in(command_flags, name, 0);
    if (found.spec == nullptr) found.spec = find_in(global_flags(), name, 0);
    return found;
  }
  char short_name = token[1];
  found.spec = find_in(command_flags, "", short_name);
  if (found.spec == nullptr) found.spec = find_in(global_flags(), "", short_name);
  if (found.spec != nullptr && token.size() > 2) {
    if (!found.spec->takes_value()) return FoundFlag{};
    found.inline_value = std::string(token.substr(2));
  }
  return found;
}

struct Resolution {
  std::string path;                 // deepest command or group named
  std::vector<bool> is_word;        // argv indexes used as command words
  std::optional<std::string> stop;  // the token that ended resolution before a command
  bool help = false;
};

// Phase 1: find the command words, skipping global flags (and their values) on the way.
Resolution resolve_command(std::span<const std::string> argv) {
  Resolution r;
  r.is_word.assign(argv.size(), false);
  for (const auto& token : argv) {
    if (token == "--") break;
    if (is_help_token(token)) r.help = true;
  }
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& token = argv[i];
    if (token == "--") break;
    if (is_help_token(token)) continue;
    if (is_flag_token(token)) {
      FoundFlag global = lookup_flag(token, {});
      if (global.spec == nullptr) {
        r.stop = token;
        break;
      }
      if (global.spec->takes_value() && !global.inline_value) ++i;
      continue;
    }
    std::string candidate = r.path.empty() ? token : r.path + " " + token;
    if (find_command(candidate) == nullptr && !is_group(candidate)) {
      r.stop = token;
      break;
    }
    r.path = std::move(candidate);
    r.is_word[i] = true;
    if (find_command(r.path) != nullptr) break;
  }
  return r;
}

// " (did you mean 'X'?)" for a mistyped word after `path`, or "".
std::string did_you_mean(const std::string& path, std::string_view word) {
  const std::string prefix = path.empty() ? "" : path + " ";
  std::set<std::string_view> next;  // the words that may follow `path`
  for (const auto& spec : command_specs()) {
    if (!spec.path.starts_with(prefix)) continue;
    std::string_view rest = spec.path.substr(prefix.size());
    next.insert(rest.substr(0, rest.find(' ')));
  }
  const std::vector<std::string_view> candidates(next.begin(), next.end());
  const auto best = closest(word, candidates, word.size() <= 4 ? 1 : 2);
  return best ? fmt::format(" (did you mean '{}'?)", *best) : "";
}

Error unresolved_error(const Resolution& r) {
  std::string_view what = r.path.empty() ? "command" : "subcommand";
  if (!r.stop) return usage_error_for_path(r.path, fmt::format("missing {}", what));
  if (is_flag_token(*r.stop)) {
    return usage_error_for_path(r.path, fmt::format("unknown flag '{}' (command flags go after "
                                                    "the command)",
                                                    *r.stop));
  }
  return usage_error_for_path(
      r.path, fmt::format("unknown {} '{}'{}", what, *r.stop, did_you_mean(r.path, *r.stop)));
}

Result<Invocation> help_invocation(const Resolution& r, std::span<const std::string> argv) {
  Invocation inv;
  inv.help = true;
  inv.help_path = r.path;
  if (r.path != "help") return inv;
  // `ferry help WORD...`: the words after `help` name the command or group.
  std::string path;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (r.is_word[i] || is_flag_token(argv[i])) continue;
    std::string candidate = path.empty() ? argv[i] : path + " " + argv[i];
    if (find_command(candidate) == nullptr && !is_group(candidate)) {
      return usage_error(&command_spec(CommandId::kHelp),
                         fmt::format("unknown command '{}'", candidate));
    }
    path = std::move(candidate);
  }
  inv.help_path = path;
  return inv;
}

Status add_flag_value(Invocation& inv, const FlagSpec& spec, std::string_view token,
                      std::string value) {
  auto [it, inserted] = inv.flags.try_emplace(std::string(spec.long_name));
  if (!inserted && !spec.repeatable) {
    return usage_error(inv.command, fmt::format("flag '{}' given more than once", token));
  }
  it->second.push_back(std::move(value));
  return ok_status();
}

// Phase 2: flags and positional arguments of the resolved command.
Status parse_flags(Invocation& inv, const Resolution& r, std::span<const std::string> argv) {
  bool flags_done = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (r.is_word[i]) continue;
    const std::string& token = argv[i];
    if (!flags_done && token == "--") {
      flags_done = true;
      continue;
    }
    if (flags_done || !is_flag_token(token)) {
      inv.args.push_back(token);
      continue;
    }
    FoundFlag found = lookup_flag(token, inv.command->flags);
    if (found.spec == nullptr) {
      return usage_error(inv.command, fmt::format("unknown flag '{}'", token));
    }
    const FlagSpec& spec = *found.spec;
    if (!spec.takes_value()) {
      if (found.inline_value) {
        return usage_error(inv.command, fmt::format("flag '--{}' takes no value", spec.long_name));
      }
      FERRY_TRY(add_flag_value(inv, spec, token, ""));
      continue;
    }
    if (!found.inline_value) {
      if (i + 1 >= argv.size()) {
        return usage_error(inv.command,
                           fmt::format("flag '{}' needs a value ({})", token, spec.value_name));
      }
      found.inline_value = argv[++i];
    }
    FERRY_TRY(add_flag_value(inv, spec, token, std::move(*found.inline_value)));
  }
  return ok_status();
}

Status check_arg_count(const Invocation& inv) {
  const CommandSpec& spec = *inv.command;
  int count = static_cast<int>(inv.args.size());
  if (count < spec.min_args) {
    return usage_error(&spec, fmt::format("missing argument {}", spec.args_usage));
  }
  if (spec.max_args >= 0 && count > spec.max_args) {
    return usage_error(&spec, fmt::format("unexpected argument '{}'", inv.args[spec.max_args]));
  }
  return ok_status();
}

}  // namespace

const std::string* Invocation::value(std::string_view long_name) const {
  auto it = flags.find(long_name);
  if (it == flags.end() || it->second.empty()) return nullptr;
  return &it->second.back();
}

std::vector<std::string> Invocation::values(std::string_view long_name) const {
  auto it = flags.find(long_name);
  return it == flags.end() ? std::vector<std::string>{} : it->second;
}

Error usage_error_for_path(std::string_view path, std::string_view message) {
  std::string text = path.empty() ? std::string(message) : fmt::format("{}: {}", path, message);
  return Error(ErrorCode::INVALID_REQUEST, fmt::format("{}\n{}", text, hint_for_path(path)));
}

Error usage_error(const CommandSpec* spec, std::string_view message) {
  return usage_error_for_path(spec == nullptr ? std::string_view() : spec->path, message);
}

Result<Invocation> parse_command_line(std::span<const std::string> argv) {
  Resolution r = resolve_command(argv);
  const CommandSpec* command = find_command(r.path);
  if (r.help || (command != nullptr && command->id == CommandId::kHelp)) {
    return help_invocation(r, argv);
  }
  if (command == nullptr) return unresolved_error(r);
  Invocation inv;
  inv.command = command;
  FERRY_TRY(parse_flags(inv, r, argv));
  FERRY_TRY(check_arg_count(inv));
  return inv;
}

}  // namespace ferry::cli
