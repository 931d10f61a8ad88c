#include "cli/consume_command.h"

#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/kafka/admin.h"
#include "cli/output.h"
#include "cli/report.h"
#include "cli/signals.h"
#include "common/clock.h"

namespace ferry::cli {

Result<StartOffset> parse_start_offset(const Invocation& inv, std::string_view text) {
  if (text == "beginning" || text == "earliest") return StartOffset{StartOffset::Kind::kBeginning};
  if (text == "end" || text == "latest") return StartOffset{StartOffset::Kind::kEnd};
  if (text.starts_with('-')) {
    FERRY_ASSIGN_OR_RETURN(int64_t n,
                           parse_int_flag(inv, "offset", text.substr(1), 1, INT64_MAX / 2));
    return StartOffset{StartOffset::Kind::kTail, n};
  }
  auto value = parse_int_flag(inv, "offset", text, 0, INT64_MAX);
  if (!value.ok()) {
    return usage_error(inv.command,
                       fmt::format("--offset: '{}' is not N, -N, beginning or end", text));
  }
  return StartOffset{StartOffset::Kind::kAbsolute, *value};
}

namespace {

Status check_combinations(const Invocation& inv) {
  if (inv.has("from-beginning") && inv.has("offset")) {
    return usage_error(inv.command, "--from-beginning and --offset exclude each other");
  }
  if (inv.has("group")) {
    for (std::string_view flag : {"partition", "offset", "exit-at-end"}) {
      if (inv.has(flag)) {
        return usage_error(inv.command,
                           fmt::format("--{} needs direct assignment; it cannot be used with "
                                       "--group",
                                       flag));
      }
    }
  }
  return ok_status();
}

Result<PrintOptions> parse_print_options(const Invocation& inv) {
  PrintOptions print;
  print.key = inv.has("print-key");
  print.headers = inv.has("print-headers");
  print.timestamp = inv.has("print-timestamp");
  print.partition = inv.has("print-partition");
  print.offset = inv.has("print-offset");
  if (const std::string* separator = inv.value("key-separator")) {
    FERRY_ASSIGN_OR_RETURN(print.separator, parse_separator(inv, "key-separator", *separator));
  }
  return print;
}

}  // namespace

Result<ConsumeOptions> parse_consume(const Invocation& inv) {
  ConsumeOptions options;
  FERRY_ASSIGN_OR_RETURN(options.topics, parse_topic_names(inv));
  FERRY_TRY(check_combinations(inv));
  if (inv.has("from-beginning")) options.start.kind = StartOffset::Kind::kBeginning;
  if (const std::string* offset = inv.value("offset")) {
    FERRY_ASSIGN_OR_RETURN(options.start, parse_start_offset(inv, *offset));
  }
  if (const std::string* partition = inv.value("partition")) {
    FERRY_ASSIGN_OR_RETURN(int64_t p, parse_int_flag(inv, "partition", *partition, 0, INT32_MAX));
    options.partition = static_cast<int32_t>(p);
  }
  if (const std::string* count = inv.value("count")) {
    FERRY_ASSIGN_OR_RETURN(options.count, parse_int_flag(inv, "count", *count, 1, INT64_MAX));
  }
  if (const std::string* group = inv.value("group")) {
    if (group->empty()) return usage_error(inv.command, "--group: empty group id");
    options.group = *group;
  }
  options.exit_at_end = inv.has("exit-at-end");
  FERRY_ASSIGN_OR_RETURN(options.print, parse_print_options(inv));
  return options;
}

namespace {

constexpr int kSliceMs = 100;
constexpr std::string_view kAssignGroupId = "ferry-consume-assign";

int64_t librdkafka_offset(const StartOffset& start) {
  switch (start.kind) {
    case StartOffset::Kind::kBeginning:
      return RD_KAFKA_OFFSET_BEGINNING;
    case StartOffset::Kind::kEnd:
      return RD_KAFKA_OFFSET_END;
    case StartOffset::Kind::kAbsolute:
      return start.value;
    case StartOffset::Kind::kTail:
      return RD_KAFKA_OFFSET_TAIL(start.value);
  }
  return RD_KAFKA_OFFSET_END;
}

std::vector<std::pair<std::string, std::string>> consumer_properties(const ConsumeOptions& o) {
  bool earliest = o.start.kind == StartOffset::Kind::kBeginning;
  std::vector<std::pair<std::string, std::string>> properties = {
      {"enable.partition.eof", "true"},
      {"auto.offset.reset", earliest ? "earliest" : "latest"},
      {"enable.auto.offset.store", "false"},
      {"enable.auto.commit", o.group ? "true" : "false"},
  };
  // librdkafka's assign() needs a group.id even though a direct assignment never joins the
  // group; with auto commit off nothing is ever committed under this name.
  properties.push_back({"group.id", o.group.value_or(std::string(kAssignGroupId))});
  return properties;
}

// The partitions to read, checked against the cluster's metadata; unknown topics and
// partitions are reported and left out. Null when nothing is left.
PartitionListPtr select_partitions(Client& client, const ConsumeOptions& options,
                                   Reporter& reporter, int64_t timeout_ms) {
  auto cluster = fetch_cluster(client, true, Deadline(timeout_ms));
  PartitionListPtr list(rd_kafka_topic_partition_list_new(0));
  for (const auto& name : options.topics) {
    auto topic = cluster.ok() ? find_topic(*cluster, name) : Result<TopicInfo>(cluster.error());
    if (!topic.ok()) {
      reporter.item_failed(name, topic.error());
      continue;
    }
    int32_t count = static_cast<int32_t>(topic->partitions.size());
    if (options.group) {
      rd_kafka_topic_partition_list_add(list.get(), name.c_str(), RD_KAFKA_PARTITION_UA);
      continue;
    }
    if (options.partition && *options.partition >= count) {
      reporter.item_failed(fmt::format("{}[{}]", name, *options.partition),
                           Error(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
                                 fmt::format("topic {} has {} partition(s)", name, count)));
      continue;
    }
    for (int32_t p = 0; p < count; ++p) {
      if (options.partition && p != *options.partition) continue;
      rd_kafka_topic_partition_list_add(list.get(), name.c_str(), p)->offset =
          librdkafka_offset(options.start);
    }
  }
  if (list->cnt == 0) return nullptr;
  return list;
}

ConsumedRecord to_record(const rd_kafka_message_t& m) {
  ConsumedRecord r;
  r.topic = rd_kafka_topic_name(m.rkt);
  r.partition = m.partition;
  r.offset = m.offset;
  rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  r.timestamp_ms = rd_kafka_message_timestamp(&m, &type);
  if (type == RD_KAFKA_TIMESTAMP_CREATE_TIME) r.timestamp_type = TimestampType::kCreateTime;
  if (type == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME) r.timestamp_type = TimestampType::kLogAppendTime;
  if (m.key != nullptr) r.key.emplace(static_cast<const char*>(m.key), m.key_len);
  if (m.payload != nullptr) r.value.emplace(static_cast<const char*>(m.payload), m.len);
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(&m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0;
         rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      std::optional<std::string> v;
      if (value != nullptr) v.emplace(static_cast<const char*>(value), size);
      r.headers.emplace_back(name, std::move(v));
    }
  }
  return r;
}

// The poll loop: prints records and decides when to stop.
class ConsumeLoop {
 public:
  ConsumeLoop(const CommandContext& ctx, const ConsumeOptions& options, Client& client,
              Reporter& reporter, size_t assigned)
      : ctx_(ctx), options_(options), client_(client), reporter_(reporter), assigned_(assigned) {}

