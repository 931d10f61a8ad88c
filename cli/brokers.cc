#include "cli/brokers.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace ferry::cli {
namespace {

std::optional<std::string> getenv_string(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string profile_path(const Environment& env, bool* explicit_path) {
  if (env.ferry_profile && !env.ferry_profile->empty()) {
    *explicit_path = true;
    return *env.ferry_profile;
  }
  *explicit_path = false;
  if (!env.home || env.home->empty()) return "";
  return *env.home + "/.config/ferry/profile";
}

}  // namespace

Environment environment_from_process() {
  return Environment{.ferry_brokers = getenv_string("FERRY_BROKERS"),
                     .ferry_profile = getenv_string("FERRY_PROFILE"),
                     .home = getenv_string("HOME"),
                     .ferry_controllers = getenv_string("FERRY_CONTROLLERS")};
}

Result<Profile> parse_profile(std::string_view text, std::string_view path) {
  Profile profile;
  int line_number = 0;
  while (!text.empty()) {
    size_t newline = text.find('\n');
    std::string_view line = trim(text.substr(0, newline));
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return Error(
          ErrorCode::INVALID_CONFIG,
          fmt::format("profile {}:{}: expected key=value, got '{}'", path, line_number, line));
    }
    std::string_view key = trim(line.substr(0, eq));
    std::string value(trim(line.substr(eq + 1)));
    std::optional<std::string>* slot = nullptr;
    if (key == "brokers") slot = &profile.brokers;
    if (key == "controllers") slot = &profile.controllers;
    if (slot == nullptr) {
      return Error(ErrorCode::INVALID_CONFIG,
                   fmt::format("profile {}:{}: unknown key '{}' (known: brokers, controllers)",
                               path, line_number, key));
    }
    if (slot->has_value()) {
      return Error(ErrorCode::INVALID_CONFIG,
                   fmt::format("profile {}:{}: '{}' given twice", path, line_number, key));
    }
    *slot = std::move(value);
  }
  return profile;
}

Result<Profile> load_profile(const Environment& env) {
  bool explicit_path = false;
  std::string path = profile_path(env, &explicit_path);
  if (path.empty()) return Profile{};
  std::error_code ec;
  if (!explicit_path && !std::filesystem::exists(path, ec)) return Profile{};
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::string reason = errno != 0 ? std::strerror(errno) : "cannot open";
    return Error(ErrorCode::INVALID_CONFIG,
                 fmt::format("profile {}{}: cannot read: {}", path,
                             explicit_path ? " (from FERRY_PROFILE)" : "", reason));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_profile(text.str(), path);
}

Result<ResolvedBrokers> resolve_brokers(const std::optional<std::string>& flag,
                                        const Environment& env) {
  if (flag) return ResolvedBrokers{*flag, "--brokers"};
  if (env.ferry_brokers && !env.ferry_brokers->empty()) {
    return ResolvedBrokers{*env.ferry_brokers, "FERRY_BROKERS"};
  }
  FERRY_ASSIGN_OR_RETURN(Profile profile, load_profile(env));
  if (profile.brokers && !profile.brokers->empty()) {
    bool explicit_path = false;
    return ResolvedBrokers{*profile.brokers, "profile " + profile_path(env, &explicit_path)};
  }
  return ResolvedBrokers{std::string(kDefaultBrokers), "default"};
}

Result<ResolvedBrokers> resolve_controllers(const std::optional<std::string>& flag,
                                            const Environment& env) {
  if (flag) return ResolvedBrokers{*flag, "--controllers"};
  if (env.ferry_controllers && !env.ferry_controllers->empty()) {
    return ResolvedBrokers{*env.ferry_controllers, "FERRY_CONTROLLERS"};
  }
  FERRY_ASSIGN_OR_RETURN(Profile profile, load_profile(env));
  if (profile.controllers && !profile.controllers->empty()) {
    bool explicit_path = false;
    return ResolvedBrokers{*profile.controllers, "profile " + profile_path(env, &explicit_path)};
  }
  return ResolvedBrokers{std::string(kDefaultControllers), "default"};
}

}  // namespace ferry::cli
