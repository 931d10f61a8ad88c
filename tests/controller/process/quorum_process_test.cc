// Process-level tests of the controller quorum: three `ferryd` processes with
// process.roles=controller on 127.0.0.1, killed with SIGKILL and restarted; fake brokers are
// QuorumClients (the broker-side gRPC client) in this test process.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "common/random.h"
#include "controller/grpc/metadata_follower.h"
#include "controller/server.h"
#include "tests/controller/process/ferryd_cluster.h"
#include "tests/support/listening_socket.h"
#include "tests/support/temp_dir.h"

namespace ferry {
inline void PrintTo(ErrorCode code, std::ostream* os) {
  *os << error_name(code);
}
}  // namespace ferry

namespace ferry::controller::test {
namespace {

constexpr int64_t kElectionTimeoutMs = 500;

template <typename T>
T await(const std::function<void(std::function<void(T)>)>& start, int64_t timeout_ms = 60000) {
  auto promise = std::make_shared<std::promise<T>>();
  auto future = promise->get_future();
  start([promise](T value) { promise->set_value(std::move(value)); });
  if (future.wait_for(std::chrono::milliseconds(timeout_ms)) != std::future_status::ready) {
    std::abort();  // a ControllerApi callback must always come; the api bounds its own waits
  }
  return future.get();
}

// A broker as the controller sees it: a QuorumClient that registers and heartbeats. Its
// registered endpoint is a socket that listens (a live process) unless `listening` is false
// (a port where nothing listens: what a killed broker leaves; the controller's liveness probe
// fences it as soon as it falls quiet).
class FakeBroker {
 public:
  FakeBroker(const ControllerProcessCluster& cluster, int id, bool listening = true)
      : id_(id), port_(free_port()) {
    if (listening) {
      listener_.emplace();
      port_ = listener_->port();
    }
    auto client = QuorumClient::connect(cluster.broker_config(id));
    EXPECT_TRUE(client.ok());
    client_ = std::move(client).value();
  }
  ~FakeBroker() {
    stop_heartbeats();
    client_->shutdown();
  }
  ControllerApi& api() { return client_->api(); }
  MetadataSource& metadata() { return client_->metadata(); }

  // Registers and heartbeats until unfenced; then keeps heartbeating every 100 ms.
  void start() {
    BrokerRegistrationRequest r;
    r.broker_id = NodeId(id_);
    SeededRandom random(seed_from_env() + static_cast<uint64_t>(id_));
    r.incarnation_id = Uuid::random(random);
    r.endpoints = {metadata::Endpoint{"PLAINTEXT", "127.0.0.1", port_}};
    auto reply = await<BrokerRegistrationReply>([&](auto cb) { api().register_broker(r, cb); });
    ASSERT_EQ(reply.error, ErrorCode::NONE) << reply.message;
    epoch_ = reply.broker_epoch;
    ASSERT_TRUE(eventually([&] { return heartbeat().is_fenced == false; }, 20000));
    heart_ = std::thread([this] {
      std::unique_lock lock(mutex_);
      while (!stop_) {
        lock.unlock();
        (void)heartbeat();
        lock.lock();
        wake_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stop_; });
      }
    });
  }
  void stop_heartbeats() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    if (heart_.joinable()) heart_.join();
  }
  BrokerHeartbeatReply heartbeat() {
    BrokerHeartbeatRequest hb;
    hb.broker_id = NodeId(id_);
    hb.broker_epoch = epoch_;
    hb.current_metadata_offset = metadata().image()->offset;
    return await<BrokerHeartbeatReply>([&](auto cb) { api().broker_heartbeat(hb, cb); });
  }
  // Connections (liveness probes) accepted on the endpoint since the last call.
  int accept_probes() { return listener_ ? listener_->accept_pending() : 0; }

 private:
  int id_;
  std::optional<ferry::test::ListeningSocket> listener_;
  int port_;
  BrokerEpoch epoch_{-1};
  std::unique_ptr<QuorumClient> client_;
  std::thread heart_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
};

class QuorumProcessTest : public ::testing::Test {
 protected:
  void start_cluster(std::map<std::string, std::string> extra = {}) {
    extra.emplace("controller.quorum.election.timeout.ms", std::to_string(kElectionTimeoutMs));
    extra.emplace("controller.quorum.heartbeat.interval.ms", "50");
    extra.emplace("log.level", "info");
    cluster_ = std::make_unique<ControllerProcessCluster>(3, dir_.path(), extra);
    ASSERT_TRUE(cluster_->start_all());
    ASSERT_GT(cluster_->wait_for_leader(30000), 0) << cluster_->log_tails();
  }
  void TearDown() override {
    if (HasFailure() && cluster_) std::cerr << cluster_->log_tails(40);
  }

