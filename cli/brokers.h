// Where the bootstrap brokers (and the controllers, for `cluster quorum`) come from.
//
// Precedence, first match wins:
//   1. `--brokers host:port,...`
//   2. the FERRY_BROKERS environment variable (ignored when empty)
//   3. `brokers=` in the profile: the file named by FERRY_PROFILE, else
//      $HOME/.config/ferry/profile (a missing default file is not an error; a missing file named
//      by FERRY_PROFILE is)
//   4. 127.0.0.1:9092
//
// Profile format: UTF-8 text, one `key=value` per line; blanks around key and value are
// trimmed; empty lines and lines starting with '#' are ignored. Known keys: `brokers`,
// `controllers` (host:port,... of the controllers' gRPC listeners). An unknown key, a line
// without '=', or a key given twice is an error naming the file and line (exit 2).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace ferry::cli {

inline constexpr std::string_view kDefaultBrokers = "127.0.0.1:9092";
inline constexpr std::string_view kDefaultControllers = "127.0.0.1:9093";

struct Profile {
  std::optional<std::string> brokers;
  std::optional<std::string> controllers;
};

// The environment variables that matter, read once by main() (tests pass their own).
struct Environment {
  std::optional<std::string> ferry_brokers;      // FERRY_BROKERS
  std::optional<std::string> ferry_profile;      // FERRY_PROFILE
  std::optional<std::string> home;               // HOME
  std::optional<std::string> ferry_controllers;  // FERRY_CONTROLLERS
};
Environment environment_from_process();

// `path` only names the file in error messages. Errors: INVALID_CONFIG.
Result<Profile> parse_profile(std::string_view text, std::string_view path);

// Reads the profile the environment points at; an empty Profile when the default file does
// not exist. Errors: INVALID_CONFIG (unreadable or malformed file).
Result<Profile> load_profile(const Environment& env);

struct ResolvedBrokers {
  std::string brokers;
  std::string source;  // "--brokers", "FERRY_BROKERS", "profile <path>" or "default"
};

// Applies the precedence above; the profile is only read when steps 1 and 2 give nothing.
Result<ResolvedBrokers> resolve_brokers(const std::optional<std::string>& flag,
                                        const Environment& env);
// The same for the controllers' gRPC listeners: `--controllers`, FERRY_CONTROLLERS,
// `controllers=` in the profile, 127.0.0.1:9093.
Result<ResolvedBrokers> resolve_controllers(const std::optional<std::string>& flag,
                                            const Environment& env);

}  // namespace ferry::cli
