// Test helpers for the Raft core: a single node driven by hand (NodeHarness) and a small
// in-memory cluster with a synchronous, filterable network (TestCluster). Both follow the
// RawNode contract exactly: persist to MemoryStorage, then send, then apply, then advance.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/random.h"
#include "controller/raft/memory_storage.h"
#include "controller/raft/message.h"
#include "controller/raft/raw_node.h"

namespace ferry::raft::test {}  // namespace ferry::raft::test

namespace ferry {
// gtest printer for strong ids (otherwise printed as raw bytes).
template <typename Tag, typename Rep>
void PrintTo(const StrongInt<Tag, Rep>& value, std::ostream* os) {
  *os << value.value();
}
}  // namespace ferry

namespace ferry::raft {
// gtest printers for failure messages.
inline void PrintTo(const EntryId& id, std::ostream* os) {
  *os << "(t=" << id.term.value() << " i=" << id.index.value() << ")";
}
inline void PrintTo(const Entry& e, std::ostream* os) {
  *os << "Entry(t=" << e.term.value() << " i=" << e.index.value() << " " << entry_type_name(e.type)
      << " " << e.data.size() << "B)";
}
inline void PrintTo(const Message& m, std::ostream* os) {
  *os << describe(m);
}
}  // namespace ferry::raft

namespace ferry::raft::test {

inline Bytes to_bytes(std::string_view s) {
  return Bytes(s.begin(), s.end());
}
inline std::string to_string(const Bytes& b) {
  return std::string(b.begin(), b.end());
}

inline std::vector<NodeId> ids(std::initializer_list<int> values) {
  std::vector<NodeId> out;
  for (int v : values)
    out.push_back(NodeId(v));
  return out;
}

inline Config make_config(int id, std::vector<NodeId> voters) {
  Config config;
  config.id = NodeId(id);
  config.voters = std::move(voters);
  config.election_timeout_ticks = 10;
  config.heartbeat_ticks = 1;
  config.pre_vote = false;  // the paper's protocol; feature tests turn extensions on
  config.check_quorum = false;
  return config;
}

// Entries with the given terms at indexes first, first+1, ...
inline std::vector<Entry> entries_with_terms(int64_t first, std::initializer_list<int64_t> terms) {
  std::vector<Entry> out;
  int64_t index = first;
  for (int64_t term : terms) {
    out.push_back(Entry{Term(term), LogIndex(index++), EntryType::kNormal, {}});
  }
  return out;
}

inline Message make_message(MessageType type, int from, int to, int64_t term) {
  Message m;
  m.type = type;
  m.from = NodeId(from);
  m.to = NodeId(to);
  m.term = Term(term);
  return m;
}

inline Message make_append(int from, int to, int64_t term, int64_t prev_term, int64_t prev_index,
                           std::vector<Entry> entries, int64_t commit) {
  Message m = make_message(MessageType::kAppend, from, to, term);
  m.log_term = Term(prev_term);
  m.index = LogIndex(prev_index);
  m.entries = std::move(entries);
  m.commit = LogIndex(commit);
  return m;
}

inline std::vector<Message> of_type(const std::vector<Message>& messages, MessageType type) {
  std::vector<Message> out;
  for (const Message& m : messages) {
    if (m.type == type) out.push_back(m);
  }
  return out;
}

// One node, driven by hand: inputs are called directly, outputs collected with drain().
class NodeHarness {
 public:
  explicit NodeHarness(Config config, uint64_t seed = 1)
      : config_(std::move(config)), random_(seed) {
    start();
  }
  // The RawNode refers to storage_ and random_: never copy or move a harness.
  NodeHarness(const NodeHarness&) = delete;
  NodeHarness& operator=(const NodeHarness&) = delete;

  void start() {
    auto created = RawNode::create(config_, storage_, random_);
    ASSERT_TRUE(created.ok()) << created.error().to_string();
    node_ = std::move(created).value();
  }
  // Crash and restart from what was persisted (MemoryStorage keeps it).
  void restart() {
    node_.reset();
    config_.applied = LogIndex(0);
    applied_.clear();
    start();
  }

  // Handles every pending Ready following the contract; returns the messages that were "sent".
  std::vector<Message> drain() {
    std::vector<Message> sent;
    while (node_->has_ready()) {
      Ready rd = node_->ready();
      persist(rd);
      for (Message& m : rd.messages)
        sent.push_back(std::move(m));
      apply(rd);
      node_->advance();
    }
    return sent;
  }

  // Makes this node leader of the next term, granting every (pre-)vote it asks for; returns
  // the messages produced once it is leader.
  std::vector<Message> elect() {
    node_->campaign();
    std::deque<Message> pending;
    for (Message& m : drain())
      pending.push_back(std::move(m));
    while (!pending.empty() && node_->role() != Role::kLeader) {
      const Message m = std::move(pending.front());
      pending.pop_front();
      if (m.type != MessageType::kVote && m.type != MessageType::kPreVote) continue;
      const MessageType response =
          m.type == MessageType::kVote ? MessageType::kVoteResponse : MessageType::kPreVoteResponse;
      EXPECT_TRUE(
          node_->step(make_message(response, m.to.value(), m.from.value(), m.term.value())).ok());
      for (Message& more : drain())
        pending.push_back(std::move(more));
    }
    EXPECT_EQ(node_->role(), Role::kLeader);
    return drain();
  }

