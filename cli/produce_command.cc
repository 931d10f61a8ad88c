#include "cli/produce_command.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "cli/output.h"
#include "cli/report.h"
#include "cli/signals.h"

namespace ferry::cli {

Result<ProduceOptions> parse_produce(const Invocation& inv) {
  ProduceOptions options;
  options.topic = inv.args.at(0);
  if (options.topic.empty()) return usage_error(inv.command, "empty topic name");
  const std::string* key = inv.value("key");
  const std::string* separator = inv.value("key-separator");
  if (key != nullptr && inv.has("parse-key")) {
    return usage_error(inv.command, "--key and --parse-key exclude each other");
  }
  if (separator != nullptr && !inv.has("parse-key")) {
    return usage_error(inv.command, "--key-separator needs --parse-key");
  }
  if (key != nullptr) options.key_mode = {KeyMode::Kind::kFixed, *key, ""};
  if (inv.has("parse-key")) {
    options.key_mode.kind = KeyMode::Kind::kParse;
    if (separator != nullptr) {
      FERRY_ASSIGN_OR_RETURN(options.key_mode.separator,
                             parse_separator(inv, "key-separator", *separator));
    }
  }
  for (const auto& text : inv.values("header")) {
    FERRY_ASSIGN_OR_RETURN(auto kv, parse_key_value(inv, "header", text));
    options.headers.push_back(std::move(kv));
  }
  if (const std::string* partition = inv.value("partition")) {
    FERRY_ASSIGN_OR_RETURN(int64_t p, parse_int_flag(inv, "partition", *partition, 0, INT32_MAX));
    options.partition = static_cast<int32_t>(p);
  }
  if (const std::string* acks = inv.value("acks")) {
    if (*acks != "all" && *acks != "-1" && *acks != "0" && *acks != "1") {
      return usage_error(inv.command, fmt::format("--acks: '{}' is not all, -1, 0 or 1", *acks));
    }
    options.acks = *acks;
  }
  if (const std::string* codec = inv.value("compression")) {
    static constexpr std::string_view kCodecs[] = {"none", "gzip", "snappy", "lz4", "zstd"};
    if (std::find(std::begin(kCodecs), std::end(kCodecs), *codec) == std::end(kCodecs)) {
      return usage_error(
          inv.command,
          fmt::format("--compression: '{}' is not none, gzip, snappy, lz4 or zstd", *codec));
    }
    options.compression = *codec;
  }
  return options;
}

namespace {

constexpr int kSliceMs = 100;
constexpr int64_t kFlushGraceMs = 2000;

// What the delivery callback needs; lives on run_produce's stack for the client's lifetime.
struct DeliveryState {
  const CommandContext& ctx;
  const std::string& topic;
  Reporter& reporter;
  Client* client = nullptr;
  int64_t delivered = 0;
};

std::string line_item(const std::string& topic, int64_t line) {
  return fmt::format("{}: line {}", topic, line);
}

void on_delivery(DeliveryState& state, const rd_kafka_message_t& message) {
  auto line = reinterpret_cast<intptr_t>(message._private);
  if (message.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    // The payload of a failed delivery report is the record's value, not an error text.
    Error error = kafka_error(message.err);
    state.reporter.item_failed(line_item(state.topic, line),
                               state.client->explain(error, /*serve_callbacks=*/false));
    return;
  }
  ++state.delivered;
  if (state.ctx.global.format == OutputFormat::kJson) {
    Json json = Json::object();
    json["topic"] = state.topic;
    json["partition"] = message.partition;
    json["offset"] = static_cast<int64_t>(message.offset);
    json["line"] = static_cast<int64_t>(line);
    emit_json(state.ctx.out, json);
  } else {
    state.ctx.out << fmt::format("Produced to partition {} at offset {} (line {}).\n",
                                 message.partition, message.offset, line);
  }
}

// Sends one line; waits (serving delivery reports) while librdkafka's queue is full.
Status produce_line(Client& client, const ProduceOptions& options, const LineRecord& record,
                    int64_t line) {
  Deadline deadline(client.settings().timeout_ms);
  while (true) {
    rd_kafka_headers_t* headers = rd_kafka_headers_new(options.headers.size());
    for (const auto& [name, value] : options.headers) {
      (void)rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()),
                                value.data(), static_cast<ssize_t>(value.size()));
    }
    int32_t partition = options.partition.value_or(RD_KAFKA_PARTITION_UA);
    const char* key = record.key ? record.key->data() : nullptr;
    size_t key_size = record.key ? record.key->size() : 0;
    rd_kafka_resp_err_t err = rd_kafka_producev(
        client.handle(), RD_KAFKA_V_TOPIC(options.topic.c_str()), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_KEY(key, key_size),
        RD_KAFKA_V_VALUE(const_cast<char*>(record.value.data()), record.value.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
        RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<intptr_t>(line))), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return ok_status();  // headers now owned by librdkafka
    rd_kafka_headers_destroy(headers);
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || deadline.expired()) return kafka_error(err);
    client.poll(kSliceMs);
  }
}

