// InvariantChecker: Raft's safety properties, checked by the simulator after every event
// (Raft paper Figure 3, plus the client-visible promises):
//
//   Election Safety      at most one leader per term, over the whole history.
//   Log Matching         entries with the same (index, term) have the same content and the same
//                        predecessor term; checked for every entry a node hands out for
//                        persistence (every entry of every log passes through a Ready), and by a
//                        periodic full scan of all logs.
//   Leader Completeness  an entry committed in term c is in the log of every leader of a term
//                        > c: checked when a node becomes leader, and when an entry is first seen
//                        committed while newer-term leaders exist.
//   State Machine Safety every node applies the same entry at each index (applied sequences are
//                        prefixes of one another), including state restored from snapshots.
//   Commit monotonicity  a node's commit index never decreases while it runs, and a restart
//                        never goes below the commit index that was synced to its disk.
//   Durability           an acknowledged proposal is the committed entry at its index forever.
//   Linearizable reads   a read served at read index r must have r >= the highest index
//                        acknowledged before the read was issued.
//
// "Committed" is learned from leaders' commit indexes (exact commit term) and from applies (the
// applying node's current term bounds the commit term from above, which keeps the checks sound).
// The first violation is kept as a message; the simulator stops at it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "controller/raft/memory_storage.h"
#include "controller/raft/raw_node.h"

namespace ferry::raft::sim {

// One entry as the state machine records it.
struct AppliedRecord {
  LogIndex index{0};
  Term term{0};
  EntryType type = EntryType::kNormal;
  uint64_t data_hash = 0;
  bool operator==(const AppliedRecord&) const = default;
};
uint64_t hash_bytes(const Bytes& data);
AppliedRecord applied_record(const Entry& entry);

// What the checker may look at for one running node: its core and its log as handed out to the
// driver (stable storage overlaid by the Ready being persisted, if any).
struct NodeView {
  NodeId id = kNoNode;
  Role role = Role::kFollower;
  Term term{0};
  LogIndex commit{0};
  const MemoryStorage* storage = nullptr;
  const Ready* in_flight = nullptr;  // the Ready between ready() and advance(), if any

  // First index still present (earlier ones are compacted into the snapshot) and last index.
  LogIndex first_index() const;
  LogIndex last_index() const;
  // Term at `index` for index in [first_index() - 1, last_index()]; nullopt otherwise.
  std::optional<Term> term_at(LogIndex index) const;
  // Entry at `index` for index in [first_index(), last_index()]; nullopt otherwise.
  std::optional<Entry> entry_at(LogIndex index) const;
};

class InvariantChecker {
 public:
  bool ok() const { return !violation_.has_value(); }
  const std::string& violation() const { return *violation_; }

  // A node handed out `ready`; `before` shows its log before it (no Ready in flight).
  void on_ready(const NodeView& before, const Ready& ready);
  // A node's state machine applied `entry` while the node was in `node_term`.
  void on_apply(NodeId node, Term node_term, const Entry& entry);
  // A node's state machine was replaced by a snapshot holding `records` (indexes 1..n).
  void on_restore(NodeId node, const std::vector<AppliedRecord>& records);
  // The client saw the proposal with `id` and content hash acknowledged.
  void on_acknowledged(EntryId id, uint64_t data_hash);
  // Every acknowledged proposal at or below `up_to` is the committed entry at its index.
  void check_acknowledged_durable(LogIndex up_to);
  // A read issued when `acked_at_issue` was the highest acknowledged index was served at `index`.
  void on_read_served(NodeId node, LogIndex index, LogIndex acked_at_issue);
  void on_crash(NodeId node, LogIndex synced_commit);
  void on_restart(NodeId node, LogIndex recovered_commit);
  // After every event, with every running node.
  void after_event(const std::vector<NodeView>& nodes);
  // Full Log Matching scan over the running nodes' logs.
  void check_logs(const std::vector<NodeView>& nodes);

  LogIndex max_acknowledged_index() const { return max_acked_; }
  const std::map<LogIndex, std::pair<Term, uint64_t>>& acknowledged() const { return acked_; }
  // The committed entry at `index` as far as the checker knows.
  std::optional<AppliedRecord> committed(LogIndex index) const;
  size_t leaders_elected() const { return leader_of_term_.size(); }
  LogIndex highest_committed() const { return LogIndex(static_cast<int64_t>(committed_.size())); }

 private:
  struct Committed {
    AppliedRecord record;
    Term commit_term{0};  // upper bound of the term in which it was committed
    bool known = false;
  };
  struct LogKey {
    int64_t index, term;
    bool operator==(const LogKey&) const = default;
  };
  struct LogKeyHash {
    size_t operator()(const LogKey& k) const {
      return std::hash<int64_t>()(k.index * 1000003 + k.term);
    }
  };
  struct LogValue {
    uint64_t data_hash;
    EntryType type;
    int64_t prev_term;
  };

  void fail(std::string message);
  void check_entry_identity(NodeId node, const Entry& entry, Term prev_term);
  // Records or compares the committed entry at record.index.
  void note_committed(NodeId node, const AppliedRecord& record, Term commit_term);
  void check_leader_has(const NodeView& leader, const AppliedRecord& record, Term commit_term);
  void check_new_leader(const NodeView& view);
  void check_leader_commits(const NodeView& view);

  std::optional<std::string> violation_;
  std::map<Term, NodeId> leader_of_term_;
  std::unordered_map<LogKey, LogValue, LogKeyHash> log_entries_;
  std::vector<Committed> committed_;  // committed_[i - 1] is index i
  std::map<NodeId, LogIndex> commit_seen_;
  std::map<NodeId, LogIndex> leader_commit_seen_;
  std::map<NodeId, LogIndex> applied_;
  std::map<NodeId, LogIndex> synced_commit_at_crash_;
  std::map<LogIndex, std::pair<Term, uint64_t>> acked_;
  LogIndex max_acked_{0};
  // Entries first seen committed since the last after_event(), checked against the leaders then.
  std::vector<Committed> newly_committed_;
};

}  // namespace ferry::raft::sim
