// How errors reach the user, and the exit status.
//
// Every failure of an item (a topic, a line of input, a partition) is one line on stderr:
//   ferry: <command>: <item>: <ERROR_NAME>: <message>
// e.g. `ferry: topic create: orders: TOPIC_ALREADY_EXISTS: Topic 'orders' already exists.`
//  * ERROR_NAME is Kafka's name for a broker error code (UNKNOWN_TOPIC_OR_PARTITION, not
//    librdkafka's UNKNOWN_TOPIC_OR_PART) and librdkafka's name, with its leading underscore,
//    for a client-side error (_TIMED_OUT, _TRANSPORT, _BAD_MSG, ...);
//  * the message is the server's own message when it sent one, else Kafka's (or librdkafka's)
//    default text for the code.
// Exit status: 0 when everything succeeded, 1 when any item failed, 2 for usage errors.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "common/error.h"

namespace ferry::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

// The name shown for `code` (see above). ErrorCode also carries librdkafka's local codes
// (-100 and below) as their raw values.
std::string error_display_name(ErrorCode code);
// The error's message, or the default text for its code when it has none.
std::string error_message_text(const Error& error);
// "<ERROR_NAME>: <message>" (message as error_message_text).
std::string describe_error(const Error& error);
// "ferry: <command>: <item>: <ERROR_NAME>: <message>" (no newline). An empty item is left out.
std::string format_item_error(std::string_view command, std::string_view item, const Error& error);

// Writes item errors of one command to stderr and remembers whether any happened.
// Not thread-safe: used from the command's (only) thread.
class Reporter {
 public:
  Reporter(std::ostream& err, std::string command) : err_(err), command_(std::move(command)) {}

  void item_failed(std::string_view item, const Error& error);
  bool any_failed() const { return failed_; }
  int exit_code() const { return failed_ ? kExitFailed : kExitOk; }
  const std::string& command() const { return command_; }

 private:
  std::ostream& err_;
  std::string command_;
  bool failed_ = false;
};

}  // namespace ferry::cli
