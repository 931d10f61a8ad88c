// The steps every librdkafka admin request shares (admin.cc, groups.cc): options bounded by the
// command's deadline, waiting for the result event, and turning a result's error into ours.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "cli/kafka/client.h"
#include "common/error.h"

namespace ferry::cli {

struct AdminOptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* o) const { rd_kafka_AdminOptions_destroy(o); }
};
using AdminOptionsPtr = std::unique_ptr<rd_kafka_AdminOptions_t, AdminOptionsDeleter>;

// librdkafka fills in its own text ("Broker: Topic already exists") when the broker sent no
// message; report.h then prefers Kafka's default message, so that text is dropped.
std::string server_message(rd_kafka_resp_err_t code, const char* text);
std::optional<Error> outcome_error(rd_kafka_resp_err_t code, const char* text);
// Options for `op` whose request timeout is what is left of `deadline` (and half of it as the
// operation timeout when the request has one).
Result<AdminOptionsPtr> make_options(rd_kafka_t* rk, rd_kafka_admin_op_t op, bool validate_only,
                                     const Deadline& deadline, bool has_operation_timeout);
// Waits for the admin result event on `queue`, serving the client's callbacks meanwhile.
Result<EventPtr> await_result(Client& client, rd_kafka_queue_t* queue, const Deadline& deadline);

}  // namespace ferry::cli