  // Replaces the stored log and hard state (as if persisted earlier) and restarts.
  void reset_storage(const std::vector<Entry>& entries, HardState hard_state) {
    node_.reset();
    storage_ = MemoryStorage();
    ASSERT_TRUE(storage_.append(entries).ok());
    storage_.set_hard_state(hard_state);
    applied_.clear();
    start();
  }

  Status step(const Message& m) { return node_->step(m); }
  RawNode& node() { return *node_; }
  MemoryStorage& storage() { return storage_; }
  Config& config() { return config_; }
  const std::vector<Entry>& applied() const { return applied_; }
  std::vector<ReadState>& read_states() { return read_states_; }
  // Normal entries applied so far, as strings.
  std::vector<std::string> applied_data() const {
    std::vector<std::string> out;
    for (const Entry& e : applied_) {
      if (e.type == EntryType::kNormal) out.push_back(to_string(e.data));
    }
    return out;
  }

 private:
  void persist(const Ready& rd) {
    if (rd.snapshot) {
      ASSERT_TRUE(storage_.apply_snapshot(*rd.snapshot).ok());
    }
    ASSERT_TRUE(storage_.append(rd.entries).ok());
    if (rd.hard_state) storage_.set_hard_state(*rd.hard_state);
  }
  void apply(const Ready& rd) {
    if (rd.snapshot) applied_.clear();  // state machine replaced
    for (const Entry& e : rd.committed_entries) {
      if (!applied_.empty()) {
        EXPECT_EQ(e.index, applied_.back().index + 1) << "applied out of order";
      }
      applied_.push_back(e);
    }
    for (const ReadState& rs : rd.read_states)
      read_states_.push_back(rs);
  }

  Config config_;
  SeededRandom random_;
  MemoryStorage storage_;
  std::unique_ptr<RawNode> node_;
  std::vector<Entry> applied_;
  std::vector<ReadState> read_states_;
};

// A cluster of NodeHarness behind a synchronous network that drops what the filters say.
class TestCluster {
 public:
  explicit TestCluster(std::vector<NodeId> voters,
                       const std::function<void(Config&)>& tweak = nullptr, uint64_t seed = 1) {
    for (NodeId id : voters) {
      Config config = make_config(id.value(), voters);
      if (tweak) tweak(config);
      nodes_.emplace(id, std::make_unique<NodeHarness>(config, seed * 1000 + id.value()));
    }
  }

  NodeHarness& operator[](int id) { return *nodes_.at(NodeId(id)); }
  RawNode& node(int id) { return nodes_.at(NodeId(id))->node(); }

  // Drops every message from or to `id` until heal().
  void isolate(int id) { isolated_.insert(NodeId(id)); }
  // Drops messages from `from` to `to` until heal().
  void cut(int from, int to) { cut_.insert({NodeId(from), NodeId(to)}); }
  void heal() {
    isolated_.clear();
    cut_.clear();
  }
  // Additional drop rule (e.g. by message type); nullptr clears it.
  void set_drop_filter(std::function<bool(const Message&)> filter) { filter_ = std::move(filter); }

  // Delivers messages and handles Readies until nothing moves (bounded).
  void stabilize() {
    for (int round = 0; round < 10000; ++round) {
      bool progress = false;
      for (auto& [id, harness] : nodes_) {
        for (Message& m : harness->drain()) {
          progress = true;
          if (!dropped(m)) in_flight_.push_back(std::move(m));
        }
      }
      while (!in_flight_.empty()) {
        progress = true;
        Message m = std::move(in_flight_.front());
        in_flight_.pop_front();
        auto it = nodes_.find(m.to);
        if (it == nodes_.end()) continue;
        Status status = it->second->step(m);
        EXPECT_TRUE(status.ok()) << describe(m) << ": " << status.error().to_string();
      }
      if (!progress) return;
    }
    ADD_FAILURE() << "cluster did not stabilize";
  }

  void tick(int id, int count = 1) {
    for (int i = 0; i < count; ++i)
      node(id).tick();
  }
  void tick_all(int count = 1) {
    for (int i = 0; i < count; ++i) {
      for (auto& [id, harness] : nodes_)
        harness->node().tick();
      stabilize();
    }
  }
  // Campaigns from `id` and settles; expects it to win.
  void elect(int id) {
    node(id).campaign();
    stabilize();
    ASSERT_EQ(node(id).role(), Role::kLeader) << "node " << id << " did not win";
  }
  // Proposes on `leader` and settles; returns the entry id.
  EntryId propose(int leader, std::string_view data) {
    auto result = node(leader).propose(to_bytes(data));
    EXPECT_TRUE(result.ok()) << result.error().to_string();
    stabilize();
    return result.ok() ? *result : EntryId{};
  }

 private:
  bool dropped(const Message& m) const {
    return isolated_.count(m.from) || isolated_.count(m.to) || cut_.count({m.from, m.to}) ||
           (filter_ && filter_(m));
  }

  std::map<NodeId, std::unique_ptr<NodeHarness>> nodes_;
  std::deque<Message> in_flight_;
  std::set<NodeId> isolated_;
  std::set<std::pair<NodeId, NodeId>> cut_;
  std::function<bool(const Message&)> filter_;
};

}  // namespace ferry::raft::test
