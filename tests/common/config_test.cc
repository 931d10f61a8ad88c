#include "common/config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "common/topic_name.h"
#include "tests/support/temp_dir.h"

namespace ferry::config {
namespace {

TEST(ConfigSchema, every_key_has_a_valid_default_and_documentation) {
  for (const auto& spec : schema()) {
    EXPECT_FALSE(spec.doc.empty()) << spec.name;
    if (spec.default_value.has_value() && !spec.default_value->empty()) {
      EXPECT_TRUE(validate_value(spec, spec.name, *spec.default_value).ok()) << spec.name;
    }
  }
}

TEST(BrokerConfig, embedded_defaults_need_no_configuration) {
  auto config = BrokerConfig::load({});
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  EXPECT_EQ(config->get_long("log.retention.ms"), 604800000);
  EXPECT_EQ(config->get_list("listeners").front(), "PLAINTEXT://127.0.0.1:9092");
  EXPECT_TRUE(config->get_bool("auto.create.topics.enable"));
}

TEST(BrokerConfig, file_then_environment_then_overrides_win) {
  test::TempDir dir;
  const auto path = dir.path() / "ferry.properties";
  std::ofstream(path) << "# comment\nnum.partitions=3\nlog.retention.ms: 1000\n"
                      << "log.dirs = /a,\\\n  /b\n";
  BrokerConfig::Sources sources;
  sources.file_path = path.string();
  sources.environment["FERRY_LOG_RETENTION_MS"] = "2000";
  sources.overrides.push_back("num.partitions=5");
  auto config = BrokerConfig::load(sources);
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  EXPECT_EQ(config->get_int("num.partitions"), 5);
  EXPECT_EQ(config->origin("num.partitions"), Origin::kOverride);
  EXPECT_EQ(config->get_long("log.retention.ms"), 2000);
  EXPECT_EQ(config->get_list("log.dirs"), (std::vector<std::string>{"/a", "/b"}));
}

TEST(BrokerConfig, unknown_key_fails_naming_the_closest_known_key) {
  BrokerConfig::Sources sources;
  sources.overrides.push_back("log.retention.mss=5");
  auto config = BrokerConfig::load(sources);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code(), ErrorCode::INVALID_CONFIG);
  EXPECT_NE(config.error().message().find("log.retention.mss"), std::string::npos);
  EXPECT_NE(config.error().message().find("did you mean log.retention.ms?"), std::string::npos);
}

TEST(BrokerConfig, topic_key_at_broker_level_points_to_its_broker_default) {
  auto config = BrokerConfig::from_map({{"retention.ms", "5"}});
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message().find("log.retention.ms"), std::string::npos);
}

TEST(BrokerConfig, bad_values_name_the_key_and_say_why) {
  auto not_number = BrokerConfig::from_map({{"num.partitions", "abc"}});
  ASSERT_FALSE(not_number.ok());
  EXPECT_NE(not_number.error().message().find(
                "Invalid value abc for configuration num.partitions: Not a number of type INT"),
            std::string::npos);
  auto too_small = BrokerConfig::from_map({{"min.insync.replicas", "0"}});
  ASSERT_FALSE(too_small.ok());
  EXPECT_NE(too_small.error().message().find("Value must be at least 1"), std::string::npos);
  auto bad_choice = BrokerConfig::from_map({{"log.flush.mode", "sometimes"}});
  ASSERT_FALSE(bad_choice.ok());
  EXPECT_NE(bad_choice.error().message().find("String must be one of: fsync, page-cache"),
            std::string::npos);
  auto bad_bool = BrokerConfig::from_map({{"auto.create.topics.enable", "yes"}});
  ASSERT_FALSE(bad_bool.ok());
}

TEST(BrokerConfig, malformed_properties_line_is_reported_with_its_number) {
  auto parsed = parse_properties("a=1\njustaword\n");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message().find("line 2"), std::string::npos);
}

TEST(TopicConfig, overrides_win_over_broker_values_and_sources_are_reported) {
  auto broker = BrokerConfig::from_map({{"log.segment.bytes", "1048576"}});
  ASSERT_TRUE(broker.ok());
  TopicOverrides overrides{{"retention.ms", "1000"}};
  EXPECT_EQ(topic_value(overrides, *broker, "retention.ms"), "1000");
  EXPECT_EQ(topic_value(overrides, *broker, "segment.bytes"), "1048576");
  for (const auto& entry : describe_topic_config(overrides, *broker)) {
    if (entry.name == "retention.ms") {
      EXPECT_EQ(entry.source, Source::kTopic);
      EXPECT_EQ(entry.synonyms.size(), 2u);  // topic override, default
    } else if (entry.name == "segment.bytes") {
      EXPECT_EQ(entry.source, Source::kStaticBroker);
    } else if (entry.name == "cleanup.policy") {
      EXPECT_EQ(entry.source, Source::kDefault);
      EXPECT_EQ(entry.value, "delete");
    }
  }
}

