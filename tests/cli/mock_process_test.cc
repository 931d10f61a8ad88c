// Process tests: the real `ferry` binary against librdkafka's in-memory mock cluster (hosted
// by this test process on 127.0.0.1 ephemeral ports). Produce/consume round trips, output
// formats, start offsets, counts, groups, and bounded failures.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "tests/cli/mock_cluster.h"
#include "tests/cli/process_runner.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace ferry::cli::test {
namespace {

constexpr int64_t kProcessTimeoutMs = 30'000;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// The timestamp varies from run to run; tests compare everything else.
std::string without_timestamps(const std::string& text) {
  return std::regex_replace(text, std::regex(R"("timestamp":\d+)"), R"("timestamp":T)");
}

class FerryAgainstMock : public ::testing::Test {
 protected:
  ProcessResult ferry(std::vector<std::string> args, std::string stdin_data = "") {
    ProcessSpec spec;
    spec.program = FERRY_CLI_BINARY;
    spec.args = {"--brokers", mock_.bootstraps()};
    spec.args.insert(spec.args.end(), args.begin(), args.end());
    spec.stdin_data = std::move(stdin_data);
    spec.timeout_ms = kProcessTimeoutMs;
    ProcessResult result = run_process(spec);
    EXPECT_FALSE(result.timed_out) << "ferry did not finish: " << result.err;
    return result;
  }

  // Produces `lines` and checks that all were delivered.
  void produce_ok(const std::string& topic, const std::string& input,
                  std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"produce", topic};
    args.insert(args.end(), extra.begin(), extra.end());
    ProcessResult r = ferry(args, input);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(r.err, "");
  }

  MockCluster mock_;
};

