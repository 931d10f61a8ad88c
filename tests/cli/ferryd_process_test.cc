// Process tests: every admin command of the real `ferry` binary against a real `ferryd`
// (one broker+controller node on free loopback ports with a temporary log dir, shared by the
// tests of this file; each test uses its own topic names).
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <regex>
#include <set>
#include <sstream>

#include "tests/cli/process_runner.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace ferry::cli::test {
namespace {

constexpr int64_t kProcessTimeoutMs = 60'000;
constexpr int64_t kStartTimeoutMs = 60'000;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// One ferryd node. Ports come from ferry::test::free_port(); if ferryd exits at once (a port was
// taken in between) it is started again on new ports, up to three times.
class LocalFerryd {
 public:
  LocalFerryd() {
    for (int attempt = 0; attempt < 3 && !ready_; ++attempt)
      start();
  }

  bool ready() const { return ready_; }
  const std::string& failure() const { return failure_; }
  std::string brokers() const { return "127.0.0.1:" + std::to_string(kafka_port_); }
  std::string controllers() const { return "127.0.0.1:" + std::to_string(controller_port_); }

 private:
  void start() {
    kafka_port_ = ferry::test::free_port();
    controller_port_ = ferry::test::free_port();
    auto log_dir = dir_.path() / ("data-" + std::to_string(kafka_port_));
    log_path_ = dir_.path() / ("ferryd-" + std::to_string(kafka_port_) + ".log");
    ferry::test::ChildSpec spec;
    spec.program = FERRYD_BINARY;
    spec.log = log_path_;
    spec.args = {"--override",
                 "listeners=PLAINTEXT://127.0.0.1:" + std::to_string(kafka_port_) +
                     ",CONTROLLER://127.0.0.1:" + std::to_string(controller_port_),
                 "--override",
                 "controller.quorum.voters=1@" + controllers(),
                 "--override",
                 "log.dirs=" + log_dir.string()};
    process_ = std::make_unique<ferry::test::ChildProcess>(spec);
    if (!process_->start()) {
      failure_ = "cannot spawn " + spec.program;
      return;
    }
    ready_ = wait_until_serving();
    if (!ready_) {
      failure_ = "ferryd did not start; its log:\n" + read_file(log_path_);
      process_.reset();
    }
  }

  // Metadata through kcat (not the binary under test) answers once the broker serves.
  bool wait_until_serving() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kStartTimeoutMs);
    while (std::chrono::steady_clock::now() < deadline) {
      if (!process_->running()) return false;
      ProcessSpec kcat;
      kcat.program = "/usr/bin/kcat";
      kcat.args = {"-L", "-b", brokers(), "-m", "1"};  // -m: metadata timeout, seconds
      kcat.timeout_ms = 10'000;
      ProcessResult r = run_process(kcat);
      if (r.exit_code == 0 && r.out.find("1 brokers") != std::string::npos) return true;
    }
    return false;
  }

  ferry::test::TempDir dir_;
  int kafka_port_ = 0;
  int controller_port_ = 0;
  std::filesystem::path log_path_;
  std::unique_ptr<ferry::test::ChildProcess> process_;
  bool ready_ = false;
  std::string failure_;
};