  CreateTopicResult create(ControllerApi& api, const std::string& name, int32_t partitions = 1) {
    CreateTopicSpec spec;
    spec.name = name;
    spec.num_partitions = partitions;
    spec.replication_factor = 1;
    return await<std::vector<CreateTopicResult>>(
               [&](auto cb) { api.create_topics({spec}, false, cb); })
        .at(0);
  }

  ferry::test::TempDir dir_;
  std::unique_ptr<ControllerProcessCluster> cluster_;
};

TEST_F(QuorumProcessTest, three_controller_processes_elect_one_leader) {
  start_cluster();
  auto d = cluster_->describe();
  ASSERT_TRUE(d.ok()) << d.error().to_string();
  EXPECT_EQ(d->voters.size(), 3u);
  EXPECT_EQ(d->voters[0].id, d->leader_id);
  ASSERT_TRUE(eventually([&] { return !cluster_->describe()->cluster_id.empty(); }, 10000));
}

TEST_F(QuorumProcessTest, killing_the_leader_while_creating_topics_keeps_every_acknowledged_topic) {
  start_cluster();
  FakeBroker broker(*cluster_, 101);
  ASSERT_NO_FATAL_FAILURE(broker.start());

  std::mutex mutex;
  std::set<std::string> acknowledged;
  LogIndex highest{0};
  std::atomic<bool> writing{true};
  std::atomic<int> acks{0};
  std::thread writer([&] {
    for (int i = 0; writing; ++i) {
      const std::string name = "topic-" + std::to_string(i);
      auto r = create(broker.api(), name);
      // A create retried after a lost answer may find its own topic: it exists either way.
      if (r.error == ErrorCode::NONE || r.error == ErrorCode::TOPIC_ALREADY_EXISTS) {
        std::lock_guard lock(mutex);
        acknowledged.insert(name);
        highest = std::max(highest, r.committed_offset);
        ++acks;
      }
    }
  });
  ASSERT_TRUE(eventually([&] { return acks >= 30; }, 30000));
  const int old_leader = cluster_->describe()->leader_id.value();
  const int acks_before = acks;
  const auto killed_at = std::chrono::steady_clock::now();
  cluster_->kill9(old_leader);
  // Asked at once, as `ferry cluster quorum` is during a failover: the survivors still name the
  // dead leader until they elect another, and the answer must wait for that, not fail.
  auto right_after = cluster_->describe(20000);
  ASSERT_TRUE(right_after.ok()) << right_after.error().to_string();
  EXPECT_NE(right_after->leader_id, NodeId(old_leader));
  const int new_leader =
      cluster_->wait_for_leader(20000, [&](int leader) { return leader != old_leader; });
  const auto elected_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - killed_at)
                              .count();
  ASSERT_GT(new_leader, 0);
  const bool wrote_after = eventually([&] { return acks >= acks_before + 30; }, 30000);
  writing = false;
  writer.join();
  ASSERT_TRUE(wrote_after);
  std::cerr << "leader " << old_leader << " killed; node " << new_leader << " leads after "
            << elected_ms << " ms (election timeout " << kElectionTimeoutMs << " ms)\n";
  // How fast is measured by bench/controller_bench (p50/p99 over many trials), not asserted here.

  ASSERT_TRUE(eventually([&] { return broker.metadata().image()->offset >= highest; }, 20000));
  const auto image = broker.metadata().image();
  for (const auto& name : acknowledged)
    EXPECT_NE(image->topic(name), nullptr) << name;

  // The killed voter comes back and catches up with the new leader.
  ASSERT_TRUE(cluster_->start(old_leader));
  ASSERT_TRUE(eventually(
      [&] {
        auto d = cluster_->describe();
        if (!d.ok()) return false;
        for (const auto& v : d->voters) {
          if (v.id == NodeId(old_leader)) return v.log_end_offset >= highest.value();
        }
        return false;
      },
      20000));
}

