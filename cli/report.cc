#include "cli/report.h"

#include <librdkafka/rdkafka.h>

#include <fmt/format.h>

namespace ferry::cli {
namespace {

// librdkafka's local (client-side) codes are below -100; -1 is Kafka's UNKNOWN_SERVER_ERROR.
bool is_local(ErrorCode code) {
  return to_int(code) < -1;
}

}  // namespace

std::string error_display_name(ErrorCode code) {
  if (is_local(code)) return rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(to_int(code)));
  std::string name = error_name(code);
  if (name.starts_with("UNKNOWN_ERROR_CODE")) {
    // A code newer than our table: librdkafka may know it.
    return rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(to_int(code)));
  }
  return name;
}

std::string error_message_text(const Error& error) {
  if (!error.message().empty()) return error.message();
  if (is_local(error.code())) {
    return rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(to_int(error.code())));
  }
  return std::string(error_default_message(error.code()));
}

std::string describe_error(const Error& error) {
  return fmt::format("{}: {}", error_display_name(error.code()), error_message_text(error));
}

std::string format_item_error(std::string_view command, std::string_view item, const Error& error) {
  if (item.empty()) return fmt::format("ferry: {}: {}", command, describe_error(error));
  return fmt::format("ferry: {}: {}: {}", command, item, describe_error(error));
}

void Reporter::item_failed(std::string_view item, const Error& error) {
  failed_ = true;
  err_ << format_item_error(command_, item, error) << '\n';
  err_.flush();
}

}  // namespace ferry::cli
