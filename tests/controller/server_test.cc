// ControllerServer and QuorumClient over real gRPC on 127.0.0.1, three voters in one process:
// registration, heartbeats and topic creation from a pure broker's QuorumClient, forwarding
// from a follower's in-process API, the observer's image catching up, and describe_quorum.
#include "controller/server.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <future>
#include <thread>

#include "common/config.h"
#include "common/random.h"
#include "controller/grpc/remote_api.h"
#include "controller/quorum/options.h"
#include "controller/quorum_admin.h"
#include "tests/support/describe_quorum.h"
#include "tests/support/listening_socket.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace ferry {
inline void PrintTo(ErrorCode code, std::ostream* os) {
  *os << error_name(code);
}
}  // namespace ferry

namespace ferry::controller {
namespace {

using test::describe_quorum;
using test::describe_quorum_of;
using test::free_port;

bool wait_until(const std::function<bool()>& condition, int64_t timeout_ms = 15000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

template <typename T>
T await(const std::function<void(std::function<void(T)>)>& start) {
  auto promise = std::make_shared<std::promise<T>>();
  auto future = promise->get_future();
  start([promise](T value) { promise->set_value(std::move(value)); });
  if (future.wait_for(std::chrono::seconds(40)) != std::future_status::ready) std::abort();
  return future.get();
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 3; ++i)
      ports_.push_back(free_port());
    for (int i = 0; i < 3; ++i) {
      voters_ += (i ? "," : "") + std::to_string(i + 1) + "@127.0.0.1:" + std::to_string(ports_[i]);
    }
  }
  config::BrokerConfig config(int id, const std::string& roles, const std::string& dir = "") {
    auto c = config::BrokerConfig::from_map({
        {"node.id", std::to_string(id)},
        {"process.roles", roles},
        {"listeners", "CONTROLLER://127.0.0.1:" +
                          std::to_string(id <= 3 ? ports_[static_cast<size_t>(id - 1)] : 1)},
        {"controller.quorum.voters", voters_},
        {"controller.quorum.election.timeout.ms", "300"},
        {"controller.quorum.heartbeat.interval.ms", "30"},
        {"log.dirs", (dir_.path() / (dir.empty() ? std::to_string(id) : dir)).string()},
    });
    EXPECT_TRUE(c.ok()) << c.error().to_string();
    return *c;
  }
  void start_voters() {
    for (int id = 1; id <= 3; ++id) {
      auto s = ControllerServer::start(config(id, "controller"));
      ASSERT_TRUE(s.ok()) << s.error().to_string();
      servers_.push_back(std::move(s).value());
    }
  }
  void TearDown() override {
    for (auto& s : servers_)
      s->shutdown();
  }

