// Shared steps of every admin request (admin_call.h).
#include "cli/kafka/admin_call.h"

#include <algorithm>
#include <cstring>

namespace ferry::cli {

namespace {
// Extra time our own wait allows beyond the request timeout librdkafka enforces itself.
constexpr int kWaitGraceMs = 1000;
constexpr int kPollSliceMs = 100;
}  // namespace

// librdkafka fills in its own text ("Broker: Topic already exists") when the broker sent no
// message; report.h then prefers Kafka's default message, so drop that text.
std::string server_message(rd_kafka_resp_err_t code, const char* text) {
  if (text == nullptr || std::strcmp(text, rd_kafka_err2str(code)) == 0) return "";
  return text;
}

std::optional<Error> outcome_error(rd_kafka_resp_err_t code, const char* text) {
  if (code == RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  return kafka_error(code, server_message(code, text));
}

Result<AdminOptionsPtr> make_options(rd_kafka_t* rk, rd_kafka_admin_op_t op, bool validate_only,
                                     const Deadline& deadline, bool has_operation_timeout) {
  AdminOptionsPtr options(rd_kafka_AdminOptions_new(rk, op));
  char errstr[512];
  int request_timeout = std::max(deadline.remaining_ms(), 1);
  if (rd_kafka_AdminOptions_set_request_timeout(options.get(), request_timeout, errstr,
                                                sizeof(errstr)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return kafka_error(RD_KAFKA_RESP_ERR__INVALID_ARG, errstr);
  }
  // How long the broker may wait for the change to propagate; half the budget leaves the
  // other half for the request and the answer.
  if (has_operation_timeout && rd_kafka_AdminOptions_set_operation_timeout(
                                   options.get(), std::max(request_timeout / 2, 1), errstr,
                                   sizeof(errstr)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return kafka_error(RD_KAFKA_RESP_ERR__INVALID_ARG, errstr);
  }
  if (validate_only &&
      rd_kafka_AdminOptions_set_validate_only(options.get(), 1, errstr, sizeof(errstr)) !=
          RD_KAFKA_RESP_ERR_NO_ERROR) {
    return kafka_error(RD_KAFKA_RESP_ERR__INVALID_ARG, errstr);
  }
  return options;
}

// Waits for the admin result event on `queue`, serving the client's callbacks meanwhile.
Result<EventPtr> await_result(Client& client, rd_kafka_queue_t* queue, const Deadline& deadline) {
  Deadline wait(deadline.remaining_ms() + kWaitGraceMs);
  while (true) {
    EventPtr event(rd_kafka_queue_poll(queue, std::min(kPollSliceMs, wait.remaining_ms())));
    if (event) {
      rd_kafka_resp_err_t err = rd_kafka_event_error(event.get());
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return client.explain(kafka_error(err, rd_kafka_event_error_string(event.get())));
      }
      return event;
    }
    client.poll(0);
    if (wait.expired()) {
      return client.explain(
          kafka_error(RD_KAFKA_RESP_ERR__TIMED_OUT, "no answer from the cluster in time"));
    }
  }
}

}  // namespace ferry::cli