TEST_F(FerryAgainstMock, produced_lines_come_back_in_order_from_the_beginning) {
  mock_.create_topic("orders", 1);
  produce_ok("orders", "one\ntwo\n\nfour");
  ProcessResult r = ferry({"consume", "orders", "--from-beginning", "-n", "4"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "one\ntwo\n\nfour\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(FerryAgainstMock, produce_reports_partition_offset_and_line_of_every_record) {
  mock_.create_topic("orders", 1);
  ProcessResult r = ferry({"produce", "orders"}, "a\nb\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "Produced to partition 0 at offset 0 (line 1).\n"
            "Produced to partition 0 at offset 1 (line 2).\n");
  ProcessResult json = ferry({"--format", "json", "produce", "orders"}, "c\n");
  EXPECT_EQ(json.out, R"({"topic":"orders","partition":0,"offset":2,"line":1})"
                      "\n");
}

TEST_F(FerryAgainstMock, parsed_keys_and_headers_round_trip_as_json) {
  mock_.create_topic("orders", 1);
  produce_ok("orders", "k1:v1\nk2:v:2\n",
             {"--parse-key", "--key-separator", ":", "-H", "src=cli", "-H", "n=1"});
  ProcessResult r = ferry({"consume", "orders", "-o", "beginning", "-n", "2", "--format", "json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(valid_json_lines(r.out)) << r.out;
  EXPECT_EQ(without_timestamps(r.out),
            R"({"topic":"orders","partition":0,"offset":0,"timestamp":T,)"
            R"("timestamp_type":"CreateTime","key":"k1","value":"v1","headers":)"
            R"([{"key":"src","value":"cli"},{"key":"n","value":"1"}]})"
            "\n"
            R"({"topic":"orders","partition":0,"offset":1,"timestamp":T,)"
            R"("timestamp_type":"CreateTime","key":"k2","value":"v:2","headers":)"
            R"([{"key":"src","value":"cli"},{"key":"n","value":"1"}]})"
            "\n");
}

TEST_F(FerryAgainstMock, text_output_prints_the_asked_fields_with_the_separator) {
  mock_.create_topic("orders", 1);
  produce_ok("orders", "k\tv\n", {"--parse-key", "-H", "h=x"});
  produce_ok("orders", "no-key\n");
  ProcessResult r =
      ferry({"consume", "orders", "--from-beginning", "-n", "2", "--print-key", "--print-headers",
             "--print-partition", "--print-offset", "--print-timestamp", "--key-separator", "|"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  EXPECT_TRUE(
      std::regex_match(lines[0], std::regex(R"(CreateTime:\d+\|Partition:0\|Offset:0\|h:x\|k\|v)")))
      << lines[0];
  EXPECT_TRUE(std::regex_match(
      lines[1], std::regex(R"(CreateTime:\d+\|Partition:0\|Offset:1\|NO_HEADERS\|null\|no-key)")))
      << lines[1];
}

TEST_F(FerryAgainstMock, fixed_key_goes_on_every_record) {
  mock_.create_topic("orders", 1);
  produce_ok("orders", "a\nb\n", {"-k", "K"});
  ProcessResult r = ferry({"consume", "orders", "--from-beginning", "-n", "2", "--print-key"});
  EXPECT_EQ(r.out, "K\ta\nK\tb\n");
}

TEST_F(FerryAgainstMock, line_without_key_separator_is_reported_and_the_others_are_sent) {
  mock_.create_topic("orders", 1);
  ProcessResult r = ferry({"produce", "orders", "--parse-key"}, "k\tv\nbroken\nk2\tv2\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "ferry: produce: orders: line 2: _BAD_MSG: no key separator found (--parse-key)\n");
  ProcessResult c = ferry({"consume", "orders", "--from-beginning", "-n", "2"});
  EXPECT_EQ(c.out, "v\nv2\n");
}

TEST_F(FerryAgainstMock, count_stops_after_exactly_that_many_records) {
  mock_.create_topic("orders", 1);
  produce_ok("orders", "1\n2\n3\n4\n5\n");
  ProcessResult r = ferry({"consume", "orders", "--from-beginning", "--count", "3"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1\n2\n3\n");
}

TEST_F(FerryAgainstMock, absolute_and_tail_offsets_pick_the_start) {
  mock_.create_topic("orders", 1);
  produce_ok("orders", "r0\nr1\nr2\nr3\nr4\n");
  EXPECT_EQ(ferry({"consume", "orders", "--offset", "3", "-e"}).out, "r3\nr4\n");
  EXPECT_EQ(ferry({"consume", "orders", "--offset", "-2", "-e"}).out, "r3\nr4\n");
  EXPECT_EQ(ferry({"consume", "orders", "--offset", "0", "-n", "1", "--print-offset"}).out,
            "Offset:0\tr0\n");
}

TEST_F(FerryAgainstMock, default_start_is_the_end_so_old_records_are_not_printed) {
  mock_.create_topic("orders", 2);
  produce_ok("orders", "old\n");
  ProcessResult r = ferry({"consume", "orders", "--exit-at-end"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_F(FerryAgainstMock, exit_at_end_reads_every_partition_to_its_end) {
  mock_.create_topic("orders", 3);
  produce_ok("orders", "p0\n", {"--partition", "0"});
  produce_ok("orders", "p2a\np2b\n", {"--partition", "2"});
  ProcessResult r = ferry({"consume", "orders", "--from-beginning", "-e", "--print-partition"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = lines_of(r.out);
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines,
            (std::vector<std::string>{"Partition:0\tp0", "Partition:2\tp2a", "Partition:2\tp2b"}));
}

TEST_F(FerryAgainstMock, partition_flag_reads_only_that_partition) {
  mock_.create_topic("orders", 3);
  produce_ok("orders", "x\n", {"-p", "1"});
  produce_ok("orders", "y\n", {"-p", "2"});
  ProcessResult r = ferry({"consume", "orders", "--from-beginning", "-p", "2", "-e"});
  EXPECT_EQ(r.out, "y\n");
}

TEST_F(FerryAgainstMock, idle_timeout_ends_a_consume_that_gets_nothing) {
  mock_.create_topic("orders", 1);
  ProcessResult r = ferry({"consume", "orders", "--timeout", "1500ms"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_GE(r.elapsed_ms, 1500);
  EXPECT_LT(r.elapsed_ms, kProcessTimeoutMs);
}

TEST_F(FerryAgainstMock, group_consumer_commits_what_it_printed) {
  mock_.create_topic("orders", 1);
  produce_ok("orders", "a\nb\nc\n");
  // The mock coordinator delays the rebalance after a member leaves by the group's session
  // timeout minus 1 s, so a short session timeout keeps the second join quick.
  std::vector<std::string> group = {"-X", "session.timeout.ms=6000", "-g", "g1"};
  std::vector<std::string> args = {"consume", "orders", "--from-beginning", "-n", "2"};
  args.insert(args.end(), group.begin(), group.end());
  ProcessResult first = ferry(args);
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, "a\nb\n");
  args[4] = "1";
  ProcessResult second = ferry(args);
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out, "c\n");
}

TEST_F(FerryAgainstMock, binary_values_stay_valid_json) {
  mock_.create_topic("orders", 1);
  produce_ok("orders", std::string("bin\xff\x01\"q\"\\\n", 10));
  ProcessResult r = ferry({"consume", "orders", "--from-beginning", "-n", "1", "--format=json"});
  EXPECT_TRUE(valid_json_lines(r.out)) << r.out;
  EXPECT_NE(r.out.find(R"("value":"bin)"
                       "\xEF\xBF\xBD"
                       R"(\u0001\"q\"\\")"),
            std::string::npos)
      << r.out;
}

TEST_F(FerryAgainstMock, unknown_topic_fails_with_its_kafka_name) {
  ProcessResult r = ferry({"consume", "nosuch", "-n", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "ferry: consume: nosuch: UNKNOWN_TOPIC_OR_PARTITION: This server does not host this "
            "topic-partition.\n");
}

TEST_F(FerryAgainstMock, missing_partition_fails_and_names_it) {
  mock_.create_topic("orders", 2);
  ProcessResult r = ferry({"consume", "orders", "-p", "5", "-n", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "ferry: consume: orders[5]: UNKNOWN_TOPIC_OR_PARTITION: topic orders has 2 "
            "partition(s)\n");
}

TEST_F(FerryAgainstMock, cluster_info_shows_the_mock_cluster_and_its_brokers) {
  ProcessResult r = ferry({"cluster", "info", "--format", "json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(valid_json_lines(r.out)) << r.out;
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex(R"(^\{"cluster_id":"mockCluster[0-9a-f]+","controller_id":\d+,)"
                        R"("brokers":\[\{"id":1,"host":"127.0.0.1","port":\d+\}\]\}\n$)")))
      << r.out;
  ProcessResult table = ferry({"cluster", "info"});
  EXPECT_NE(table.out.find("CLUSTER\n=======\nID          mockCluster"), std::string::npos)
      << table.out;
}

TEST_F(FerryAgainstMock, topic_list_shows_partitions_and_replicas) {
  mock_.create_topic("beta", 3);
  mock_.create_topic("alpha", 1);
  ProcessResult r = ferry({"topic", "list"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "NAME   PARTITIONS  REPLICAS\n"
            "alpha  1           1\n"
            "beta   3           1\n");
  ProcessResult json = ferry({"topic", "list", "--format", "json"});
  EXPECT_EQ(json.out, R"([{"name":"alpha","partitions":1,"replicas":1,"internal":false},)"
                      R"({"name":"beta","partitions":3,"replicas":1,"internal":false}])"
                      "\n");
}

// Without --brokers the binary finds the brokers in FERRY_BROKERS, then the profile named by
// FERRY_PROFILE, then ~/.config/ferry/profile.
TEST_F(FerryAgainstMock, brokers_come_from_the_environment_or_a_profile_without_the_flag) {
  mock_.create_topic("found", 1);
  ferry::test::TempDir home;
  auto run_without_flag = [&](std::vector<std::string> env) {
    ProcessSpec spec;
    spec.program = FERRY_CLI_BINARY;
    spec.args = {"--timeout", "5s", "topic", "list"};
    spec.env = std::move(env);
    spec.home = home.path().string();
    spec.timeout_ms = kProcessTimeoutMs;
    return run_process(spec);
  };
  ProcessResult from_env = run_without_flag({"FERRY_BROKERS=" + mock_.bootstraps()});
  EXPECT_EQ(from_env.exit_code, 0) << from_env.err;
  EXPECT_NE(from_env.out.find("found"), std::string::npos);

  auto profile = home.path() / "named-profile";
  std::ofstream(profile) << "# test\nbrokers=" << mock_.bootstraps() << "\n";
  ProcessResult from_named = run_without_flag({"FERRY_PROFILE=" + profile.string()});
  EXPECT_EQ(from_named.exit_code, 0) << from_named.err;
  EXPECT_NE(from_named.out.find("found"), std::string::npos);

  std::filesystem::create_directories(home.path() / ".config/ferry");
  std::ofstream(home.path() / ".config/ferry/profile") << "brokers=" << mock_.bootstraps() << "\n";
  ProcessResult from_home = run_without_flag({});
  EXPECT_EQ(from_home.exit_code, 0) << from_home.err;
  EXPECT_NE(from_home.out.find("found"), std::string::npos);

  // The environment wins over the profile: a closed port there fails even though the
  // profile names the mock.
  std::string closed = "127.0.0.1:" + std::to_string(ferry::test::free_port());
  ProcessResult env_wins = run_without_flag({"FERRY_BROKERS=" + closed});
  EXPECT_EQ(env_wins.exit_code, 1);
  EXPECT_NE(env_wins.err.find(closed), std::string::npos) << env_wins.err;
}

// SIGTERM (or Ctrl-C) ends an endless consume cleanly: the consumer closes and exits 0.
TEST_F(FerryAgainstMock, sigterm_stops_an_endless_consume_cleanly) {
  mock_.create_topic("orders", 1);
  produce_ok("orders", "first\n");
  ferry::test::TempDir dir;
  auto log = dir.path() / "consume.out";
  ferry::test::ChildProcess consume(ferry::test::ChildSpec{
      FERRY_CLI_BINARY,
      {"--brokers", mock_.bootstraps(), "consume", "orders", "--from-beginning"},
      {},
      true,
      log});
  ASSERT_TRUE(consume.start());
  // Once the record is printed the consumer is in its loop (signals are watched by then).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::string printed;
  while (printed.find("first\n") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline && consume.running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling the file, bounded
    std::ifstream in(log);
    printed.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_EQ(printed, "first\n");
  auto stop_started = std::chrono::steady_clock::now();
  EXPECT_EQ(consume.terminate(/*timeout_ms=*/10'000), 0) << "exit status after SIGTERM";
  EXPECT_LT(std::chrono::steady_clock::now() - stop_started, std::chrono::seconds(10));
}

// A broker that is down: every command gives a bounded, clear error and exit status 1.
class FerryAgainstNothing : public ::testing::Test {
 protected:
  ProcessResult ferry(std::vector<std::string> args, std::string stdin_data = "") {
    ProcessSpec spec;
    spec.program = FERRY_CLI_BINARY;
    spec.args = {"--brokers", "127.0.0.1:" + std::to_string(ferry::test::free_port()), "--timeout",
                 "1500ms"};
    spec.args.insert(spec.args.end(), args.begin(), args.end());
    spec.stdin_data = std::move(stdin_data);
    spec.timeout_ms = kProcessTimeoutMs;
    return run_process(spec);
  }

  void expect_bounded_failure(std::vector<std::string> args, std::string stdin_data = "") {
    ProcessResult r = ferry(args, stdin_data);
    SCOPED_TRACE(::testing::PrintToString(args));
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_LT(r.elapsed_ms, 10'000) << "1.5 s timeout plus grace";
    EXPECT_TRUE(r.err.starts_with("ferry: " + args[0])) << r.err;
    EXPECT_NE(r.err.find("Connection refused"), std::string::npos) << r.err;
  }
};

TEST_F(FerryAgainstNothing, down_broker_gives_a_bounded_error_for_every_command) {
  expect_bounded_failure({"cluster", "info"});
  expect_bounded_failure({"topic", "list"});
  expect_bounded_failure({"topic", "describe", "a"});
  expect_bounded_failure({"topic", "create", "a"});
  expect_bounded_failure({"topic", "delete", "a"});
  expect_bounded_failure({"topic", "alter-config", "a", "--set", "x=1"});
  expect_bounded_failure({"topic", "add-partitions", "a", "--num", "1"});
  expect_bounded_failure({"produce", "a"}, "x\n");
  expect_bounded_failure({"consume", "a"});
}

}  // namespace
}  // namespace ferry::cli::test