  void run(SignalWatcher& signals) {
    int64_t last_activity_ms = now_ms();
    while (!should_stop(signals, last_activity_ms)) {
      MessagePtr message(rd_kafka_consumer_poll(client_.handle(), kSliceMs));
      if (!message) {
        ctx_.out.flush();
        continue;
      }
      if (handle(*message)) last_activity_ms = now_ms();
    }
    ctx_.out.flush();
  }

 private:
  static int64_t now_ms() { return SystemClock::instance().monotonic_ms(); }

  bool should_stop(SignalWatcher& signals, int64_t last_activity_ms) {
    if (signals.stop_requested()) return true;
    if (options_.count && printed_ >= *options_.count) return true;
    if (options_.exit_at_end && assigned_ > 0 && at_end_.size() >= assigned_) return true;
    return ctx_.global.timeout_given && now_ms() - last_activity_ms >= ctx_.global.timeout_ms;
  }

  // Returns true when a record was printed.
  bool handle(const rd_kafka_message_t& m) {
    std::string topic = m.rkt != nullptr ? rd_kafka_topic_name(m.rkt) : "";
    if (m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end_.emplace(topic, m.partition);
      return false;
    }
    if (m.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::string item = topic.empty() ? fmt::format("{}", fmt::join(options_.topics, ","))
                                       : fmt::format("{}[{}]", topic, m.partition);
      reporter_.item_failed(item, kafka_error(m.err, rd_kafka_message_errstr(&m)));
      return false;
    }
    at_end_.erase({topic, m.partition});
    ConsumedRecord record = to_record(m);
    if (ctx_.global.format == OutputFormat::kJson) {
      ctx_.out << dump_json(record_json(record)) << '\n';
    } else {
      ctx_.out << format_record_text(record, options_.print);
    }
    ++printed_;
    if (options_.group) store_offset(m);
    return true;
  }

