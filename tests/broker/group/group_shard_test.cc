// GroupShard: the classic group protocol in virtual time (broker/group/group_shard.h). Section
// numbers refer to ../shared/design/GROUPS.md.
#include "broker/group/group_shard.h"

#include <gtest/gtest.h>

#include <map>

namespace ferry::broker::group {
namespace {

// Subscription bytes as a consumer sends them (ConsumerProtocolSubscription v0).
Bytes subscription(const std::vector<std::string>& topics) {
  Bytes out;
  ByteWriter w(out);
  w.i16(0);
  w.i32(static_cast<int32_t>(topics.size()));
  for (const auto& t : topics) {
    w.i16(static_cast<int16_t>(t.size()));
    w.bytes(t);
  }
  w.i32(-1);  // user data: null
  return out;
}

class GroupShardTest : public ::testing::Test {
 protected:
  GroupConfig config_;
  SeededRandom random_{7};
  std::unique_ptr<GroupShard> shard_ = std::make_unique<GroupShard>(config_, random_);
  int64_t now_ = 1'000'000;
  Ticket next_ticket_ = 1;
  std::map<Ticket, Reply> replies_;
  std::vector<Append> log_;  // appended batches, in order
  bool auto_append_ = true;  // complete every append at once (successfully)

  void pump() {
    for (bool more = true; more;) {
      more = false;
      for (auto& r : shard_->take_replies())
        replies_[r.ticket] = std::move(r);
      if (!auto_append_) break;
      for (auto& a : shard_->take_appends()) {
        log_.push_back(a);
        shard_->appended(a.id, ErrorCode::NONE, now_);
        more = true;
      }
    }
  }

  void advance(int64_t ms) {
    now_ += ms;
    shard_->advance(now_);
    pump();
  }

  JoinRequest join_request(const std::string& member,
                           std::vector<std::string> protocols = {"range"},
                           std::vector<std::string> topics = {"t"}) {
    JoinRequest r;
    r.group_id = "g";
    r.member_id = member;
    r.client_id = "client";
    r.client_host = "/127.0.0.1";
    r.session_timeout_ms = 10'000;
    r.rebalance_timeout_ms = 30'000;
    r.protocol_type = "consumer";
    for (const auto& p : protocols)
      r.protocols.push_back(Protocol{p, subscription(topics)});
    r.require_known_member_id = true;
    return r;
  }

  Ticket join(const JoinRequest& r) {
    const Ticket t = next_ticket_++;
    shard_->join(t, r, now_);
    pump();
    return t;
  }

  std::optional<JoinResponse> join_reply(Ticket t) {
    auto it = replies_.find(t);
    if (it == replies_.end()) return std::nullopt;
    return std::get<JoinResponse>(it->second.body);
  }

  std::optional<SyncResponse> sync_reply(Ticket t) {
    auto it = replies_.find(t);
    if (it == replies_.end()) return std::nullopt;
    return std::get<SyncResponse>(it->second.body);
  }

  Ticket sync(const std::string& member, int32_t generation,
              std::vector<std::pair<std::string, Bytes>> assignments = {}) {
    SyncRequest r;
    r.group_id = "g";
    r.member_id = member;
    r.generation = generation;
    r.assignments = std::move(assignments);
    const Ticket t = next_ticket_++;
    shard_->sync(t, r, now_);
    pump();
    return t;
  }

  ErrorCode heartbeat(const std::string& member, int32_t generation) {
    return shard_->heartbeat(HeartbeatRequest{"g", member, std::nullopt, generation}, now_);
  }

  CommitResponse commit(int32_t generation, const std::string& member, int64_t offset,
                        const std::string& topic = "t") {
    CommitRequest r;
    r.group_id = "g";
    r.generation = generation;
    r.member_id = member;
    r.partitions.push_back(CommitPartition{{topic, 0}, offset, -1, "meta", -1});
    const Ticket t = next_ticket_++;
    shard_->commit(t, r, now_);
    pump();
    auto it = replies_.find(t);
    if (it == replies_.end()) return CommitResponse{};
    return std::get<CommitResponse>(it->second.body);
  }