TEST(TopicConfig, unknown_topic_config_is_invalid_config) {
  auto s = validate_topic_config("retention.mz", std::string("5"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::INVALID_CONFIG);
  EXPECT_NE(s.error().message().find("Unknown topic config name: retention.mz"), std::string::npos);
  EXPECT_TRUE(validate_topic_config("cleanup.policy", std::string("compact,delete")).ok());
  EXPECT_FALSE(validate_topic_config("cleanup.policy", std::string("shred")).ok());
}

}  // namespace
}  // namespace ferry::config

namespace ferry {
namespace {

TEST(TopicName, kafka_rules_are_enforced_with_kafka_messages) {
  EXPECT_TRUE(validate_topic_name("orders-v2.eu_west").ok());
  EXPECT_EQ(validate_topic_name("").code(), ErrorCode::INVALID_TOPIC_EXCEPTION);
  EXPECT_EQ(validate_topic_name(".").code(), ErrorCode::INVALID_TOPIC_EXCEPTION);
  EXPECT_EQ(validate_topic_name("..").code(), ErrorCode::INVALID_TOPIC_EXCEPTION);
  EXPECT_TRUE(validate_topic_name(std::string(249, 'a')).ok());
  EXPECT_EQ(validate_topic_name(std::string(250, 'a')).code(), ErrorCode::INVALID_TOPIC_EXCEPTION);
  const auto bad = validate_topic_name("a b");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(),
            "Topic name is invalid: 'a b' contains one or more characters other than ASCII "
            "alphanumerics, '.', '_' and '-'");
}

TEST(TopicName, dot_and_underscore_collide) {
  EXPECT_EQ(topic_collision_key("a.b_c"), topic_collision_key("a_b.c"));
  EXPECT_NE(topic_collision_key("a.b"), topic_collision_key("a-b"));
  EXPECT_TRUE(is_internal_topic("__consumer_offsets"));
  EXPECT_FALSE(is_internal_topic("__mine"));
}

}  // namespace
}  // namespace ferry

namespace ferry::config {
namespace {

// docs/configuration.md is the schema's reference rendered by render_help() (what
// `ferryd --help` prints); this keeps it from drifting. Regenerate with
//   FERRY_UPDATE_DOCS=1 build/tests/common/common_test --gtest_filter='ConfigDocs.*'
TEST(ConfigDocs, docs_configuration_md_matches_the_schema) {
  const std::string path = std::string(FERRY_SOURCE_DIR) + "/docs/configuration.md";
  const std::string expected =
      "# Configuration reference\n\n"
      "Generated from the one configuration schema (`common/config_schema.cc`); `ferryd --help`\n"
      "prints the same text. Keys are set in a properties file (`ferryd --config FILE`), as\n"
      "`FERRY_*` environment variables, or with `--override key=value` (later sources win).\n"
      "Keys marked per-topic are the broker-wide defaults of the topic config named there,\n"
      "which CreateTopics / AlterConfigs / IncrementalAlterConfigs set per topic.\n\n"
      "```text\n" +
      render_help() + "```\n";
  if (std::getenv("FERRY_UPDATE_DOCS") != nullptr) {
    std::ofstream(path) << expected;
  }
  std::ifstream in(path);
  std::stringstream actual;
  actual << in.rdbuf();
  EXPECT_EQ(actual.str(), expected)
      << path << " is out of date: regenerate it with FERRY_UPDATE_DOCS=1 (see the test)";
}

std::string read_source_file(const std::string& relative) {
  std::ifstream in(std::string(FERRY_SOURCE_DIR) + "/" + relative);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The deployment examples are configuration too: a key renamed in the schema must not leave
// them behind.
TEST(DeployExamples, the_example_properties_file_loads) {
  const std::string path = std::string(FERRY_SOURCE_DIR) + "/deploy/ferry.properties.example";
  BrokerConfig::Sources sources;
  sources.file_path = path;
  auto config = BrokerConfig::load(sources);
  ASSERT_TRUE(config.ok()) << path << ": " << config.error().to_string();
  EXPECT_EQ(config->get_list("controller.quorum.voters").size(), 3u);
}

TEST(DeployExamples, every_environment_variable_of_the_kubernetes_manifest_names_a_key) {
  const std::string yaml = read_source_file("deploy/kubernetes/ferry.yaml");
  std::set<std::string> known;
  for (const auto& spec : schema())
    known.insert(env_name_for_key(spec.name));
  const std::regex variable("FERRY_[A-Z0-9_]+");
  size_t seen = 0;
  for (auto it = std::sregex_iterator(yaml.begin(), yaml.end(), variable);
       it != std::sregex_iterator(); ++it, ++seen) {
    EXPECT_TRUE(known.count(it->str()) > 0) << it->str() << " is not a ferryd key";
  }
  EXPECT_GE(seen, 4u) << "the manifest should configure ferryd through FERRY_* variables";
}

}  // namespace
}  // namespace ferry::config