TEST_F(QuorumProcessTest, restarting_all_three_controllers_restores_the_same_state) {
  start_cluster();
  metadata::MetadataImagePtr before;
  {
    FakeBroker broker(*cluster_, 101);
    ASSERT_NO_FATAL_FAILURE(broker.start());
    LogIndex last{0};
    for (int i = 0; i < 20; ++i) {
      auto r = create(broker.api(), "keep-" + std::to_string(i), 1 + i % 3);
      ASSERT_EQ(r.error, ErrorCode::NONE) << r.message;
      last = r.committed_offset;
    }
    AlterConfigsSpec cfg;
    cfg.name = "keep-0";
    cfg.changes = {{"retention.ms", ConfigOp::kSet, "12345"}};
    auto altered = await<std::vector<AlterConfigsResult>>(
        [&](auto cb) { broker.api().alter_configs({cfg}, false, cb); });
    ASSERT_EQ(altered[0].error, ErrorCode::NONE) << altered[0].message;
    ASSERT_TRUE(eventually(
        [&] { return broker.metadata().image()->offset >= altered[0].committed_offset; }, 20000));
    before = broker.metadata().image();
  }
  for (int id = 1; id <= 3; ++id)
    cluster_->kill9(id);
  ASSERT_TRUE(cluster_->start_all());
  ASSERT_GT(cluster_->wait_for_leader(30000), 0);
  MetadataFollower follower(*parse_voters(cluster_->voter_entries()));
  follower.start();
  ASSERT_TRUE(eventually([&] { return follower.image()->offset > before->offset; }, 20000));
  const auto after = follower.image();
  EXPECT_EQ(after->cluster_id, before->cluster_id);
  EXPECT_EQ(after->topic_ids, before->topic_ids);
  for (const auto& [id, topic] : before->topics)
    EXPECT_EQ(*after->topic(id), *topic);
  EXPECT_EQ(after->topic("keep-0")->configs.at("retention.ms"), "12345");
  ASSERT_NE(after->broker(NodeId(101)), nullptr);
  EXPECT_EQ(after->broker(NodeId(101))->epoch, before->broker(NodeId(101))->epoch);
  follower.stop();
}

TEST_F(QuorumProcessTest, a_voter_restarted_with_an_empty_directory_catches_up_from_a_snapshot) {
  start_cluster({{"metadata.log.max.record.bytes.between.snapshots", "2048"},
                 {"metadata.log.snapshot.retain.entries", "10"}});
  FakeBroker broker(*cluster_, 101);
  ASSERT_NO_FATAL_FAILURE(broker.start());
  LogIndex last{0};
  for (int i = 0; i < 60; ++i) {
    auto r = create(broker.api(), "snapshotted-topic-" + std::to_string(i));
    ASSERT_EQ(r.error, ErrorCode::NONE) << r.message;
    last = r.committed_offset;
  }
  auto d = cluster_->describe();
  ASSERT_TRUE(d.ok());
  ASSERT_GT(d->log_start_offset, 1) << "the leader should have compacted its log";
  const int victim = d->leader_id == NodeId(3) ? 2 : 3;
  cluster_->kill9(victim);
  cluster_->wipe(victim);
  ASSERT_TRUE(cluster_->start(victim));

  MetadataFollower from_victim({VoterAddress{NodeId(victim), "127.0.0.1", cluster_->port(victim)}});
  from_victim.start();
  ASSERT_TRUE(eventually([&] { return from_victim.image()->offset >= last; }, 30000));
  const auto image = from_victim.image();
  EXPECT_EQ(image->topics.size(), 60u);
  EXPECT_EQ(image->topic_ids, broker.metadata().image()->topic_ids);
  from_victim.stop();
  std::ifstream log(dir_.path() / ("node-" + std::to_string(victim) + ".log"));
  std::stringstream text;
  text << log.rdbuf();
  // Caught up from the leader's snapshot: copied at start (the bootstrap of an empty voter), or
  // sent by the leader over Raft.
  const bool from_snapshot =
      text.str().find("reloaded the metadata state from snapshot") != std::string::npos ||
      text.str().find("installed snapshot") != std::string::npos;
  EXPECT_TRUE(from_snapshot) << text.str();
}