  // Marks the record as processed: the group commits offset + 1 (the next one to read).
  void store_offset(const rd_kafka_message_t& m) {
    PartitionListPtr list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), rd_kafka_topic_name(m.rkt), m.partition)->offset =
        m.offset + 1;
    rd_kafka_resp_err_t err = rd_kafka_offsets_store(client_.handle(), list.get());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      reporter_.item_failed(fmt::format("{}[{}]", rd_kafka_topic_name(m.rkt), m.partition),
                            kafka_error(err, "cannot store the offset for commit"));
    }
  }

  const CommandContext& ctx_;
  const ConsumeOptions& options_;
  Client& client_;
  Reporter& reporter_;
  size_t assigned_;  // partitions assigned directly (0 with --group)
  int64_t printed_ = 0;
  std::set<std::pair<std::string, int32_t>> at_end_;
};

Status start(Client& client, const ConsumeOptions& options, rd_kafka_topic_partition_list_t* list) {
  client.redirect_to_consumer();
  rd_kafka_resp_err_t err = options.group ? rd_kafka_subscribe(client.handle(), list)
                                          : rd_kafka_assign(client.handle(), list);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafka_error(err);
  return ok_status();
}

}  // namespace

int run_consume(const CommandContext& ctx) {
  auto options = parse_consume(ctx.inv);
  if (!options.ok()) return ctx.usage_failure(options.error());
  auto signals = SignalWatcher::create();
  if (!signals.ok()) return ctx.usage_failure(signals.error());
  auto client = ctx.make_client(Client::Kind::kConsumer, consumer_properties(*options));
  if (!client.ok()) return ctx.usage_failure(client.error());
  Reporter reporter(ctx.err, ctx.command_name());
  PartitionListPtr list = select_partitions(**client, *options, reporter, ctx.global.timeout_ms);
  if (list == nullptr) return reporter.exit_code();
  Status started = start(**client, *options, list.get());
  if (!started.ok()) {
    reporter.item_failed(fmt::format("{}", fmt::join(options->topics, ",")), started.error());
    return reporter.exit_code();
  }
  size_t assigned = options->group ? 0 : static_cast<size_t>(list->cnt);
  ConsumeLoop(ctx, *options, **client, reporter, assigned).run(**signals);
  Status closed = (*client)->close_consumer(ctx.global.timeout_ms);
  if (!closed.ok()) reporter.item_failed(options->group.value_or("consumer"), closed.error());
  return reporter.exit_code();
}

}  // namespace ferry::cli
