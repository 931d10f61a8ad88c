// The typed option parsers of each command, and the alter-config merge.
#include <gtest/gtest.h>

#include "cli/args.h"
#include "cli/cluster_commands.h"
#include "cli/consume_command.h"
#include "cli/options.h"
#include "cli/produce_command.h"
#include "cli/topic_commands.h"

namespace ferry::cli {
namespace {

Invocation parse(std::vector<std::string> args) {
  auto inv = parse_command_line(args);
  EXPECT_TRUE(inv.ok()) << (inv.ok() ? "" : inv.error().message());
  return inv.ok() ? std::move(inv).value() : Invocation{};
}

template <typename T>
void expect_usage(const Result<T>& result, std::string_view names) {
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message().find(names), std::string::npos) << result.error().message();
  EXPECT_NE(result.error().message().find("Usage: ferry"), std::string::npos);
}

TEST(GlobalOptions, defaults_are_table_ten_seconds_and_no_brokers) {
  auto options = parse_global_options(parse({"topic", "list"}));
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->format, OutputFormat::kTable);
  EXPECT_EQ(options->timeout_ms, 10'000);
  EXPECT_FALSE(options->timeout_given);
  EXPECT_FALSE(options->brokers.has_value());
}

TEST(GlobalOptions, durations_take_milliseconds_seconds_or_minutes) {
  for (auto [text, ms] : std::vector<std::pair<std::string, int64_t>>{
           {"250ms", 250}, {"3s", 3000}, {"2m", 120'000}}) {
    auto options = parse_global_options(parse({"topic", "list", "--timeout", text}));
    ASSERT_TRUE(options.ok()) << text;
    EXPECT_EQ(options->timeout_ms, ms);
    EXPECT_TRUE(options->timeout_given);
  }
}

TEST(GlobalOptions, rdkafka_properties_accumulate_in_order) {
  auto options =
      parse_global_options(parse({"topic", "list", "-X", "a=1", "-X", "b=x=y", "--format=json"}));
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->format, OutputFormat::kJson);
  ASSERT_EQ(options->rdkafka_properties.size(), 2u);
  EXPECT_EQ(options->rdkafka_properties[1], (std::pair<std::string, std::string>("b", "x=y")));
}

TEST(TopicCreate, defaults_leave_partitions_and_replicas_to_the_broker) {
  auto options = parse_topic_create(parse({"topic", "create", "a", "b"}));
  ASSERT_TRUE(options.ok());
  ASSERT_EQ(options->topics.size(), 2u);
  EXPECT_EQ(options->topics[0].partitions, -1);
  EXPECT_EQ(options->topics[0].replication_factor, -1);
  EXPECT_FALSE(options->dry_run);
}

TEST(TopicCreate, flags_apply_to_every_topic) {
  auto options =
      parse_topic_create(parse({"topic", "create", "a", "b", "-p", "6", "-r", "3", "-c",
                                "retention.ms=1000", "-c", "cleanup.policy=compact", "--dry-run"}));
  ASSERT_TRUE(options.ok());
  for (const auto& topic : options->topics) {
    EXPECT_EQ(topic.partitions, 6);
    EXPECT_EQ(topic.replication_factor, 3);
    ASSERT_EQ(topic.configs.size(), 2u);
    EXPECT_EQ(topic.configs[0].first, "retention.ms");
    EXPECT_EQ(topic.configs[0].second, "1000");
  }
  EXPECT_TRUE(options->dry_run);
}

TEST(TopicCreate, bad_values_are_usage_errors) {
  expect_usage(parse_topic_create(parse({"topic", "create", "a", "-p", "x"})),
               "--partitions: 'x' is not a whole number");
  expect_usage(parse_topic_create(parse({"topic", "create", "a", "-p", "0"})),
               "--partitions: 0 is out of range");
  expect_usage(parse_topic_create(parse({"topic", "create", "a", "-r", "-1"})),
               "--replicas: -1 is out of range");
  expect_usage(parse_topic_create(parse({"topic", "create", "a", "-p", "99999999999999999999"})),
               "out of range");
  expect_usage(parse_topic_create(parse({"topic", "create", "a", "-c", "retention.ms"})),
               "--config: 'retention.ms' is not KEY=VALUE");
  expect_usage(parse_topic_create(parse({"topic", "create", "a", "-c", "=1"})), "is not KEY=VALUE");
  expect_usage(parse_topic_create(parse({"topic", "create", "a", "-c", "x=1", "-c", "x=2"})),
               "'x' given twice");
  expect_usage(parse_topic_create(parse({"topic", "create", "a", "a"})), "topic 'a' given twice");
  expect_usage(parse_topic_create(parse({"topic", "create", ""})), "empty topic name");
}

TEST(AddPartitions, num_is_required_and_positive) {
  expect_usage(parse_add_partitions(parse({"topic", "add-partitions", "a"})), "missing flag --num");
  expect_usage(parse_add_partitions(parse({"topic", "add-partitions", "a", "--num", "0"})),
               "--num: 0 is out of range");
  auto options = parse_add_partitions(parse({"topic", "add-partitions", "a", "b", "-n", "3"}));
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->add, 3);
  EXPECT_EQ(options->topics.size(), 2u);
}

TEST(AlterConfig, needs_something_to_change) {
  expect_usage(parse_alter_config(parse({"topic", "alter-config", "a"})), "nothing to change");
}

TEST(AlterConfig, a_key_cannot_be_both_set_and_deleted) {
  expect_usage(
      parse_alter_config(parse({"topic", "alter-config", "a", "--set", "x=1", "--delete", "x"})),
      "'x' is both set and deleted");
  expect_usage(parse_alter_config(parse({"topic", "alter-config", "a", "--delete", "x=1"})),
               "--delete takes a config name");
  expect_usage(parse_alter_config(parse({"topic", "alter-config", "a", "--set", "x"})),
               "--set: 'x' is not KEY=VALUE");
}

ConfigEntry entry(std::string name, std::optional<std::string> value, std::string source,
                  bool sensitive = false) {
  ConfigEntry e;
  e.name = std::move(name);
  e.value = std::move(value);
  e.source = std::move(source);
  e.sensitive = sensitive;
  return e;
}

TEST(AlterConfig, merge_keeps_other_dynamic_configs_and_ignores_defaults) {
  auto options = parse_alter_config(parse(
      {"topic", "alter-config", "a", "--set", "retention.ms=1000", "--delete", "cleanup.policy"}));
  ASSERT_TRUE(options.ok());
  std::vector<ConfigEntry> current = {
      entry("cleanup.policy", "compact", "DYNAMIC_TOPIC_CONFIG"),
      entry("max.message.bytes", "2000", "DYNAMIC_TOPIC_CONFIG"),
      entry("retention.ms", "5", "DYNAMIC_TOPIC_CONFIG"),
      entry("segment.bytes", "1073741824", "DEFAULT_CONFIG"),
      entry("min.insync.replicas", "2", "STATIC_BROKER_CONFIG"),
  };
  auto merged = merge_dynamic_configs(current, *options);
  ASSERT_TRUE(merged.ok());
  std::vector<std::pair<std::string, std::string>> expected = {{"max.message.bytes", "2000"},
                                                               {"retention.ms", "1000"}};
  EXPECT_EQ(*merged, expected);
}

TEST(AlterConfig, deleting_a_key_that_is_not_set_changes_nothing_else) {
  auto options =
      parse_alter_config(parse({"topic", "alter-config", "a", "--delete", "cleanup.policy"}));
  ASSERT_TRUE(options.ok());
  auto merged =
      merge_dynamic_configs({entry("cleanup.policy", "delete", "DEFAULT_CONFIG")}, *options);
  ASSERT_TRUE(merged.ok());
  EXPECT_TRUE(merged->empty());
}

TEST(AlterConfig, sensitive_dynamic_config_is_refused_rather_than_erased) {
  auto options = parse_alter_config(parse({"topic", "alter-config", "a", "--set", "x=1"}));
  ASSERT_TRUE(options.ok());
  auto merged = merge_dynamic_configs(
      {entry("secret", std::nullopt, "DYNAMIC_TOPIC_CONFIG", /*sensitive=*/true)}, *options);
  ASSERT_FALSE(merged.ok());
  EXPECT_NE(merged.error().message().find("secret is sensitive"), std::string::npos);
}

TEST(Produce, key_modes) {
  auto none = parse_produce(parse({"produce", "t"}));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->key_mode.kind, KeyMode::Kind::kNone);
  auto fixed = parse_produce(parse({"produce", "t", "-k", "k1"}));
  ASSERT_TRUE(fixed.ok());
  EXPECT_EQ(fixed->key_mode.kind, KeyMode::Kind::kFixed);
  EXPECT_EQ(fixed->key_mode.fixed_key, "k1");
  auto parsed = parse_produce(parse({"produce", "t", "--parse-key", "--key-separator", ":"}));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->key_mode.kind, KeyMode::Kind::kParse);
  EXPECT_EQ(parsed->key_mode.separator, ":");
  auto tab = parse_produce(parse({"produce", "t", "--parse-key"}));
  ASSERT_TRUE(tab.ok());
  EXPECT_EQ(tab->key_mode.separator, "\t");
}