  // One member, through MEMBER_ID_REQUIRED and the initial delay, to Stable. Returns its id.
  std::string stable_single_member() {
    const auto first = join_reply(join(join_request("")));
    EXPECT_EQ(first->error, ErrorCode::MEMBER_ID_REQUIRED);
    const Ticket t = join(join_request(first->member_id));
    EXPECT_FALSE(join_reply(t)) << "the initial delay holds the first join phase";
    advance(config_.initial_rebalance_delay_ms);
    const auto joined = join_reply(t);
    EXPECT_TRUE(joined);
    EXPECT_EQ(joined->error, ErrorCode::NONE);
    const auto s =
        sync_reply(sync(joined->member_id, joined->generation, {{joined->member_id, Bytes{1, 2}}}));
    EXPECT_TRUE(s);
    EXPECT_EQ(s->assignment, (Bytes{1, 2}));
    return joined->member_id;
  }
};

TEST_F(GroupShardTest, a_first_member_gets_an_id_waits_the_initial_delay_then_syncs_to_stable) {
  const auto first = join_reply(join(join_request("")));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->error, ErrorCode::MEMBER_ID_REQUIRED);
  EXPECT_EQ(first->member_id.rfind("client-", 0), 0u) << first->member_id;
  EXPECT_EQ(shard_->state_of("g"), GroupState::kEmpty) << "a reserved id changes nothing";
  const Ticket t = join(join_request(first->member_id));
  EXPECT_EQ(shard_->state_of("g"), GroupState::kPreparingRebalance);
  advance(config_.initial_rebalance_delay_ms - 1);
  EXPECT_FALSE(join_reply(t));
  advance(1);
  const auto joined = join_reply(t);
  ASSERT_TRUE(joined);
  EXPECT_EQ(joined->generation, 1);
  EXPECT_EQ(joined->leader, first->member_id);
  EXPECT_EQ(joined->protocol_name, "range");
  ASSERT_EQ(joined->members.size(), 1u) << "the leader gets the member list";
  EXPECT_EQ(shard_->state_of("g"), GroupState::kCompletingRebalance);
  const auto synced = sync_reply(sync(first->member_id, 1, {{first->member_id, Bytes{9}}}));
  ASSERT_TRUE(synced);
  EXPECT_EQ(synced->error, ErrorCode::NONE);
  EXPECT_EQ(synced->assignment, Bytes{9});
  EXPECT_EQ(shard_->state_of("g"), GroupState::kStable);
  // The assignment was written as a GroupMetadata record before the answer.
  ASSERT_EQ(log_.size(), 1u);
  auto value = decode_group_value(*log_[0].records[0].value);
  ASSERT_TRUE(value.ok());
  ASSERT_EQ(value->members.size(), 1u);
  EXPECT_EQ(value->members[0].assignment, Bytes{9});
  EXPECT_EQ(heartbeat(first->member_id, 1), ErrorCode::NONE);
}

TEST_F(GroupShardTest,
       a_new_member_rebalances_a_stable_group_and_old_members_learn_from_heartbeats) {
  const std::string a = stable_single_member();
  const auto b_id = join_reply(join(join_request("")))->member_id;
  const Ticket b_join = join(join_request(b_id));
  EXPECT_EQ(shard_->state_of("g"), GroupState::kPreparingRebalance);
  EXPECT_EQ(heartbeat(a, 1), ErrorCode::REBALANCE_IN_PROGRESS);
  // Commits of the outgoing generation are still accepted while preparing (3.1 row 9).
  EXPECT_EQ(commit(1, a, 10).partitions, std::vector<ErrorCode>{ErrorCode::NONE});
  EXPECT_FALSE(join_reply(b_join));
  const Ticket a_join = join(join_request(a));  // everyone rejoined: no wait for the timeout
  const auto ja = join_reply(a_join);
  const auto jb = join_reply(b_join);
  ASSERT_TRUE(ja && jb);
  EXPECT_EQ(ja->generation, 2);
  EXPECT_EQ(ja->leader, a);
  EXPECT_EQ(ja->members.size(), 2u);
  EXPECT_TRUE(jb->members.empty());
  // Between the join and the leader's sync: commits get REBALANCE_IN_PROGRESS, old
  // generations ILLEGAL_GENERATION (3.1 rows 6 and 8).
  EXPECT_EQ(commit(2, b_id, 1).partitions[0], ErrorCode::REBALANCE_IN_PROGRESS);
  EXPECT_EQ(commit(1, b_id, 1).partitions[0], ErrorCode::ILLEGAL_GENERATION);
  const Ticket b_sync = sync(b_id, 2);
  EXPECT_FALSE(sync_reply(b_sync)) << "followers wait for the leader";
  sync(a, 2, {{a, Bytes{1}}, {b_id, Bytes{2}}});
  ASSERT_TRUE(sync_reply(b_sync));
  EXPECT_EQ(sync_reply(b_sync)->assignment, Bytes{2});
  EXPECT_EQ(shard_->state_of("g"), GroupState::kStable);
}

TEST_F(GroupShardTest, a_member_whose_session_expires_is_removed_and_the_rest_rebalance) {
  const std::string a = stable_single_member();
  const auto b_id = join_reply(join(join_request("")))->member_id;
  const Ticket b_join = join(join_request(b_id));
  join(join_request(a));
  sync(a, 2, {{a, {}}, {b_id, {}}});
  sync(b_id, 2);
  ASSERT_EQ(shard_->state_of("g"), GroupState::kStable);
  (void)b_join;
  // Only a heartbeats.
  for (int i = 0; i < 4; ++i) {
    advance(3'000);
    EXPECT_EQ(heartbeat(a, 2), i < 3 ? ErrorCode::NONE : ErrorCode::REBALANCE_IN_PROGRESS);
  }
  EXPECT_EQ(shard_->state_of("g"), GroupState::kPreparingRebalance);
  const auto again = join_reply(join(join_request(a)));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->generation, 3);
  EXPECT_EQ(again->members.size(), 1u) << "b is gone";
}

TEST_F(GroupShardTest, join_errors_follow_kafkas_order) {
  JoinRequest r = join_request("");
  r.session_timeout_ms = config_.min_session_timeout_ms - 1;
  EXPECT_EQ(join_reply(join(r))->error, ErrorCode::INVALID_SESSION_TIMEOUT);
  EXPECT_EQ(shard_->group_count(), 0u);
  EXPECT_EQ(join_reply(join(join_request("nobody")))->error, ErrorCode::UNKNOWN_MEMBER_ID);
  r = join_request("");
  r.protocol_type = "";
  EXPECT_EQ(join_reply(join(r))->error, ErrorCode::INCONSISTENT_GROUP_PROTOCOL);
  EXPECT_EQ(shard_->group_count(), 0u) << "a refused first join leaves no group";
  const std::string a = stable_single_member();
  // A member supporting none of the group's protocols.
  const auto other = join_reply(join(join_request("", {"roundrobin"})));
  EXPECT_EQ(other->error, ErrorCode::INCONSISTENT_GROUP_PROTOCOL);
  r = join_request("", {"range"});
  r.protocol_type = "connect";
  EXPECT_EQ(join_reply(join(r))->error, ErrorCode::INCONSISTENT_GROUP_PROTOCOL);
  (void)a;
}

TEST_F(GroupShardTest, the_protocol_most_members_list_first_wins_and_ties_go_to_the_leader) {
  const auto a = join_reply(join(join_request("", {"roundrobin", "range"})))->member_id;
  const Ticket ta = join(join_request(a, {"roundrobin", "range"}));
  const auto b = join_reply(join(join_request("", {"range", "roundrobin"})))->member_id;
  const Ticket tb = join(join_request(b, {"range", "roundrobin"}));
  advance(config_.initial_rebalance_delay_ms);
  EXPECT_FALSE(join_reply(ta)) << "a member joined during the delay: it waits once more";
  advance(config_.initial_rebalance_delay_ms);
  ASSERT_TRUE(join_reply(ta) && join_reply(tb));
  EXPECT_EQ(join_reply(ta)->protocol_name, "roundrobin") << "one vote each: the leader's order";
}

TEST_F(GroupShardTest, a_member_that_never_syncs_is_removed_when_the_sync_timer_fires) {
  const std::string a = stable_single_member();
  const auto b = join_reply(join(join_request("")))->member_id;
  join(join_request(b));
  join(join_request(a));
  ASSERT_EQ(shard_->state_of("g"), GroupState::kCompletingRebalance);
  const Ticket a_sync = sync(a, 2, {{a, {}}, {b, {}}});
  ASSERT_TRUE(sync_reply(a_sync));  // the leader's sync stores the assignment: Stable
  // b never syncs but heartbeats; KAFKA-12890's timer removes it.
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(heartbeat(a, 2), ErrorCode::NONE);
    EXPECT_EQ(heartbeat(b, 2), ErrorCode::NONE);
    advance(5'000);
  }
  EXPECT_EQ(shard_->state_of("g"), GroupState::kPreparingRebalance);
  EXPECT_EQ(heartbeat(b, 2), ErrorCode::UNKNOWN_MEMBER_ID);
  EXPECT_EQ(heartbeat(a, 2), ErrorCode::REBALANCE_IN_PROGRESS);
}

TEST_F(GroupShardTest, commits_check_generation_member_and_state_like_kafka) {
  // Unknown group: a simple commit creates it; a generation >= 0 is ILLEGAL_GENERATION.
  EXPECT_EQ(commit(3, "m", 1).partitions[0], ErrorCode::ILLEGAL_GENERATION);
  EXPECT_EQ(commit(-1, "", 5).partitions[0], ErrorCode::NONE);
  EXPECT_EQ(shard_->state_of("g"), GroupState::kEmpty);
  auto fetched = shard_->fetch_offsets("g", std::nullopt, false);
  ASSERT_EQ(fetched.size(), 1u);
  EXPECT_EQ(fetched[0].offset, 5);
  EXPECT_EQ(fetched[0].metadata, "meta");
  const std::string a = stable_single_member();
  // A simple commit while the group has members is refused.
  EXPECT_EQ(commit(-1, "", 6).partitions[0], ErrorCode::UNKNOWN_MEMBER_ID);
  EXPECT_EQ(commit(1, "stranger", 6).partitions[0], ErrorCode::UNKNOWN_MEMBER_ID);
  EXPECT_EQ(commit(7, a, 6).partitions[0], ErrorCode::ILLEGAL_GENERATION);
  EXPECT_EQ(commit(1, a, 6).partitions[0], ErrorCode::NONE);
  EXPECT_EQ(shard_->fetch_offsets("g", std::nullopt, false)[0].offset, 6);
  // Metadata over offset.metadata.max.bytes is refused for that partition only.
  CommitRequest big;
  big.group_id = "g";
  big.generation = 1;
  big.member_id = a;
  big.partitions.push_back(CommitPartition{{"t", 0}, 7, -1, std::string(5000, 'x'), -1});
  big.partitions.push_back(CommitPartition{{"t", 1}, 8, -1, "", -1});
  shard_->commit(99, big, now_);
  pump();
  EXPECT_EQ(std::get<CommitResponse>(replies_.at(99).body).partitions,
            (std::vector<ErrorCode>{ErrorCode::OFFSET_METADATA_TOO_LARGE, ErrorCode::NONE}));
}

TEST_F(GroupShardTest, a_commit_is_answered_and_visible_only_once_appended) {
  auto_append_ = false;
  CommitRequest r;
  r.group_id = "g";
  r.partitions.push_back(CommitPartition{{"t", 0}, 42, 3, std::nullopt, -1});
  shard_->commit(5, r, now_);
  pump();
  EXPECT_FALSE(replies_.count(5));
  const std::vector<TopicPartitionRef> tp{{"t", 0}};
  EXPECT_EQ(shard_->fetch_offsets("g", tp, false)[0].offset, -1);
  EXPECT_EQ(shard_->fetch_offsets("g", tp, true)[0].error, ErrorCode::UNSTABLE_OFFSET_COMMIT);
  auto appends = shard_->take_appends();
  ASSERT_EQ(appends.size(), 1u);
  shard_->appended(appends[0].id, ErrorCode::NONE, now_);
  pump();
  EXPECT_EQ(std::get<CommitResponse>(replies_.at(5).body).partitions[0], ErrorCode::NONE);
  const auto f = shard_->fetch_offsets("g", tp, true)[0];
  EXPECT_EQ(f.offset, 42);
  EXPECT_EQ(f.leader_epoch, 3);
  // A failed append changes nothing and maps its error (GROUPS.md 1.6).
  r.partitions[0].offset = 43;
  shard_->commit(6, r, now_);
  appends = shard_->take_appends();
  shard_->appended(appends[0].id, ErrorCode::NOT_LEADER_OR_FOLLOWER, now_);
  pump();
  EXPECT_EQ(std::get<CommitResponse>(replies_.at(6).body).partitions[0],
            ErrorCode::NOT_COORDINATOR);
  EXPECT_EQ(shard_->fetch_offsets("g", tp, false)[0].offset, 42);
}

TEST_F(GroupShardTest,
       a_static_member_restarting_while_stable_keeps_its_assignment_without_a_rebalance) {
  JoinRequest r = join_request("");
  r.instance_id = "pod-0";
  const Ticket t = join(r);  // static members skip MEMBER_ID_REQUIRED
  advance(config_.initial_rebalance_delay_ms);
  const auto joined = join_reply(t);
  ASSERT_TRUE(joined);
  EXPECT_EQ(joined->member_id.rfind("pod-0-", 0), 0u);
  sync(joined->member_id, 1, {{joined->member_id, Bytes{4}}});
  ASSERT_EQ(shard_->state_of("g"), GroupState::kStable);
  // The process restarts and joins again with an empty member id.
  const auto again = join_reply(join(r));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->error, ErrorCode::NONE);
  EXPECT_NE(again->member_id, joined->member_id);
  EXPECT_EQ(again->generation, 1);
  EXPECT_EQ(again->leader, joined->member_id) << "pre-KIP-814: the old leader id";
  EXPECT_EQ(shard_->state_of("g"), GroupState::kStable);
  const auto s = sync_reply(sync(again->member_id, 1));
  EXPECT_EQ(s->assignment, Bytes{4});
  // The old incarnation is fenced.
  HeartbeatRequest old{"g", joined->member_id, "pod-0", 1};
  EXPECT_EQ(shard_->heartbeat(old, now_), ErrorCode::FENCED_INSTANCE_ID);
}

