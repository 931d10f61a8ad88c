// QuorumController end to end in one process: real RocksDB stores, real driver threads, Raft
// messages over an in-memory network.
#include "controller/quorum/quorum_controller.h"

#include <gtest/gtest.h>

#include "tests/controller/quorum/cluster_harness.h"

namespace ferry {
inline void PrintTo(ErrorCode code, std::ostream* os) {
  *os << error_name(code);
}
}  // namespace ferry

namespace ferry::controller::test {
namespace {

CreateTopicSpec topic(std::string name, int32_t partitions = 1, int16_t rf = 1) {
  CreateTopicSpec s;
  s.name = std::move(name);
  s.num_partitions = partitions;
  s.replication_factor = rf;
  return s;
}

std::vector<CreateTopicResult> create(ControllerApi& api, std::vector<CreateTopicSpec> specs) {
  return await<std::vector<CreateTopicResult>>(
      [&](auto cb) { api.create_topics(specs, false, cb); });
}

// Registers broker `id` and heartbeats until it is unfenced; returns its epoch.
BrokerEpoch start_broker(ControllerApi& api, MetadataSource& metadata, int32_t id) {
  BrokerRegistrationRequest r;
  r.broker_id = NodeId(id);
  SeededRandom random(static_cast<uint64_t>(id) * 7919);
  r.incarnation_id = Uuid::random(random);
  r.endpoints = {metadata::Endpoint{"PLAINTEXT", "127.0.0.1", 9000 + id}};
  auto reply = await<BrokerRegistrationReply>([&](auto cb) { api.register_broker(r, cb); });
  EXPECT_EQ(reply.error, ErrorCode::NONE) << reply.message;
  EXPECT_TRUE(wait_until([&] { return metadata.image()->offset >= reply.committed_offset; }));
  BrokerHeartbeatRequest hb;
  hb.broker_id = NodeId(id);
  hb.broker_epoch = reply.broker_epoch;
  hb.current_metadata_offset = metadata.image()->offset;
  auto beat = await<BrokerHeartbeatReply>([&](auto cb) { api.broker_heartbeat(hb, cb); });
  EXPECT_EQ(beat.error, ErrorCode::NONE) << beat.message;
  EXPECT_FALSE(beat.is_fenced);
  return reply.broker_epoch;
}

TEST(QuorumControllerTest, a_single_voter_serves_a_topic_creation_once_the_broker_is_unfenced) {
  QuorumCluster cluster(1);
  cluster.start_all();
  ASSERT_EQ(cluster.wait_for_leader(), 1);
  auto& c = cluster.node(1);
  start_broker(c, c, 1);
  auto results = create(c, {topic("orders", 3, 1)});
  ASSERT_EQ(results[0].error, ErrorCode::NONE) << results[0].message;
  EXPECT_GT(results[0].committed_offset, LogIndex(0));
  ASSERT_TRUE(wait_until([&] { return c.image()->offset >= results[0].committed_offset; }));
  const auto* t = c.image()->topic("orders");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->partitions.size(), 3u);
  EXPECT_FALSE(c.image()->cluster_id.empty());
}

TEST(QuorumControllerTest, three_voters_elect_one_leader_and_followers_redirect_to_it) {
  QuorumCluster cluster(3);
  cluster.start_all();
  const int leader = cluster.wait_for_leader();
  ASSERT_GT(leader, 0);
  const int follower = leader == 1 ? 2 : 1;
  ASSERT_TRUE(wait_until([&] { return cluster.node(follower).active_controller() != kNoNode; }));
  auto results = create(cluster.node(follower), {topic("t")});
  EXPECT_EQ(results[0].error, ErrorCode::NOT_CONTROLLER);
  // It names the leader it follows (`leader`, unless an election happened meanwhile).
  const NodeId named = cluster.node(follower).active_controller();
  EXPECT_NE(
      results[0].message.find("The active controller is node " + std::to_string(named.value())),
      std::string::npos)
      << results[0].message;
}

TEST(QuorumControllerTest, committed_changes_reach_every_voter_in_order) {
  QuorumCluster cluster(3);
  cluster.start_all();
  ASSERT_GT(cluster.wait_for_leader(), 0);
  ControllerApi& api = cluster.leader_api();
  start_broker(api, cluster.node(1), 1);
  LogIndex last{0};
  for (int i = 0; i < 20; ++i) {
    auto r = create(api, {topic("t" + std::to_string(i))});
    ASSERT_EQ(r[0].error, ErrorCode::NONE) << r[0].message;
    EXPECT_GT(r[0].committed_offset, last);
    last = r[0].committed_offset;
  }
  for (int id = 1; id <= 3; ++id) {
    ASSERT_TRUE(wait_until([&] { return cluster.node(id).image()->offset >= last; })) << id;
    EXPECT_EQ(cluster.node(id).image()->topics.size(), 20u);
  }
}

TEST(QuorumControllerTest, concurrent_creations_of_one_name_admit_exactly_one) {
  QuorumCluster cluster(3);
  cluster.start_all();
  auto& c = cluster.node(cluster.wait_for_leader());
  start_broker(cluster.leader_api(), c, 1);
  std::vector<std::shared_future<std::vector<CreateTopicResult>>> futures;
  for (int i = 0; i < 10; ++i) {
    auto p = std::make_shared<std::promise<std::vector<CreateTopicResult>>>();
    futures.push_back(p->get_future().share());
    c.create_topics({topic("same")}, false, [p](auto r) { p->set_value(std::move(r)); });
  }
  int created = 0;
  int exists = 0;
  for (auto& f : futures) {
    ASSERT_EQ(f.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    auto r = f.get()[0];
    if (r.error == ErrorCode::NOT_CONTROLLER) {  // leadership moved: known not committed, retry
      r = create(cluster.leader_api(), {topic("same")})[0];
    }
    if (r.error == ErrorCode::NONE) ++created;
    if (r.error == ErrorCode::TOPIC_ALREADY_EXISTS) ++exists;
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(exists, 9);
}

TEST(QuorumControllerTest, a_new_leader_keeps_every_acknowledged_change) {
  QuorumCluster cluster(3);
  cluster.start_all();
  int leader = cluster.wait_for_leader();
  start_broker(cluster.leader_api(), cluster.node(leader), 1);
  std::set<std::string> acknowledged;
  for (int i = 0; i < 10; ++i) {
    auto r = create(cluster.leader_api(), {topic("before" + std::to_string(i))});
    if (r[0].error == ErrorCode::NONE) acknowledged.insert("before" + std::to_string(i));
  }
  leader = cluster.wait_for_leader();
  cluster.kill(leader);
  const int next = cluster.wait_for_leader();
  ASSERT_GT(next, 0);
  ASSERT_NE(next, leader);
  auto r = create(cluster.leader_api(), {topic("after")});
  ASSERT_EQ(r[0].error, ErrorCode::NONE) << r[0].message;
  ASSERT_TRUE(
      wait_until([&] { return cluster.node(next).image()->offset >= r[0].committed_offset; }));
  for (const auto& name : acknowledged) {
    EXPECT_NE(cluster.node(next).image()->topic(name), nullptr) << name;
  }
  EXPECT_EQ(acknowledged.size(), 10u);
}

// A stopping leader keeps taking Raft messages until it has stopped: it learns at once that its
// successor won (it used to drop them and wait out the whole election timeout, ~1 s per stop).
TEST(QuorumControllerTest, a_stopping_leader_hands_over_to_another_voter) {
  // A long timeout: the hand-over must end by hearing the successor, not by giving up.
  QuorumCluster cluster(3, [](QuorumOptions& o) { o.election_timeout_ms = 5000; });
  cluster.start_all();
  const int leader = cluster.wait_for_leader();
  ASSERT_GT(leader, 0);
  EXPECT_TRUE(cluster.stop_gracefully(leader));
  const int next = cluster.wait_for_leader();
  EXPECT_GT(next, 0);
  EXPECT_NE(next, leader);
}

TEST(QuorumControllerTest, restarting_every_voter_restores_the_same_image) {
  QuorumCluster cluster(3);
  cluster.start_all();
  int leader = cluster.wait_for_leader();
  start_broker(cluster.leader_api(), cluster.node(leader), 1);
  auto r = create(cluster.leader_api(), {topic("a", 2), topic("b", 3)});
  ASSERT_EQ(r[0].error, ErrorCode::NONE);
  for (int id = 1; id <= 3; ++id) {
    ASSERT_TRUE(
        wait_until([&] { return cluster.node(id).image()->offset >= r[0].committed_offset; }));
  }
  const metadata::MetadataImagePtr before = cluster.node(1).image();
  for (int id = 1; id <= 3; ++id)
    cluster.kill(id);
  cluster.start_all();
  leader = cluster.wait_for_leader();
  ASSERT_GT(leader, 0);
  auto& c = cluster.node(leader);
  ASSERT_TRUE(wait_until([&] { return c.image()->offset > before->offset; }));  // new term no-op
  EXPECT_EQ(c.image()->cluster_id, before->cluster_id);
  EXPECT_EQ(c.image()->brokers, before->brokers);
  EXPECT_EQ(c.image()->topic_ids, before->topic_ids);
  for (const auto& [id, t] : before->topics)
    EXPECT_EQ(*c.image()->topic(id), *t);
}

TEST(QuorumControllerTest, a_voter_with_an_empty_directory_catches_up_from_a_snapshot) {
  QuorumCluster cluster(3, [](QuorumOptions& o) {
    o.snapshot_after_bytes = 512;
    o.snapshot_keep_entries = 5;
  });
  cluster.start_all();
  int leader = cluster.wait_for_leader();
  const int victim = leader == 3 ? 2 : 3;
  cluster.kill(victim);
  cluster.wipe(victim);
  start_broker(cluster.leader_api(), cluster.node(leader), 1);
  LogIndex last{0};
  for (int i = 0; i < 40; ++i) {
    auto r = create(cluster.leader_api(), {topic("topic-number-" + std::to_string(i))});
    ASSERT_EQ(r[0].error, ErrorCode::NONE) << r[0].message;
    last = r[0].committed_offset;
  }
  MetadataFetch fetch = await<MetadataFetch>([&](auto cb) {
    cluster.node(cluster.wait_for_leader()).fetch_metadata(LogIndex(1), 0, 1 << 20, cb);
  });
  ASSERT_TRUE(fetch.snapshot.has_value()) << "the leader should have compacted its log";
  cluster.start(victim);
  ASSERT_TRUE(wait_until([&] { return cluster.node(victim).image()->offset >= last; }));
  EXPECT_EQ(cluster.node(victim).image()->topics.size(), 40u);
}

TEST(QuorumControllerTest, a_broker_that_stops_heartbeating_is_fenced_and_loses_leadership) {
  QuorumCluster cluster(3, [](QuorumOptions& o) { o.commands.broker_session_timeout_ms = 2000; });
  cluster.start_all();
  ASSERT_GT(cluster.wait_for_leader(), 0);
  ControllerApi& api = cluster.leader_api();
  auto& c = cluster.node(1);  // any voter's committed image
  const BrokerEpoch e1 = start_broker(api, c, 1);
  const BrokerEpoch e2 = start_broker(api, c, 2);
  CreateTopicSpec s;
  s.name = "t";
  s.assignments = {{0, {NodeId(1), NodeId(2)}}};
  auto r = create(api, {s});
  ASSERT_EQ(r[0].error, ErrorCode::NONE) << r[0].message;
  ASSERT_TRUE(wait_until([&] { return c.image()->offset >= r[0].committed_offset; }));
  ASSERT_EQ(c.image()->topic("t")->partitions[0].leader, NodeId(1));
  // Broker 2 keeps heartbeating, broker 1 goes silent.
  std::atomic<bool> beating{true};
  std::thread heart([&] {
    while (beating) {
      BrokerHeartbeatRequest hb;
      hb.broker_id = NodeId(2);
      hb.broker_epoch = e2;
      hb.current_metadata_offset = c.image()->offset;
      await<BrokerHeartbeatReply>([&](auto cb) { api.broker_heartbeat(hb, cb); });
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  const bool moved = wait_until(
      [&] {
        const auto* t = c.image()->topic("t");
        return c.image()->broker(NodeId(1))->fenced && t->partitions[0].leader == NodeId(2);
      },
      8000);
  beating = false;
  heart.join();
  ASSERT_TRUE(moved);
  const auto& p = c.image()->topic("t")->partitions[0];
  EXPECT_EQ(p.isr, std::vector<NodeId>{NodeId(2)});
  EXPECT_EQ(p.leader_epoch, LeaderEpoch(1));
  EXPECT_FALSE(c.image()->broker(NodeId(2))->fenced);
  EXPECT_EQ(c.image()->broker(NodeId(1))->epoch, e1) << "fencing keeps the registration's epoch";
}

TEST(QuorumControllerTest, describe_quorum_reports_every_voter_caught_up) {
  QuorumCluster cluster(3);
  cluster.start_all();
  int leader = -1;
  Result<QuorumDescription> d = Error(ErrorCode::NONE);
  ASSERT_TRUE(wait_until([&] {
    leader = cluster.wait_for_leader();
    d = await<Result<QuorumDescription>>(
        [&](auto cb) { cluster.node(leader).describe_quorum(cb); });
    if (!d.ok()) return false;
    for (const auto& v : d->voters) {
      if (v.lag != 0 || v.log_end_offset < d->high_watermark) return false;
    }
    return true;
  }));
  EXPECT_EQ(d->leader_id, NodeId(leader));
  ASSERT_EQ(d->voters.size(), 3u);
  EXPECT_EQ(d->voters[0].id, NodeId(leader));
  EXPECT_EQ(d->voters[0].state, "Leader");
  for (size_t i = 1; i < d->voters.size(); ++i) {
    EXPECT_TRUE(d->voters[i].state.starts_with("Follower")) << d->voters[i].state;
  }
  EXPECT_GT(d->leader_epoch, 0);
}

TEST(QuorumControllerTest, fetch_metadata_long_polls_until_a_new_entry_commits) {
  QuorumCluster cluster(1);
  cluster.start_all();
  auto& c = cluster.node(cluster.wait_for_leader());
  ASSERT_TRUE(wait_until([&] { return !c.image()->cluster_id.empty(); }));
  const LogIndex next = c.image()->offset + 1;
  auto p = std::make_shared<std::promise<MetadataFetch>>();
  auto f = p->get_future();
  c.fetch_metadata(next, 10000, 1 << 20, [p](MetadataFetch m) { p->set_value(std::move(m)); });
  EXPECT_EQ(f.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  start_broker(c, c, 1);
  ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  auto fetch = f.get();
  ASSERT_FALSE(fetch.entries.empty());
  EXPECT_EQ(fetch.entries.front().first, next);
}

}  // namespace
}  // namespace ferry::controller::test