class FerryAgainstFerryd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { node_ = new LocalFerryd(); }
  static void TearDownTestSuite() {
    delete node_;
    node_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(node_->ready()) << node_->failure(); }

  ProcessResult ferry(std::vector<std::string> args, std::string stdin_data = "") {
    ProcessSpec spec;
    spec.program = FERRY_CLI_BINARY;
    spec.args = {"--brokers", node_->brokers(), "--timeout", "15s"};
    spec.args.insert(spec.args.end(), args.begin(), args.end());
    spec.stdin_data = std::move(stdin_data);
    spec.timeout_ms = kProcessTimeoutMs;
    ProcessResult result = run_process(spec);
    EXPECT_FALSE(result.timed_out) << "ferry did not finish: " << result.err;
    return result;
  }

  void ok(std::vector<std::string> args, std::string stdin_data = "") {
    ProcessResult r = ferry(args, stdin_data);
    EXPECT_EQ(r.exit_code, 0) << ::testing::PrintToString(args) << "\n" << r.err;
    EXPECT_EQ(r.err, "") << ::testing::PrintToString(args);
  }

  // A config's value and source in `topic describe` table output, e.g. "1000  DYNAMIC_...".
  std::string config_line(const std::string& topic, const std::string& key) {
    ProcessResult r = ferry({"topic", "describe", topic});
    std::smatch match;
    std::regex line("\\n" + key + " +([^ ]+) +([A-Z_]+)\\n");
    if (!std::regex_search(r.out, match, line)) return "missing in:\n" + r.out;
    return match[1].str() + " " + match[2].str();
  }

  std::string topic_list() { return ferry({"topic", "list"}).out; }

  static LocalFerryd* node_;
};

LocalFerryd* FerryAgainstFerryd::node_ = nullptr;