TEST_F(GroupShardTest, leave_removes_members_and_an_empty_group_can_be_deleted) {
  const std::string a = stable_single_member();
  EXPECT_EQ(commit(1, a, 11).partitions[0], ErrorCode::NONE);
  shard_->delete_group(50, "g", now_);
  pump();
  EXPECT_EQ(std::get<ErrorCode>(replies_.at(50).body), ErrorCode::NON_EMPTY_GROUP);
  const LeaveResponse left = shard_->leave("g", {{a, std::nullopt}, {"ghost", std::nullopt}}, now_);
  pump();
  EXPECT_EQ(left.members, (std::vector<ErrorCode>{ErrorCode::NONE, ErrorCode::UNKNOWN_MEMBER_ID}));
  // The last member left: the join phase ends at once with nobody (Empty, generation 2), as
  // Kafka's tryCompleteElseWatch does; a DeleteGroups right after a consumer closes succeeds.
  EXPECT_EQ(shard_->state_of("g"), GroupState::kEmpty);
  EXPECT_EQ(shard_->generation_of("g"), 2);
  const size_t before = log_.size();
  shard_->delete_group(51, "g", now_);
  pump();
  EXPECT_EQ(std::get<ErrorCode>(replies_.at(51).body), ErrorCode::NONE);
  ASSERT_EQ(log_.size(), before + 1);
  ASSERT_EQ(log_.back().records.size(), 2u) << "the offset tombstone, then the group's";
  EXPECT_FALSE(log_.back().records[0].value);
  EXPECT_FALSE(log_.back().records[1].value);
  EXPECT_FALSE(shard_->state_of("g"));
  shard_->delete_group(52, "g", now_);
  pump();
  EXPECT_EQ(std::get<ErrorCode>(replies_.at(52).body), ErrorCode::GROUP_ID_NOT_FOUND);
}