TEST_F(QuorumProcessTest,
       fake_brokers_that_stop_heartbeating_are_fenced_and_their_leaderships_move) {
  start_cluster({{"broker.session.timeout.ms", "1500"}});
  FakeBroker b1(*cluster_, 101);
  FakeBroker b2(*cluster_, 102);
  ASSERT_NO_FATAL_FAILURE(b1.start());
  ASSERT_NO_FATAL_FAILURE(b2.start());
  CreateTopicSpec spec;
  spec.name = "moved";
  spec.assignments = {{0, {NodeId(101), NodeId(102)}}, {1, {NodeId(102), NodeId(101)}}};
  auto r = await<std::vector<CreateTopicResult>>(
      [&](auto cb) { b2.api().create_topics({spec}, false, cb); });
  ASSERT_EQ(r[0].error, ErrorCode::NONE) << r[0].message;
  ASSERT_TRUE(
      eventually([&] { return b2.metadata().image()->offset >= r[0].committed_offset; }, 20000));
  ASSERT_EQ(b2.metadata().image()->topic("moved")->partitions[0].leader, NodeId(101));

  b1.stop_heartbeats();
  ASSERT_TRUE(eventually(
      [&] {
        const auto image = b2.metadata().image();
        return image->broker(NodeId(101))->fenced &&
               image->topic("moved")->partitions[0].leader == NodeId(102);
      },
      15000));
  const auto image = b2.metadata().image();
  const auto& p0 = image->topic("moved")->partitions[0];
  const auto& p1 = image->topic("moved")->partitions[1];
  EXPECT_EQ(p0.isr, std::vector<NodeId>{NodeId(102)});
  EXPECT_EQ(p0.leader_epoch, LeaderEpoch(1));
  EXPECT_EQ(p1.leader, NodeId(102));
  EXPECT_EQ(p1.leader_epoch, LeaderEpoch(0));
  EXPECT_EQ(p1.isr, std::vector<NodeId>{NodeId(102)});
  EXPECT_FALSE(image->broker(NodeId(102))->fenced);
}

// Leader of partition 0 of a new topic `name` on brokers {leader, other}; waits until `via`
// sees it.
void create_led_by(FakeBroker& via, const std::string& name, int leader, int other) {
  CreateTopicSpec spec;
  spec.name = name;
  spec.assignments = {{0, {NodeId(leader), NodeId(other)}}};
  auto r = await<std::vector<CreateTopicResult>>(
      [&](auto cb) { via.api().create_topics({spec}, false, cb); });
  ASSERT_EQ(r[0].error, ErrorCode::NONE) << r[0].message;
  ASSERT_TRUE(
      eventually([&] { return via.metadata().image()->offset >= r[0].committed_offset; }, 20000));
  ASSERT_EQ(via.metadata().image()->topic(name)->partitions[0].leader, NodeId(leader));
}

// The session is ten minutes: only the liveness probe can fence within the test's bound.
TEST_F(QuorumProcessTest, a_quiet_broker_whose_endpoint_refuses_connections_is_fenced_at_once) {
  start_cluster(
      {{"broker.session.timeout.ms", "600000"}, {"broker.liveness.probe.after.ms", "300"}});
  FakeBroker gone(*cluster_, 101, /*listening=*/false);
  FakeBroker live(*cluster_, 102);
  ASSERT_NO_FATAL_FAILURE(gone.start());
  ASSERT_NO_FATAL_FAILURE(live.start());
  ASSERT_NO_FATAL_FAILURE(create_led_by(live, "probed", 101, 102));

  gone.stop_heartbeats();
  ASSERT_TRUE(eventually(
      [&] {
        const auto image = live.metadata().image();
        return image->broker(NodeId(101))->fenced &&
               image->topic("probed")->partitions[0].leader == NodeId(102);
      },
      20000))
      << cluster_->log_tails();
  EXPECT_FALSE(live.metadata().image()->broker(NodeId(102))->fenced);
}

TEST_F(QuorumProcessTest, a_quiet_broker_that_still_listens_keeps_its_session) {
  start_cluster(
      {{"broker.session.timeout.ms", "600000"}, {"broker.liveness.probe.after.ms", "300"}});
  FakeBroker stalled(*cluster_, 101);  // listening, like a SIGSTOPped or partitioned broker
  FakeBroker live(*cluster_, 102);
  ASSERT_NO_FATAL_FAILURE(stalled.start());
  ASSERT_NO_FATAL_FAILURE(live.start());
  ASSERT_NO_FATAL_FAILURE(create_led_by(live, "kept", 101, 102));

  stalled.stop_heartbeats();
  int probes = 0;
  // Two probes: the controller has had the first one's verdict before it starts the second.
  ASSERT_TRUE(eventually(
      [&] {
        probes += stalled.accept_probes();
        return probes >= 2;
      },
      20000))
      << cluster_->log_tails();
  // A barrier: once this topic is in the image, so is anything the controller did before.
  ASSERT_NO_FATAL_FAILURE(create_led_by(live, "barrier", 102, 101));
  const auto image = live.metadata().image();
  EXPECT_FALSE(image->broker(NodeId(101))->fenced);
  EXPECT_EQ(image->topic("kept")->partitions[0].leader, NodeId(101));
}

}  // namespace
}  // namespace ferry::controller::test