TEST(Produce, separator_escapes_are_understood) {
  auto parsed = parse_produce(parse({"produce", "t", "--parse-key", "--key-separator", "\\t"}));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->key_mode.separator, "\t");
  auto multi = parse_produce(parse({"produce", "t", "--parse-key", "--key-separator", "::"}));
  ASSERT_TRUE(multi.ok());
  EXPECT_EQ(multi->key_mode.separator, "::");
  expect_usage(parse_produce(parse({"produce", "t", "--parse-key", "--key-separator", "\\q"})),
               "unknown escape");
  expect_usage(parse_produce(parse({"produce", "t", "--parse-key", "--key-separator", ""})),
               "must not be empty");
}

TEST(Produce, bad_combinations_and_values_are_usage_errors) {
  expect_usage(parse_produce(parse({"produce", "t", "-k", "a", "--parse-key"})),
               "--key and --parse-key exclude each other");
  expect_usage(parse_produce(parse({"produce", "t", "--key-separator", ":"})),
               "--key-separator needs --parse-key");
  expect_usage(parse_produce(parse({"produce", "t", "--acks", "2"})),
               "--acks: '2' is not all, -1, 0 or 1");
  expect_usage(parse_produce(parse({"produce", "t", "-z", "brotli"})),
               "--compression: 'brotli' is not");
  expect_usage(parse_produce(parse({"produce", "t", "-p", "-1"})), "--partition: -1");
  expect_usage(parse_produce(parse({"produce", "t", "-H", "novalue"})),
               "--header: 'novalue' is not KEY=VALUE");
}

