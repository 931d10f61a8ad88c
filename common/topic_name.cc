#include "common/topic_name.h"

#include <fmt/format.h>

namespace ferry {

namespace {
bool is_legal_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}
}  // namespace

Status validate_topic_name(std::string_view name) {
  const auto invalid = [](std::string message) {
    return Error(ErrorCode::INVALID_TOPIC_EXCEPTION, "Topic name is invalid: " + message);
  };
  if (name.empty()) return invalid("the empty string is not allowed");
  if (name == "." || name == "..") return invalid(fmt::format("'{}' is not allowed", name));
  if (name.size() > kMaxTopicNameLength) {
    return invalid(fmt::format("the length of '{}' is longer than {}", name, kMaxTopicNameLength));
  }
  for (char c : name) {
    if (!is_legal_char(c)) {
      return invalid(fmt::format(
          "'{}' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'",
          name));
    }
  }
  return ok_status();
}

bool is_internal_topic(std::string_view name) {
  return name == kConsumerOffsetsTopic || name == kTransactionStateTopic;
}

std::string topic_collision_key(std::string_view name) {
  std::string key(name);
  for (auto& c : key) {
    if (c == '.') c = '_';
  }
  return key;
}

}  // namespace ferry