  test::TempDir dir_;
  std::vector<int> ports_;
  std::string voters_;
  std::vector<std::unique_ptr<ControllerServer>> servers_;
};

TEST_F(ServerTest, a_pure_broker_registers_heartbeats_creates_a_topic_and_sees_it) {
  start_voters();
  auto client = QuorumClient::connect(config(7, "broker"));
  ASSERT_TRUE(client.ok()) << client.error().to_string();
  ControllerApi& api = (*client)->api();
  MetadataSource& metadata = (*client)->metadata();

  BrokerRegistrationRequest r;
  r.broker_id = NodeId(7);
  SeededRandom random(seed_from_env());
  r.incarnation_id = Uuid::random(random);
  // A listening endpoint: the controller's liveness probe would fence a port nobody listens on.
  test::ListeningSocket listener;
  r.endpoints = {metadata::Endpoint{"PLAINTEXT", "127.0.0.1", listener.port()}};
  auto reg = await<BrokerRegistrationReply>([&](auto cb) { api.register_broker(r, cb); });
  ASSERT_EQ(reg.error, ErrorCode::NONE) << reg.message;
  ASSERT_TRUE(wait_until([&] { return metadata.image()->offset >= reg.committed_offset; }));

  BrokerHeartbeatRequest hb;
  hb.broker_id = NodeId(7);
  hb.broker_epoch = reg.broker_epoch;
  hb.current_metadata_offset = metadata.image()->offset;
  auto beat = await<BrokerHeartbeatReply>([&](auto cb) { api.broker_heartbeat(hb, cb); });
  ASSERT_EQ(beat.error, ErrorCode::NONE) << beat.message;
  EXPECT_FALSE(beat.is_fenced);

  CreateTopicSpec spec;
  spec.name = "orders";
  spec.num_partitions = 4;
  spec.replication_factor = 1;
  auto created =
      await<std::vector<CreateTopicResult>>([&](auto cb) { api.create_topics({spec}, false, cb); });
  ASSERT_EQ(created[0].error, ErrorCode::NONE) << created[0].message;
  ASSERT_TRUE(wait_until([&] { return metadata.image()->offset >= created[0].committed_offset; }));
  const auto* topic = metadata.image()->topic("orders");
  ASSERT_NE(topic, nullptr);
  EXPECT_EQ(topic->id, created[0].topic_id);
  EXPECT_EQ(topic->partitions.size(), 4u);
  EXPECT_NE(api.active_controller(), kNoNode);
  // The leader lists the broker as an observer of the metadata log.
  std::vector<std::string> entries;
  for (int i = 0; i < 3; ++i) {
    entries.push_back(std::to_string(i + 1) + "@127.0.0.1:" + std::to_string(ports_[i]));
  }
  ASSERT_TRUE(wait_until([&] {
    auto d = describe_quorum_of(entries, 2000);
    return d.ok() && d->observers.size() == 1 && d->observers[0].id == NodeId(7) &&
           d->observers[0].state == "Observer";
  }));
  (*client)->shutdown();
}

TEST_F(ServerTest, every_voters_in_process_api_reaches_the_active_controller) {
  start_voters();
  for (int i = 0; i < 3; ++i) {
    CreateTopicSpec spec;
    spec.name = "t" + std::to_string(i);
    spec.assignments = {{0, {NodeId(1)}}};  // broker 1 is not registered: a validation error
    auto r = await<std::vector<CreateTopicResult>>(
        [&](auto cb) { servers_[static_cast<size_t>(i)]->api().create_topics({spec}, false, cb); });
    EXPECT_EQ(r[0].error, ErrorCode::INVALID_REPLICA_ASSIGNMENT) << r[0].message;
  }
}

TEST_F(ServerTest, describe_quorum_follows_the_hint_to_the_leader) {
  start_voters();
  Result<QuorumDescription> d = Error(ErrorCode::NONE);
  ASSERT_TRUE(wait_until([&] {
    d = describe_quorum("127.0.0.1:" + std::to_string(ports_[0]), 2000);
    return d.ok() && !d->cluster_id.empty();
  })) << d.error().to_string();
  EXPECT_NE(d->leader_id, kNoNode);
  EXPECT_EQ(d->voters.size(), 3u);
  EXPECT_GT(d->high_watermark, 0);
  std::vector<std::string> entries;
  for (int i = 0; i < 3; ++i) {
    entries.push_back(std::to_string(i + 1) + "@127.0.0.1:" + std::to_string(ports_[i]));
  }
  // Under load an election may be running: any voter may answer once a leader is back.
  Result<QuorumDescription> again = Error(ErrorCode::NONE);
  ASSERT_TRUE(wait_until([&] {
    again = describe_quorum_of(entries, 2000);
    return again.ok();
  })) << again.error().to_string();
  EXPECT_EQ(again->cluster_id, d->cluster_id);
}

TEST_F(ServerTest, the_controller_listener_must_be_free) {
  start_voters();
  auto second = ControllerServer::start(config(1, "controller", "elsewhere"));
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message().find("cannot listen"), std::string::npos)
      << second.error().to_string();
}

// A broker stopping while its controller calls are retrying (the quorum is gone, as when every
// node of a cluster is stopped at once) must still stop: shutdown cancels the calls and each
// ends with NOT_CONTROLLER. It once deadlocked: the retry that saw the client closed ended the
// call while holding the client's lock, which ending the call takes again.
TEST(RemoteControllerApiTest, shutdown_while_calls_are_retrying_ends_them_and_returns) {
  RemoteControllerApi::Options options;
  options.request_timeout_ms = 60'000;
  options.attempt_timeout_ms = 200;
  options.min_backoff_ms = 20;
  auto api = std::make_shared<RemoteControllerApi>(
      std::vector<VoterAddress>{{NodeId(1), "127.0.0.1", free_port()}}, options);  // no one there
  auto replies = std::make_shared<std::promise<ErrorCode>>();
  BrokerHeartbeatRequest hb;
  hb.broker_id = NodeId(7);
  api->broker_heartbeat(hb, [replies](BrokerHeartbeatReply r) { replies->set_value(r.error); });
  auto stopped = std::make_shared<std::promise<void>>();
  std::thread([api, stopped] {
    api->shutdown();
    stopped->set_value();
  }).detach();
  if (stopped->get_future().wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
    std::fprintf(stderr, "RemoteControllerApi::shutdown() did not return within 20 s\n");
    std::_Exit(1);  // a deadlocked thread cannot be joined: fail the whole binary at once
  }
  auto reply = replies->get_future();
  ASSERT_EQ(reply.wait_for(std::chrono::seconds(1)), std::future_status::ready);
  EXPECT_EQ(reply.get(), ErrorCode::NOT_CONTROLLER);
}
}  // namespace
}  // namespace ferry::controller