TEST(Produce, headers_keep_order_and_split_at_the_first_equals) {
  auto options = parse_produce(parse({"produce", "t", "-H", "a=1", "-H", "b=x=y", "-H", "a=2",
                                      "--acks", "1", "-z", "zstd", "-p", "3"}));
  ASSERT_TRUE(options.ok());
  std::vector<std::pair<std::string, std::string>> expected = {
      {"a", "1"}, {"b", "x=y"}, {"a", "2"}};
  EXPECT_EQ(options->headers, expected);
  EXPECT_EQ(options->acks, "1");
  EXPECT_EQ(options->compression, "zstd");
  EXPECT_EQ(options->partition, 3);
}

TEST(Consume, default_starts_at_the_end_without_a_group) {
  auto options = parse_consume(parse({"consume", "t"}));
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->start.kind, StartOffset::Kind::kEnd);
  EXPECT_FALSE(options->group.has_value());
  EXPECT_FALSE(options->count.has_value());
  EXPECT_EQ(options->print.separator, "\t");
}

TEST(Consume, start_offsets) {
  struct Case {
    std::string text;
    StartOffset::Kind kind;
    int64_t value;
  };
  for (const auto& c : std::vector<Case>{{"beginning", StartOffset::Kind::kBeginning, 0},
                                         {"earliest", StartOffset::Kind::kBeginning, 0},
                                         {"end", StartOffset::Kind::kEnd, 0},
                                         {"latest", StartOffset::Kind::kEnd, 0},
                                         {"0", StartOffset::Kind::kAbsolute, 0},
                                         {"42", StartOffset::Kind::kAbsolute, 42},
                                         {"-3", StartOffset::Kind::kTail, 3}}) {
    auto options = parse_consume(parse({"consume", "t", "-o", c.text}));
    ASSERT_TRUE(options.ok()) << c.text;
    EXPECT_EQ(options->start.kind, c.kind) << c.text;
    EXPECT_EQ(options->start.value, c.value) << c.text;
  }
  auto begin = parse_consume(parse({"consume", "t", "--from-beginning"}));
  ASSERT_TRUE(begin.ok());
  EXPECT_EQ(begin->start.kind, StartOffset::Kind::kBeginning);
}