TEST_F(GroupShardTest, offset_delete_refuses_topics_a_live_consumer_group_subscribes_to) {
  const std::string a = stable_single_member();  // subscribed to "t"
  EXPECT_EQ(commit(1, a, 1, "t").partitions[0], ErrorCode::NONE);
  EXPECT_EQ(commit(1, a, 2, "u").partitions[0], ErrorCode::NONE);
  shard_->delete_offsets(60, "g", {{"t", 0}, {"u", 0}}, now_);
  pump();
  const auto& r = std::get<OffsetDeleteResponse>(replies_.at(60).body);
  EXPECT_EQ(r.partitions,
            (std::vector<ErrorCode>{ErrorCode::GROUP_SUBSCRIBED_TO_TOPIC, ErrorCode::NONE}));
  const auto left = shard_->fetch_offsets("g", std::nullopt, false);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].tp.topic, "t");
}

TEST_F(GroupShardTest, a_new_shard_loads_the_same_groups_and_offsets_from_the_records) {
  const std::string a = stable_single_member();
  EXPECT_EQ(commit(1, a, 77).partitions[0], ErrorCode::NONE);
  EXPECT_EQ(commit(-1, "", 3).partitions[0], ErrorCode::UNKNOWN_MEMBER_ID);
  CommitRequest simple;
  simple.group_id = "solo";
  simple.partitions.push_back(CommitPartition{{"t", 2}, 9, -1, std::nullopt, -1});
  shard_->commit(70, simple, now_);
  pump();
  GroupShard loaded(config_, random_);
  for (const auto& batch : log_) {
    for (const auto& rec : batch.records) {
      std::optional<ByteSpan> value;
      if (rec.value) value = ByteSpan(*rec.value);
      ASSERT_TRUE(loaded.replay(rec.key, value).ok());
    }
  }
  loaded.loaded(now_);
  EXPECT_EQ(loaded.state_of("g"), GroupState::kStable);
  EXPECT_EQ(loaded.generation_of("g"), 1);
  EXPECT_EQ(loaded.fetch_offsets("g", std::nullopt, false)[0].offset, 77);
  EXPECT_EQ(loaded.state_of("solo"), GroupState::kEmpty);
  EXPECT_EQ(loaded.fetch_offsets("solo", std::nullopt, false)[0].offset, 9);
  EXPECT_EQ(loaded.heartbeat(HeartbeatRequest{"g", a, std::nullopt, 1}, now_), ErrorCode::NONE);
  // A value that does not parse fails the load.
  EXPECT_FALSE(loaded.replay(encode_key(GroupKey{"x"}), ByteSpan(Bytes{0, 3, 1})).ok());
}

