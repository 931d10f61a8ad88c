#include "common/error.h"

#include <cstdio>
#include <cstdlib>

namespace ferry {

namespace {
struct ErrorInfo {
  ErrorCode code;
  const char* name;
  bool retriable;
  const char* message;
};

constexpr ErrorInfo kErrors[] = {
#define FERRY_ERROR_CODE(name, code, retriable, message) \
  {ErrorCode::name, #name, retriable, message},
#include "common/error_codes.def"
#undef FERRY_ERROR_CODE
};

const ErrorInfo* find_info(ErrorCode code) {
  for (const auto& info : kErrors) {
    if (info.code == code) return &info;
  }
  return nullptr;
}
}  // namespace

std::string error_name(ErrorCode code) {
  if (const auto* info = find_info(code)) return info->name;
  return fmt::format("UNKNOWN_ERROR_CODE({})", static_cast<int>(code));
}

std::string_view error_default_message(ErrorCode code) {
  if (const auto* info = find_info(code)) return info->message;
  return "Unknown error code.";
}

bool error_is_retriable(ErrorCode code) {
  const auto* info = find_info(code);
  return info != nullptr && info->retriable;
}

ErrorCode error_code_from_int(int16_t value) {
  const auto code = static_cast<ErrorCode>(value);
  return find_info(code) != nullptr ? code : ErrorCode::UNKNOWN_SERVER_ERROR;
}

std::string Error::to_string() const {
  if (message_.empty()) return error_name(code_);
  return error_name(code_) + ": " + message_;
}

Error Error::with_context(std::string_view context) const& {
  std::string message(context);
  message += ": ";
  message += message_;
  return Error(code_, std::move(message));
}

namespace detail {
void panic(const char* file, int line, const char* condition, const std::string& msg) {
  if (condition != nullptr) {
    std::fprintf(stderr, "ferry: invariant violated at %s:%d: (%s) %s\n", file, line, condition,
                 msg.c_str());
  } else {
    std::fprintf(stderr, "ferry: fatal at %s:%d: %s\n", file, line, msg.c_str());
  }
  std::fflush(stderr);
  std::abort();
}
}  // namespace detail

}  // namespace ferry
