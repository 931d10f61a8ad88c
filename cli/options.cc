#include "cli/options.h"

#include <charconv>
#include <set>

#include <fmt/format.h>

namespace ferry::cli {
namespace {

Error flag_error(const Invocation& inv, std::string_view flag, std::string_view message) {
  return usage_error(inv.command, fmt::format("--{}: {}", flag, message));
}

}  // namespace

Result<std::vector<std::string>> parse_topic_names(const Invocation& inv) {
  std::set<std::string_view> seen;
  for (const auto& name : inv.args) {
    if (name.empty()) return usage_error(inv.command, "empty topic name");
    if (!seen.insert(name).second) {
      return usage_error(inv.command, fmt::format("topic '{}' given twice", name));
    }
  }
  return inv.args;
}

Result<int64_t> parse_int_flag(const Invocation& inv, std::string_view flag, std::string_view text,
                               int64_t min, int64_t max) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec == std::errc::invalid_argument || ptr != end) {
    return flag_error(inv, flag, fmt::format("'{}' is not a whole number", text));
  }
  if (ec == std::errc::result_out_of_range || value < min || value > max) {
    return flag_error(inv, flag, fmt::format("{} is out of range [{}, {}]", text, min, max));
  }
  return value;
}

Result<int64_t> parse_duration_ms(const Invocation& inv, std::string_view flag,
                                  std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
    ++digits;
  std::string_view number = text.substr(0, digits);
  std::string_view unit = text.substr(digits);
  int64_t scale = 0;
  if (unit == "ms") {
    scale = 1;
  } else if (unit == "s") {
    scale = 1000;
  } else if (unit == "m") {
    scale = 60'000;
  }
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (number.empty() || scale == 0 || ec != std::errc()) {
    return flag_error(inv, flag,
                      fmt::format("'{}' is not a duration (use a unit: 500ms, 10s, 2m)", text));
  }
  constexpr int64_t kMaxMs = 24LL * 3600 * 1000;
  if (value == 0 || value > kMaxMs / scale) {
    return flag_error(inv, flag, fmt::format("'{}' is out of range (1ms to 24h)", text));
  }
  return value * scale;
}

Result<std::pair<std::string, std::string>> parse_key_value(const Invocation& inv,
                                                            std::string_view flag,
                                                            std::string_view text) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return flag_error(inv, flag, fmt::format("'{}' is not KEY=VALUE", text));
  }
  return std::pair<std::string, std::string>(std::string(text.substr(0, eq)),
                                             std::string(text.substr(eq + 1)));
}

Result<std::string> parse_separator(const Invocation& inv, std::string_view flag,
                                    std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    char next = text[++i];
    switch (next) {
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case '0':
        out += '\0';
        break;
      case '\\':
        out += '\\';
        break;
      default:
        return flag_error(inv, flag, fmt::format("unknown escape '\\{}' in '{}'", next, text));
    }
  }
  if (out.empty()) return flag_error(inv, flag, "the separator must not be empty");
  return out;
}

Result<GlobalOptions> parse_global_options(const Invocation& inv) {
  GlobalOptions options;
  if (const std::string* format = inv.value(flag::kFormat)) {
    if (*format == "json") {
      options.format = OutputFormat::kJson;
    } else if (*format != "table") {
      return flag_error(inv, flag::kFormat, fmt::format("'{}' is not table or json", *format));
    }
  }
  if (const std::string* timeout = inv.value(flag::kTimeout)) {
    FERRY_ASSIGN_OR_RETURN(options.timeout_ms, parse_duration_ms(inv, flag::kTimeout, *timeout));
    options.timeout_given = true;
  }
  if (const std::string* brokers = inv.value(flag::kBrokers)) {
    if (brokers->empty()) return flag_error(inv, flag::kBrokers, "the broker list is empty");
    options.brokers = *brokers;
  }
  for (const auto& property : inv.values(flag::kRdkafka)) {
    FERRY_ASSIGN_OR_RETURN(auto kv, parse_key_value(inv, flag::kRdkafka, property));
    options.rdkafka_properties.push_back(std::move(kv));
  }
  options.verbose = inv.has(flag::kVerbose);
  return options;
}

}  // namespace ferry::cli