// Reads stdin until EOF, a read error (reported) or a signal, producing each complete line.
void pump_stdin(const CommandContext& ctx, Client& client, const ProduceOptions& options,
                SignalWatcher& signals, Reporter& reporter) {
  LineSplitter splitter;
  int64_t line_number = 0;
  auto send = [&](const std::string& line) {
    ++line_number;
    auto record = record_from_line(line, options.key_mode);
    Status sent =
        record.ok() ? produce_line(client, options, *record, line_number) : Status(record.error());
    if (!sent.ok()) reporter.item_failed(line_item(options.topic, line_number), sent.error());
  };
  char buffer[64 * 1024];
  while (!signals.stop_requested()) {
    pollfd fds[2] = {{ctx.stdin_fd, POLLIN, 0}, {signals.fd(), POLLIN, 0}};
    int ready = ::poll(fds, 2, kSliceMs);
    client.poll(0);
    if (ready <= 0 || (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    ssize_t n = ::read(ctx.stdin_fd, buffer, sizeof(buffer));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) {
      reporter.item_failed("stdin", kafka_error(RD_KAFKA_RESP_ERR__FS, std::strerror(errno)));
      break;
    }
    if (n == 0) break;
    splitter.feed(std::string_view(buffer, static_cast<size_t>(n)));
    while (auto line = splitter.next_line())
      send(*line);
  }
  if (auto rest = splitter.finish()) send(*rest);
}

// Waits for outstanding deliveries; purges (and so reports) what is left after the bound.
void drain(Client& client, int64_t timeout_ms) {
  Deadline deadline(timeout_ms + kFlushGraceMs);
  while (rd_kafka_outq_len(client.handle()) > 0 && !deadline.expired()) {
    (void)rd_kafka_flush(client.handle(), std::min(kSliceMs, deadline.remaining_ms()));
  }
  if (rd_kafka_outq_len(client.handle()) > 0) {
    (void)rd_kafka_purge(client.handle(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    client.poll(0);  // delivers the purge errors to the callback
  }
}

}  // namespace

int run_produce(const CommandContext& ctx) {
  auto options = parse_produce(ctx.inv);
  if (!options.ok()) return ctx.usage_failure(options.error());
  auto signals = SignalWatcher::create();
  if (!signals.ok()) return ctx.usage_failure(signals.error());
  Reporter reporter(ctx.err, ctx.command_name());
  DeliveryState state{ctx, options->topic, reporter};
  std::vector<std::pair<std::string, std::string>> properties = {
      {"acks", options->acks},
      {"compression.type", options->compression},
      {"message.timeout.ms", std::to_string(ctx.global.timeout_ms)},
  };
  auto client = ctx.make_client(Client::Kind::kProducer, properties,
                                [&state](const rd_kafka_message_t& m) { on_delivery(state, m); });
  if (!client.ok()) return ctx.usage_failure(client.error());
  state.client = client->get();
  pump_stdin(ctx, **client, *options, **signals, reporter);
  drain(**client, ctx.global.timeout_ms);
  ctx.out.flush();
  return reporter.exit_code();
}

}  // namespace ferry::cli
