// Typed values from the command line: the global options every command shares, and the value
// parsers the per-command option parsers use. Every error is a usage error (exit 2) whose
// message names the flag and the bad value, with the command's usage hint (args.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/args.h"
#include "common/error.h"

namespace ferry::cli {

enum class OutputFormat { kTable, kJson };

inline constexpr int64_t kDefaultTimeoutMs = 10'000;

struct GlobalOptions {
  OutputFormat format = OutputFormat::kTable;
  int64_t timeout_ms = kDefaultTimeoutMs;
  bool timeout_given = false;          // `consume` only has an idle timeout when it was given
  std::optional<std::string> brokers;  // --brokers, unresolved (see brokers.h)
  std::vector<std::pair<std::string, std::string>> rdkafka_properties;  // -X
  bool verbose = false;
};

Result<GlobalOptions> parse_global_options(const Invocation& inv);

// The helpers below report errors against `inv.command` (for the usage hint) and name the flag
// as `--<flag>`.

// The positional arguments as topic names: non-empty, each at most once.
Result<std::vector<std::string>> parse_topic_names(const Invocation& inv);

// A decimal integer in [min, max].
Result<int64_t> parse_int_flag(const Invocation& inv, std::string_view flag, std::string_view text,
                               int64_t min, int64_t max);
// A duration with a unit: "250ms", "10s", "2m" (a bare number is refused: ms or s would be a
// guess). Result in milliseconds, > 0, at most 24 h.
Result<int64_t> parse_duration_ms(const Invocation& inv, std::string_view flag,
                                  std::string_view text);
// "KEY=VALUE" split at the first '='; KEY must not be empty, VALUE may be.
Result<std::pair<std::string, std::string>> parse_key_value(const Invocation& inv,
                                                            std::string_view flag,
                                                            std::string_view text);
// A non-empty separator with the escapes \t \n \r \\ \0 understood ("\t" typed in a shell
// arrives as backslash-t).
Result<std::string> parse_separator(const Invocation& inv, std::string_view flag,
                                    std::string_view text);

}  // namespace ferry::cli
