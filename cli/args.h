// Command-line parsing against the command table (command_specs.h).
//
// Grammar (rpk/cobra habits):
//   ferry [global flags] WORD... [flags and arguments in any order] [-- ARG...]
//  * The command words come first; global flags may appear anywhere, command flags only after
//    the command words.
//  * Flags: `--name value`, `--name=value`, `-x value`, `-xVALUE`; boolean flags take no value
//    (`--name=value` on one is an error). `--` ends the flags.
//  * A non-repeatable flag given twice is an error (no silent "last one wins").
//  * `-h`/`--help` anywhere (before `--`) asks for help on the deepest command or group named,
//    and any other problem on the line is then ignored. `ferry help WORD...` does the same.
//
// Every error is a usage error (the caller exits with 2). Its message names the bad token and
// ends with a usage hint for the command or group, e.g.
//   topic create: unknown flag '--bogus'
//   Usage: ferry topic create TOPIC... [flags]
//   Run 'ferry topic create --help' for details.
// The ErrorCode of such an Error is INVALID_REQUEST and carries no meaning beyond "usage".
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli/command_specs.h"
#include "common/error.h"

namespace ferry::cli {

struct Invocation {
  // The command to run; null only when `help` is set for a group or for `ferry` itself.
  const CommandSpec* command = nullptr;
  // Help was asked for; `help_path` is the command or group path ("" = top level).
  bool help = false;
  std::string help_path;
  std::vector<std::string> args;  // positional arguments
  // Flag values by long name, in command-line order; a boolean flag holds one "".
  std::map<std::string, std::vector<std::string>, std::less<>> flags;

  bool has(std::string_view long_name) const { return flags.find(long_name) != flags.end(); }
  // The (single) value of a flag, or null when absent.
  const std::string* value(std::string_view long_name) const;
  // All values of a (repeatable) flag; empty when absent.
  std::vector<std::string> values(std::string_view long_name) const;
};

// Parses argv without argv[0].
Result<Invocation> parse_command_line(std::span<const std::string> argv);

// A usage error for `spec` (null: top level) with the standard hint appended; used by the
// typed-option parsers of each command for the same look.
Error usage_error(const CommandSpec* spec, std::string_view message);
// As above for a group path ("topic").
Error usage_error_for_path(std::string_view path, std::string_view message);

}  // namespace ferry::cli
