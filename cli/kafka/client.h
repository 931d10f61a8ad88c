// A thin RAII layer over librdkafka's C API (rdkafka.h) with bounded waits.
//
// Ownership: `Client` owns one rd_kafka_t and destroys it; the smart pointers below own the
// other librdkafka objects. Nothing here blocks without a bound: every wait takes a Deadline
// derived from `--timeout`.
//
// Threads: a Client is used from one application thread. librdkafka runs its own threads;
// the error and log callbacks it calls are the only code here that runs on them (error_cb is
// served from rd_kafka_poll/consumer_poll in the application thread, log_cb may run on any
// librdkafka thread and only writes a line to stderr when --verbose).
//
// Errors: librdkafka codes travel inside ferry::Error. Broker codes (>= -1) are Kafka's codes;
// librdkafka's local codes (_TIMED_OUT = -185, _TRANSPORT = -195, ...) are carried as their raw
// negative value (report.h names both). When a request times out, `explain()` adds the last
// connection error librdkafka reported (e.g. "Connect to ipv4#127.0.0.1:9092 failed:
// Connection refused"), so a broker that is down gives a clear message rather than a bare
// "Local: Timed out".
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"

namespace ferry::cli {

// A point in monotonic time after which a wait gives up.
class Deadline {
 public:
  explicit Deadline(int64_t timeout_ms);
  // Milliseconds left, clamped to [0, INT32_MAX] for librdkafka's int timeouts.
  int remaining_ms() const;
  bool expired() const { return remaining_ms() == 0; }

 private:
  int64_t at_ms_;
};

// Error from a librdkafka code and message (the message may be empty or null).
Error kafka_error(rd_kafka_resp_err_t code, const char* message = nullptr);
inline Error kafka_error(rd_kafka_resp_err_t code, const std::string& message) {
  return kafka_error(code, message.c_str());
}

struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* m) const { rd_kafka_metadata_destroy(m); }
};
using EventPtr = std::unique_ptr<rd_kafka_event_t, EventDeleter>;
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;
using MessagePtr = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;
using MetadataPtr = std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter>;

struct ClientSettings {
  std::string brokers;                                          // bootstrap.servers
  int64_t timeout_ms = 10'000;                                  // --timeout
  std::vector<std::pair<std::string, std::string>> properties;  // -X, applied last
  bool verbose = false;                                         // librdkafka logs to stderr
};

class Client {
 public:
  enum class Kind { kProducer, kConsumer };
  using DeliveryCallback = std::function<void(const rd_kafka_message_t&)>;

  // `extra` are command-specific properties (acks, group.id, ...), applied before the user's
  // -X properties. `on_delivery` (producers only) is called from poll()/flush() in this
  // thread. Errors: _INVALID_ARG for a property librdkafka refuses (the message names it).
  static Result<std::unique_ptr<Client>> create(
      Kind kind, const ClientSettings& settings,
      const std::vector<std::pair<std::string, std::string>>& extra = {},
      DeliveryCallback on_delivery = nullptr);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  rd_kafka_t* handle() const { return rk_; }
  const ClientSettings& settings() const { return settings_; }

  // Serves queued callbacks (errors, delivery reports) for up to `timeout_ms` (0: no wait).
  // After redirect_to_consumer() this does nothing: rd_kafka_consumer_poll serves them then.
  void poll(int timeout_ms = 0);
  // rd_kafka_poll_set_consumer(): for a consumer, once its set-up calls are done.
  void redirect_to_consumer();

  // Adds the last connection-level error librdkafka reported to a timeout or transport error,
  // serving pending callbacks first unless `serve_callbacks` is false (it must be false inside
  // a librdkafka callback). Other errors are returned unchanged.
  Error explain(Error error, bool serve_callbacks = true);
  // For consumers: rd_kafka_consumer_close_queue() and wait until closed or `timeout_ms`
  // passed (a group consumer commits its stored offsets and leaves the group here). The
  // destructor never closes a consumer again, so it cannot block.
  Status close_consumer(int64_t timeout_ms);
  // The last connection-level error seen (for consumers that report it themselves).
  std::optional<Error> last_broker_error() const;

 private:
  Client(Kind kind, ClientSettings settings, DeliveryCallback on_delivery);
  static void on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  static void on_log(const rd_kafka_t* rk, int level, const char* facility, const char* line);
  static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque);

  Kind kind_;
  ClientSettings settings_;
  DeliveryCallback on_delivery_;
  rd_kafka_t* rk_ = nullptr;
  bool redirected_ = false;
  mutable std::mutex mu_;  // guards last_broker_error_ (error_cb vs. readers)
  std::optional<Error> last_broker_error_;
};

}  // namespace ferry::cli
