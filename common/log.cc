#include "common/log.h"

#include <cstdlib>
#include <mutex>
#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace ferry {

namespace {
std::mutex g_mutex;

spdlog::level::level_enum& current_level() {
  static spdlog::level::level_enum level = [] {
    const char* env = std::getenv("FERRY_LOG_LEVEL");
    if (env == nullptr) return spdlog::level::info;
    const auto parsed = spdlog::level::from_str(env);
    // from_str maps unknown names to "off"; only accept it when asked for.
    return (parsed == spdlog::level::off && std::string(env) != "off") ? spdlog::level::info
                                                                       : parsed;
  }();
  return level;
}
}  // namespace

std::shared_ptr<spdlog::logger> logger(std::string_view module) {
  const std::string name(module);
  std::lock_guard lock(g_mutex);
  if (auto existing = spdlog::get(name)) return existing;
  auto created = spdlog::stderr_color_mt(name);
  created->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%L%$ [%n] %v");
  created->set_level(current_level());
  return created;
}

bool init_logging(std::string_view level) {
  const std::string name(level);
  const auto parsed = spdlog::level::from_str(name);
  if (parsed == spdlog::level::off && name != "off") return false;
  std::lock_guard lock(g_mutex);
  current_level() = parsed;
  spdlog::apply_all([parsed](const std::shared_ptr<spdlog::logger>& l) { l->set_level(parsed); });
  return true;
}

}  // namespace ferry