TEST_F(GroupShardTest, offsets_expire_as_kip_211_says_and_leave_tombstones) {
  config_.offsets_retention_ms = 60'000;
  config_.offsets_retention_check_interval_ms = 1'000;
  shard_ = std::make_unique<GroupShard>(config_, random_);
  shard_->advance(now_);  // starts the expiry clock
  // A simple group: counted from the commit.
  CommitRequest simple;
  simple.group_id = "solo";
  simple.partitions.push_back(CommitPartition{{"t", 0}, 5, -1, std::nullopt, -1});
  shard_->commit(80, simple, now_);
  pump();
  // A consumer group, Stable, subscribed to "t" only, with commits for "t" and "u".
  const std::string a = stable_single_member();
  EXPECT_EQ(commit(1, a, 1, "t").partitions[0], ErrorCode::NONE);
  EXPECT_EQ(commit(1, a, 2, "u").partitions[0], ErrorCode::NONE);
  for (int i = 0; i < 56; ++i) {  // 59 s after the simple commit (3 s went to the join)
    EXPECT_EQ(heartbeat(a, 1), ErrorCode::NONE);
    advance(1'000);
  }
  EXPECT_EQ(shard_->fetch_offsets("solo", std::nullopt, false).size(), 1u) << "not yet";
  const size_t before = log_.size();
  for (int i = 0; i < 5; ++i) {  // past 60 s after both the simple commit and g's commits
    EXPECT_EQ(heartbeat(a, 1), ErrorCode::NONE);
    advance(1'000);
  }
  EXPECT_FALSE(shard_->state_of("solo")) << "no offsets left: the group is gone";
  const auto left = shard_->fetch_offsets("g", std::nullopt, false);
  ASSERT_EQ(left.size(), 1u) << "the subscribed topic's offset stays while Stable";
  EXPECT_EQ(left[0].tp.topic, "t");
  size_t tombstones = 0;
  for (size_t i = before; i < log_.size(); ++i) {
    for (const auto& r : log_[i].records)
      tombstones += r.value ? 0 : 1;
  }
  EXPECT_EQ(tombstones, 3u) << "solo's offset and group, and g's offset of u";
  // Once the group empties, its offsets count from then.
  shard_->leave("g", {{a, std::nullopt}}, now_);
  pump();
  ASSERT_EQ(shard_->state_of("g"), GroupState::kEmpty);
  advance(59'000);
  EXPECT_EQ(shard_->fetch_offsets("g", std::nullopt, false).size(), 1u);
  advance(2'000);
  EXPECT_FALSE(shard_->state_of("g"));
}

TEST_F(GroupShardTest, a_loaded_group_above_the_max_size_rebalances_at_once) {
  const std::string a = stable_single_member();
  const auto b = join_reply(join(join_request("")))->member_id;
  join(join_request(b));
  join(join_request(a));
  sync(a, 2, {{a, {}}, {b, {}}});
  ASSERT_EQ(shard_->state_of("g"), GroupState::kStable);
  auto load = [&](GroupConfig config) {
    auto target = std::make_unique<GroupShard>(config, random_);
    for (const auto& batch : log_) {
      for (const auto& rec : batch.records) {
        std::optional<ByteSpan> value;
        if (rec.value) value = ByteSpan(*rec.value);
        EXPECT_TRUE(target->replay(rec.key, value).ok());
      }
    }
    target->loaded(now_);
    return target;
  };
  EXPECT_EQ(load(config_)->state_of("g"), GroupState::kStable);
  GroupConfig small = config_;
  small.max_size = 1;  // lowered since the two-member group was written
  EXPECT_EQ(load(small)->state_of("g"), GroupState::kPreparingRebalance);
}

TEST_F(GroupShardTest, unloading_answers_parked_requests_not_coordinator) {
  const auto id = join_reply(join(join_request("")))->member_id;
  const Ticket parked = join(join_request(id));
  shard_->unload();
  pump();
  ASSERT_TRUE(join_reply(parked));
  EXPECT_EQ(join_reply(parked)->error, ErrorCode::NOT_COORDINATOR);
  EXPECT_EQ(shard_->group_count(), 0u);
}

}  // namespace
}  // namespace ferry::broker::group
