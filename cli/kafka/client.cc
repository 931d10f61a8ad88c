#include "cli/kafka/client.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include <fmt/format.h>

#include "common/clock.h"

namespace ferry::cli {
namespace {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

Status set_property(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof(errstr)) !=
      RD_KAFKA_CONF_OK) {
    return kafka_error(RD_KAFKA_RESP_ERR__INVALID_ARG,
                       fmt::format("client property {}={}: {}", key, value, errstr));
  }
  return ok_status();
}

bool is_connection_error(ErrorCode code) {
  switch (static_cast<rd_kafka_resp_err_t>(to_int(code))) {
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
      return true;
    default:
      return false;
  }
}

}  // namespace

Deadline::Deadline(int64_t timeout_ms)
    : at_ms_(SystemClock::instance().monotonic_ms() + std::max<int64_t>(timeout_ms, 0)) {}

int Deadline::remaining_ms() const {
  int64_t left = at_ms_ - SystemClock::instance().monotonic_ms();
  return static_cast<int>(std::clamp<int64_t>(left, 0, std::numeric_limits<int32_t>::max()));
}

Error kafka_error(rd_kafka_resp_err_t code, const char* message) {
  return Error(static_cast<ErrorCode>(code), message == nullptr ? "" : message);
}

Client::Client(Kind kind, ClientSettings settings, DeliveryCallback on_delivery)
    : kind_(kind), settings_(std::move(settings)), on_delivery_(std::move(on_delivery)) {}

Client::~Client() {
  if (rk_ == nullptr) return;
  if (kind_ == Kind::kConsumer) {
    rd_kafka_destroy_flags(rk_, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  } else {
    rd_kafka_destroy(rk_);
  }
}

Status Client::close_consumer(int64_t timeout_ms) {
  QueuePtr queue(rd_kafka_queue_new(rk_));
  if (rd_kafka_error_t* error = rd_kafka_consumer_close_queue(rk_, queue.get())) {
    Error out = kafka_error(rd_kafka_error_code(error), rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
    return out;
  }
  Deadline deadline(timeout_ms);
  while (!rd_kafka_consumer_closed(rk_)) {
    if (deadline.expired()) {
      return kafka_error(RD_KAFKA_RESP_ERR__TIMED_OUT, "closing the consumer took too long");
    }
    EventPtr event(rd_kafka_queue_poll(queue.get(), std::min(100, deadline.remaining_ms())));
    // Leaving the group revokes the assignment through the event API: give it up here
    // (eager assignors; the consumer never asks for cooperative ones).
    if (event && rd_kafka_event_type(event.get()) == RD_KAFKA_EVENT_REBALANCE) {
      rd_kafka_resp_err_t kind = rd_kafka_event_error(event.get());
      const rd_kafka_topic_partition_list_t* partitions =
          kind == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS
              ? rd_kafka_event_topic_partition_list(event.get())
              : nullptr;
      // The result only matters to a running consumer; this one is closing.
      (void)rd_kafka_assign(rk_, partitions);
    }
  }
  return ok_status();
}

Result<std::unique_ptr<Client>> Client::create(
    Kind kind, const ClientSettings& settings,
    const std::vector<std::pair<std::string, std::string>>& extra, DeliveryCallback on_delivery) {
  std::unique_ptr<Client> client(new Client(kind, settings, std::move(on_delivery)));
  ConfPtr conf(rd_kafka_conf_new());
  // socket.timeout.ms bounds every request librdkafka sends (its range is 10 ms .. 300 s).
  int64_t socket_timeout = std::clamp<int64_t>(settings.timeout_ms, 10, 300'000);
  std::vector<std::pair<std::string, std::string>> properties = {
      {"bootstrap.servers", settings.brokers},
      {"client.id", "ferry"},
      {"socket.timeout.ms", std::to_string(socket_timeout)},
  };
  properties.insert(properties.end(), extra.begin(), extra.end());
  properties.insert(properties.end(), settings.properties.begin(), settings.properties.end());
  for (const auto& [key, value] : properties)
    FERRY_TRY(set_property(conf.get(), key, value));
  rd_kafka_conf_set_opaque(conf.get(), client.get());
  rd_kafka_conf_set_error_cb(conf.get(), &Client::on_error);
  rd_kafka_conf_set_log_cb(conf.get(), &Client::on_log);
  if (client->on_delivery_) rd_kafka_conf_set_dr_msg_cb(conf.get(), &Client::on_delivery);

  char errstr[512];
  rd_kafka_type_t type = kind == Kind::kProducer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER;
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), errstr, sizeof(errstr));
  if (rk == nullptr) return kafka_error(RD_KAFKA_RESP_ERR__INVALID_ARG, errstr);
  (void)conf.release();  // rd_kafka_new took ownership
  client->rk_ = rk;
  return client;
}

void Client::poll(int timeout_ms) {
  if (!redirected_) rd_kafka_poll(rk_, timeout_ms);
}

void Client::redirect_to_consumer() {
  rd_kafka_poll_set_consumer(rk_);
  redirected_ = true;
}

std::optional<Error> Client::last_broker_error() const {
  std::lock_guard lock(mu_);
  return last_broker_error_;
}

Error Client::explain(Error error, bool serve_callbacks) {
  if (!is_connection_error(error.code())) return error;
  if (serve_callbacks) poll(0);
  std::optional<Error> last = last_broker_error();
  if (!last) return error;
  std::string message =
      error.message().empty()
          ? std::string(rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(to_int(error.code()))))
          : error.message();
  message += fmt::format(" (last broker error: {}: {})",
                         rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(to_int(last->code()))),
                         last->message());
  return Error(error.code(), std::move(message));
}

void Client::on_error(rd_kafka_t* /*rk*/, int err, const char* reason, void* opaque) {
  auto* self = static_cast<Client*>(opaque);
  std::lock_guard lock(self->mu_);
  // "1/1 brokers are down" says less than the connection error that caused it.
  if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN && self->last_broker_error_) return;
  self->last_broker_error_ = kafka_error(static_cast<rd_kafka_resp_err_t>(err), reason);
  if (self->settings_.verbose) {
    std::fprintf(stderr, "ferry: librdkafka error: %s: %s\n",
                 rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)), reason);
  }
}

void Client::on_log(const rd_kafka_t* rk, int /*level*/, const char* facility, const char* line) {
  const auto* self = static_cast<const Client*>(rd_kafka_opaque(rk));
  if (self != nullptr && self->settings_.verbose) {
    std::fprintf(stderr, "ferry: librdkafka: %s: %s\n", facility, line);
  }
}

void Client::on_delivery(rd_kafka_t* /*rk*/, const rd_kafka_message_t* message, void* opaque) {
  auto* self = static_cast<Client*>(opaque);
  if (self->on_delivery_) self->on_delivery_(*message);
}

}  // namespace ferry::cli