TEST_F(FerryAgainstFerryd, create_makes_the_topic_with_its_partitions_and_configs) {
  ProcessResult r =
      ferry({"topic", "create", "created", "-p", "3", "-r", "1", "-c", "retention.ms=100000"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "TOPIC    STATUS\ncreated  OK\n");
  EXPECT_NE(topic_list().find("\ncreated  3           1\n"), std::string::npos) << topic_list();
  EXPECT_EQ(config_line("created", "retention.ms"), "100000 DYNAMIC_TOPIC_CONFIG");
  EXPECT_EQ(config_line("created", "cleanup.policy"), "delete DEFAULT_CONFIG");
}

TEST_F(FerryAgainstFerryd, creating_an_existing_topic_fails_with_topic_already_exists) {
  ok({"topic", "create", "exists"});
  ProcessResult r = ferry({"topic", "create", "exists", "fresh"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "ferry: topic create: exists: TOPIC_ALREADY_EXISTS: Topic 'exists' already exists.\n");
  EXPECT_NE(r.out.find("fresh   OK"), std::string::npos) << r.out;
  EXPECT_NE(topic_list().find("\nfresh "), std::string::npos);
}

TEST_F(FerryAgainstFerryd, create_with_a_bad_config_fails_with_invalid_config) {
  ProcessResult r = ferry({"topic", "create", "badconf", "-c", "retention.ms=soon"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.err.starts_with("ferry: topic create: badconf: INVALID_CONFIG: ")) << r.err;
  EXPECT_EQ(topic_list().find("badconf"), std::string::npos);
}

TEST_F(FerryAgainstFerryd, create_with_more_replicas_than_brokers_fails) {
  ProcessResult r = ferry({"topic", "create", "toowide", "-r", "3"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.err.starts_with("ferry: topic create: toowide: INVALID_REPLICATION_FACTOR: "))
      << r.err;
}

TEST_F(FerryAgainstFerryd, dry_run_create_validates_without_creating) {
  ProcessResult r = ferry({"topic", "create", "dry", "--dry-run"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(topic_list().find("dry"), std::string::npos);
  ProcessResult bad = ferry({"topic", "create", "dry", "--dry-run", "-c", "nonsense.key=1"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_TRUE(bad.err.starts_with("ferry: topic create: dry: INVALID_CONFIG: ")) << bad.err;
}

TEST_F(FerryAgainstFerryd, list_and_describe_give_valid_json) {
  ok({"topic", "create", "jsonish", "-p", "2"});
  ProcessResult list = ferry({"topic", "list", "--format", "json"});
  EXPECT_TRUE(valid_json_lines(list.out)) << list.out;
  EXPECT_NE(list.out.find(R"({"name":"jsonish","partitions":2,"replicas":1,"internal":false})"),
            std::string::npos)
      << list.out;
  ProcessResult describe = ferry({"topic", "describe", "jsonish", "--format", "json"});
  EXPECT_EQ(describe.exit_code, 0) << describe.err;
  EXPECT_TRUE(valid_json_lines(describe.out)) << describe.out;
  EXPECT_NE(describe.out.find(R"("partitions":[{"partition":0,"leader":1,"leader_epoch":0,)"
                              R"("replicas":[1],"isr":[1],"under_replicated":false,)"
                              R"("under_min_isr":false,"offline":false,"log_start_offset":0,)"
                              R"("high_watermark":0,"error":null})"),
            std::string::npos)
      << describe.out;
}

TEST_F(FerryAgainstFerryd, describe_shows_high_watermarks_after_producing) {
  ok({"topic", "create", "marks", "-p", "1"});
  ok({"produce", "marks"}, "a\nb\nc\n");
  ProcessResult r = ferry({"topic", "describe", "marks"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // PARTITION LEADER EPOCH REPLICAS ISR LOG-START-OFFSET HIGH-WATERMARK STATUS
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\n0 +1 +0 +1 +1 +0 +3 +OK\n)"))) << r.out;
}

TEST_F(FerryAgainstFerryd, describe_of_an_unknown_topic_fails_but_still_describes_the_others) {
  ok({"topic", "create", "known"});
  ProcessResult r = ferry({"topic", "describe", "known", "unknown"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "ferry: topic describe: unknown: UNKNOWN_TOPIC_OR_PARTITION: This server does not "
            "host this topic-partition.\n");
  EXPECT_NE(r.out.find("NAME        known\nPARTITIONS"), std::string::npos) << r.out;
}

TEST_F(FerryAgainstFerryd, delete_removes_topics_and_reports_unknown_ones) {
  ok({"topic", "create", "doomed"});
  ProcessResult r = ferry({"topic", "delete", "doomed", "never-was"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.err.starts_with("ferry: topic delete: never-was: UNKNOWN_TOPIC_OR_PARTITION: "))
      << r.err;
  EXPECT_NE(r.out.find("doomed     OK"), std::string::npos) << r.out;
  EXPECT_EQ(topic_list().find("doomed"), std::string::npos);
}

TEST_F(FerryAgainstFerryd, alter_config_merges_with_the_other_dynamic_configs) {
  ok({"topic", "create", "tuned", "-c", "retention.ms=100000", "-c", "segment.ms=50000"});
  ProcessResult r = ferry({"topic", "alter-config", "tuned", "--set", "max.message.bytes=2000",
                           "--delete", "retention.ms", "--format", "json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, R"([{"topic":"tuned","dynamic_configs":{"max.message.bytes":"2000",)"
                   R"("segment.ms":"50000"},"error":null}])"
                   "\n");
  EXPECT_EQ(config_line("tuned", "segment.ms"), "50000 DYNAMIC_TOPIC_CONFIG");  // kept
  EXPECT_EQ(config_line("tuned", "max.message.bytes"), "2000 DYNAMIC_TOPIC_CONFIG");
  EXPECT_EQ(config_line("tuned", "retention.ms"), "604800000 DEFAULT_CONFIG");
}

TEST_F(FerryAgainstFerryd, alter_config_dry_run_changes_nothing) {
  ok({"topic", "create", "steady", "-c", "retention.ms=100000"});
  ok({"topic", "alter-config", "steady", "--set", "retention.ms=5", "--dry-run"});
  EXPECT_EQ(config_line("steady", "retention.ms"), "100000 DYNAMIC_TOPIC_CONFIG");
}

TEST_F(FerryAgainstFerryd, alter_config_with_a_bad_value_fails_with_invalid_config) {
  ok({"topic", "create", "strict"});
  ProcessResult r = ferry({"topic", "alter-config", "strict", "--set", "retention.ms=abc"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.err.starts_with("ferry: topic alter-config: strict: INVALID_CONFIG: ")) << r.err;
  ProcessResult unknown = ferry({"topic", "alter-config", "strict", "--set", "no.such=1"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_TRUE(unknown.err.starts_with("ferry: topic alter-config: strict: INVALID_CONFIG: "))
      << unknown.err;
}

TEST_F(FerryAgainstFerryd, alter_config_of_an_unknown_topic_fails) {
  ProcessResult r = ferry({"topic", "alter-config", "ghost", "--set", "retention.ms=1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.err.starts_with("ferry: topic alter-config: ghost: UNKNOWN_TOPIC_OR_PARTITION: "))
      << r.err;
}

TEST_F(FerryAgainstFerryd, add_partitions_adds_to_the_current_count) {
  ok({"topic", "create", "growing", "-p", "2"});
  ProcessResult r = ferry({"topic", "add-partitions", "growing", "--num", "3"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "TOPIC    PARTITIONS  STATUS\ngrowing  5           OK\n");
  EXPECT_NE(topic_list().find("\ngrowing  5 "), std::string::npos) << topic_list();
  ok({"topic", "add-partitions", "growing", "--num", "1", "--dry-run"});
  EXPECT_NE(topic_list().find("\ngrowing  5 "), std::string::npos) << topic_list();
}

TEST_F(FerryAgainstFerryd, add_partitions_to_an_unknown_topic_fails) {
  ProcessResult r = ferry({"topic", "add-partitions", "nowhere", "--num", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "ferry: topic add-partitions: nowhere: UNKNOWN_TOPIC_OR_PARTITION: This server does "
            "not host this topic-partition.\n");
}

TEST_F(FerryAgainstFerryd, produce_and_consume_round_trip_with_compression) {
  ok({"topic", "create", "roundtrip", "-p", "1"});
  ok({"produce", "roundtrip", "--parse-key", "-z", "gzip", "--acks", "all", "-H", "h=1"},
     "k1\tv1\nk2\tv2\n");
  ProcessResult r = ferry({"consume", "roundtrip", "--from-beginning", "-e", "--print-key",
                           "--print-headers", "--print-offset"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Offset:0\th:1\tk1\tv1\nOffset:1\th:1\tk2\tv2\n");
}

TEST_F(FerryAgainstFerryd, group_commands_show_move_and_delete_a_consumers_offsets) {
  ok({"topic", "create", "grouped", "-p", "2"});
  ok({"produce", "grouped", "-p", "0"}, "a\nb\nc\n");
  ok({"produce", "grouped", "-p", "1"}, "d\n");
  ProcessResult r = ferry({"consume", "grouped", "-g", "readers", "--from-beginning", "-n", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = ferry({"group", "list", "--format", "json"});
  EXPECT_NE(r.out.find(R"({"group":"readers","state":"Empty","simple":false})"), std::string::npos)
      << r.out;
  auto describe = [&] { return ferry({"group", "describe", "readers", "--format", "json"}).out; };
  std::string d = describe();
  EXPECT_NE(d.find(R"("total_lag":0)"), std::string::npos) << d;
  EXPECT_NE(d.find(R"("partition":0,"committed_offset":3,"log_end_offset":3,"lag":0)"),
            std::string::npos)
      << d;
  // Without --execute nothing moves.
  r = ferry({"group", "seek", "readers", "--topic", "grouped:0", "--to", "earliest"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("dry run"), std::string::npos) << r.out;
  EXPECT_NE(describe().find(R"("total_lag":0)"), std::string::npos);
  ok({"group", "seek", "readers", "--topic", "grouped", "--shift-by", "-1", "--execute"});
  d = describe();
  EXPECT_NE(d.find(R"("total_lag":2)"), std::string::npos) << d;
  EXPECT_NE(d.find(R"("partition":0,"committed_offset":2,"log_end_offset":3,"lag":1)"),
            std::string::npos)
      << d;
  // The group resumes where the seek put it.
  r = ferry({"consume", "grouped", "-g", "readers", "-n", "2"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("c\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("d\n"), std::string::npos) << r.out;
  // Bad input: a precise error and a non-zero exit.
  r = ferry({"group", "seek", "readers", "--topic", "grouped"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("give exactly one of --to"), std::string::npos) << r.err;
  r = ferry({"group", "seek", "readers", "--topic", "nosuch", "--to", "earliest"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("UNKNOWN_TOPIC_OR_PARTITION"), std::string::npos) << r.err;
  ok({"group", "delete", "readers"});
  EXPECT_EQ(ferry({"group", "list"}).out.find("readers"), std::string::npos);
  r = ferry({"group", "delete", "readers"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("GROUP_ID_NOT_FOUND"), std::string::npos) << r.err;
}

TEST_F(FerryAgainstFerryd, cluster_info_names_the_node_as_controller_and_broker) {
  ProcessResult r = ferry({"cluster", "info", "--format", "json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string port = node_->brokers().substr(node_->brokers().find(':') + 1);
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex(R"(^\{"cluster_id":"[^"]+","controller_id":1,"brokers":\[\{"id":1,)"
                        R"("host":"127.0.0.1","port":)" +
                        port + R"(\}\]\}\n$)")))
      << r.out;
}

TEST_F(FerryAgainstFerryd, cluster_quorum_shows_the_single_voter_as_leader) {
  ProcessResult r = ferry({"cluster", "quorum", "--controllers", node_->controllers()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("LeaderId              1\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CurrentVoters         [1]\n"), std::string::npos) << r.out;
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex("\\n1 +" + node_->controllers() + " +\\d+ +0 +.* Leader\\n")))
      << r.out;
  ProcessResult json = ferry({"cluster", "quorum", "--status", "--format", "json", "--controllers",
                              "1@" + node_->controllers()});
  EXPECT_TRUE(valid_json_lines(json.out)) << json.out;
  EXPECT_NE(json.out.find(R"("leader_id":1,)"), std::string::npos) << json.out;
  EXPECT_EQ(json.out.find("voters"), std::string::npos) << "--status leaves out replication";
}

TEST_F(FerryAgainstFerryd,
       cluster_quorum_falls_back_to_the_next_controller_and_fails_bounded_when_none_answers) {
  std::string dead = "127.0.0.1:" + std::to_string(ferry::test::free_port());
  ProcessResult fallback =
      ferry({"cluster", "quorum", "--controllers", dead + "," + node_->controllers()});
  EXPECT_EQ(fallback.exit_code, 0) << fallback.err;
  ProcessSpec spec;
  spec.program = FERRY_CLI_BINARY;
  spec.args = {"--timeout", "1500ms", "cluster", "quorum", "--controllers", dead};
  spec.timeout_ms = kProcessTimeoutMs;
  ProcessResult r = run_process(spec);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_LT(r.elapsed_ms, 10'000);
  EXPECT_TRUE(r.err.starts_with("ferry: cluster quorum: " + dead + ": ")) << r.err;
}

// A second ferryd, broker only (node 2), joining the quorum of a LocalFerryd: two brokers.
class TwoBrokers : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(node_.ready()) << node_.failure();
    port_ = ferry::test::free_port();
    ferry::test::ChildSpec spec;
    spec.program = FERRYD_BINARY;
    spec.log = dir_.path() / "broker-2.log";
    spec.args = {"--override", "node.id=2",
                 "--override", "process.roles=broker",
                 "--override", "listeners=PLAINTEXT://127.0.0.1:" + std::to_string(port_),
                 "--override", "controller.quorum.voters=1@" + node_.controllers(),
                 "--override", "log.dirs=" + (dir_.path() / "data-2").string()};
    broker2_ = std::make_unique<ferry::test::ChildProcess>(spec);
    ASSERT_TRUE(broker2_->start());
    ASSERT_TRUE(ferry::test::eventually(
        [&] {
          ProcessResult r = ferry({"cluster", "info", "--format", "json"});
          return r.exit_code == 0 && r.out.find(R"("id":2,)") != std::string::npos;
        },
        kStartTimeoutMs, 100))
        << "broker 2 did not join; its log:\n"
        << read_file(spec.log);
  }

  std::string brokers() const { return node_.brokers() + ",127.0.0.1:" + std::to_string(port_); }
  ProcessResult ferry(std::vector<std::string> args, std::string stdin_data = "") {
    ProcessSpec spec;
    spec.program = FERRY_CLI_BINARY;
    spec.args = {"--brokers", brokers(), "--timeout", "15s"};
    spec.args.insert(spec.args.end(), args.begin(), args.end());
    spec.stdin_data = std::move(stdin_data);
    spec.timeout_ms = kProcessTimeoutMs;
    return run_process(spec);
  }

  LocalFerryd node_;
  ferry::test::TempDir dir_;
  int port_ = 0;
  std::unique_ptr<ferry::test::ChildProcess> broker2_;
};

// A factor the two brokers can place replicates (a pure broker follows the combined node's
// partitions and the other way round); one they cannot place gets Kafka's message.
TEST_F(TwoBrokers, replication_factor_two_replicates_over_both_brokers_and_three_is_refused) {
  ProcessResult wide =
      ferry({"topic", "create", "wide", "-p", "2", "-r", "2", "-c", "min.insync.replicas=2"});
  ASSERT_EQ(wide.exit_code, 0) << wide.err;
  ProcessResult to_wide = ferry({"produce", "wide", "--acks", "all"}, "a\nb\nc\nd\n");
  ASSERT_EQ(to_wide.exit_code, 0) << to_wide.err;
  ProcessResult from_wide = ferry({"consume", "wide", "--from-beginning", "-e"});
  ASSERT_EQ(from_wide.exit_code, 0) << from_wide.err;
  std::multiset<std::string> got;
  std::istringstream wide_lines(from_wide.out);
  for (std::string line; std::getline(wide_lines, line);)
    got.insert(line);
  EXPECT_EQ(got, (std::multiset<std::string>{"a", "b", "c", "d"}))
      << "acks=all with min.insync.replicas=2 needs both replicas";
  ProcessResult wide_described = ferry({"topic", "describe", "wide", "--format", "json"});
  const std::regex two_in_sync(R"re("isr":\[(1,2|2,1)\])re");
  EXPECT_EQ(std::distance(std::sregex_iterator(wide_described.out.begin(), wide_described.out.end(),
                                               two_in_sync),
                          std::sregex_iterator()),
            2)
      << "both partitions list both replicas in sync: " << wide_described.out;
  ProcessResult wider = ferry({"topic", "create", "wider", "-r", "3"});
  EXPECT_EQ(wider.exit_code, 1);
  EXPECT_NE(wider.err.find("because only 2 broker(s) are registered"), std::string::npos)
      << wider.err;

  // Factor 1: partitions are placed on both brokers, and records produced through the
  // bootstrap list reach each leader and come back.
  ProcessResult created = ferry({"topic", "create", "spread", "-p", "4", "-r", "1"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  ProcessResult described = ferry({"topic", "describe", "spread", "--format", "json"});
  ASSERT_EQ(described.exit_code, 0) << described.err;
  EXPECT_NE(described.out.find(R"("leader":1)"), std::string::npos) << described.out;
  EXPECT_NE(described.out.find(R"("leader":2)"), std::string::npos) << described.out;
  std::string input;
  std::multiset<std::string> sent;
  for (int i = 0; i < 40; ++i) {
    input += "k" + std::to_string(i) + "\tv" + std::to_string(i) + "\n";
    sent.insert("v" + std::to_string(i));
  }
  ProcessResult produced = ferry({"produce", "spread", "--parse-key", "--acks", "all"}, input);
  ASSERT_EQ(produced.exit_code, 0) << produced.err;
  ProcessResult consumed = ferry({"consume", "spread", "--from-beginning", "-e"});
  ASSERT_EQ(consumed.exit_code, 0) << consumed.err;
  std::multiset<std::string> received;
  std::istringstream lines(consumed.out);
  for (std::string line; std::getline(lines, line);)
    received.insert(line);
  EXPECT_EQ(received, sent);
}

}  // namespace
}  // namespace ferry::cli::test