TEST(Consume, bad_offsets_are_usage_errors) {
  expect_usage(parse_consume(parse({"consume", "t", "-o", "start"})),
               "'start' is not N, -N, beginning or end");
  expect_usage(parse_consume(parse({"consume", "t", "-o", "-0"})), "--offset: 0 is out of range");
  expect_usage(parse_consume(parse({"consume", "t", "--from-beginning", "-o", "5"})),
               "--from-beginning and --offset exclude each other");
}

TEST(Consume, group_excludes_direct_assignment_flags) {
  for (std::string flag : {"--partition", "--offset"}) {
    expect_usage(parse_consume(parse({"consume", "t", "-g", "g", flag, "1"})),
                 flag + " needs direct assignment");
  }
  expect_usage(parse_consume(parse({"consume", "t", "-g", "g", "-e"})),
               "--exit-at-end needs direct assignment");
  expect_usage(parse_consume(parse({"consume", "t", "-g", ""})), "empty group id");
  auto group = parse_consume(parse({"consume", "t", "-g", "g", "--from-beginning"}));
  ASSERT_TRUE(group.ok());
  EXPECT_EQ(group->group, "g");
}

TEST(Consume, count_and_partition_must_be_in_range) {
  expect_usage(parse_consume(parse({"consume", "t", "-n", "0"})), "--count: 0 is out of range");
  expect_usage(parse_consume(parse({"consume", "t", "-p", "x"})), "--partition: 'x'");
  auto options = parse_consume(
      parse({"consume", "a", "b", "-n", "5", "-p", "2", "-e", "--print-key", "--print-headers",
             "--print-timestamp", "--print-partition", "--print-offset", "--key-separator", "|"}));
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->count, 5);
  EXPECT_EQ(options->partition, 2);
  EXPECT_TRUE(options->exit_at_end);
  EXPECT_TRUE(options->print.key && options->print.headers && options->print.timestamp &&
              options->print.partition && options->print.offset);
  EXPECT_EQ(options->print.separator, "|");
  EXPECT_EQ(options->topics, (std::vector<std::string>{"a", "b"}));
}

TEST(ClusterQuorum, controllers_accept_host_port_and_voter_syntax) {
  Environment env;
  auto options =
      parse_cluster_quorum(parse({"cluster", "quorum", "--controllers", "a:1,2@b:2"}), env);
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->controllers, (std::vector<std::string>{"a:1", "b:2"}));
  EXPECT_TRUE(options->status);
  EXPECT_TRUE(options->replication);
}

TEST(ClusterQuorum, status_or_replication_picks_one_part) {
  Environment env;
  auto status = parse_cluster_quorum(parse({"cluster", "quorum", "--status"}), env);
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(status->status);
  EXPECT_FALSE(status->replication);
  auto replication = parse_cluster_quorum(parse({"cluster", "quorum", "--replication"}), env);
  ASSERT_TRUE(replication.ok());
  EXPECT_FALSE(replication->status);
  EXPECT_TRUE(replication->replication);
}

TEST(ClusterQuorum, malformed_controller_is_a_usage_error) {
  Environment env;
  expect_usage(parse_cluster_quorum(parse({"cluster", "quorum", "--controllers", "a:1,,b"}), env),
               "--controllers: '' is not host:port");
  expect_usage(parse_cluster_quorum(parse({"cluster", "quorum", "--controllers", "nohost"}), env),
               "'nohost' is not host:port (from --controllers)");
}

}  // namespace
}  // namespace ferry::cli
