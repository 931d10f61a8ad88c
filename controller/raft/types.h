// The plain value types of the Raft core: log entries, the persistent hard state, cluster
// configuration, snapshots and read states.
//
// Vocabulary is the Raft paper's (https://raft.github.io/raft.pdf) and Diego Ongaro's thesis:
// a *term* is a logical clock, an *index* a position in the replicated log (the first real entry
// has index 1; index 0 with term 0 is the empty prefix every log shares), a *voter* a member of
// the quorum. Node ids are Kafka node ids (`node.id`, `controller.quorum.voters`), which may be 0;
// the "no node" sentinel is ferry::kNoNode (-1).
//
// These are values: copyable, comparable, no I/O. How they are laid out on disk is the driver's
// business (the RocksDB log store); how they travel is the transport's (protobuf).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/strong_types.h"

namespace ferry::raft {

// What an entry means to the state machine.
enum class EntryType : uint8_t {
  // Opaque data proposed by the state machine (a metadata record batch).
  kNormal = 0,
  // The empty entry a new leader appends at the start of its term (Raft paper 5.4.2 / thesis
  // 6.4): committing it commits everything before it, and it lets read-index serve reads.
  // State machines skip it (but it does advance the applied index).
  kLeaderNoop = 1,
  // Reserved for membership change (the core does not interpret it yet; proposing one is
  // refused). Kept here so the on-disk and wire enums need not change when it arrives.
  kConfigChange = 2,
};
std::string_view entry_type_name(EntryType type);

// The identity of a log entry: by Log Matching, two logs that hold an entry with the same
// (term, index) hold identical entries up to and including it.
struct EntryId {
  Term term{0};
  LogIndex index{0};
  auto operator<=>(const EntryId&) const = default;
};

struct Entry {
  Term term{0};
  LogIndex index{0};
  EntryType type = EntryType::kNormal;
  Bytes data;

  EntryId id() const { return EntryId{term, index}; }
  bool operator==(const Entry&) const = default;
};

// Accounting size of an entry in bytes for the max-bytes limits (payload plus a fixed header
// estimate); not an encoding size.
inline uint64_t entry_size_bytes(const Entry& entry) {
  return entry.data.size() + 24;
}
uint64_t entries_size_bytes(const std::vector<Entry>& entries);

// The state Raft requires to be on stable storage before any message that depends on it is
// sent (paper Figure 2 "Persistent state on all servers"; the log itself is persisted as
// entries). `commit` is persisted too so that a restart does not re-apply from scratch; losing
// an unsynced commit is safe (it is re-learned from the leader), losing term or vote is not.
struct HardState {
  Term term{0};
  NodeId vote = kNoNode;  // candidate voted for in `term`, or kNoNode
  LogIndex commit{0};     // highest index known to be committed

  bool empty() const { return term == Term(0) && vote == kNoNode && commit == LogIndex(0); }
  bool operator==(const HardState&) const = default;
};

// The cluster configuration: who votes. Today this is `controller.quorum.voters`; it is carried
// in snapshots so that membership change (a later addition: learners, joint consensus) has a
// place to live. `voters` is kept sorted and without duplicates.
struct ConfState {
  std::vector<NodeId> voters;

  bool empty() const { return voters.empty(); }
  bool contains(NodeId id) const;
  bool operator==(const ConfState&) const = default;
};
// Sorts and removes duplicates.
ConfState make_conf_state(std::vector<NodeId> voters);

// What a snapshot covers: the log up to and including `index` (whose term is `term`), and the
// configuration in effect at that index.
struct SnapshotMetadata {
  LogIndex index{0};
  Term term{0};
  ConfState conf_state;
  bool operator==(const SnapshotMetadata&) const = default;
};

// A snapshot: metadata plus the state machine's image at `metadata.index`, opaque to Raft.
// An empty snapshot (index 0) means "none".
struct Snapshot {
  SnapshotMetadata metadata;
  Bytes data;

  bool empty() const { return metadata.index == LogIndex(0); }
  bool operator==(const Snapshot&) const = default;
};

// The answer to a read-index request (thesis 6.4): once the local state machine has applied
// `index`, a read of it is linearizable with respect to the request identified by
// `request_context` (the opaque context the caller passed to read_index()).
struct ReadState {
  LogIndex index{0};
  Bytes request_context;
  bool operator==(const ReadState&) const = default;
};

// The role a node plays (paper 5.1; PreCandidate is the pre-vote phase of thesis 9.6).
enum class Role : uint8_t { kFollower, kPreCandidate, kCandidate, kLeader };
std::string_view role_name(Role role);

// Volatile state that is interesting to the driver (e.g. to redirect clients), not persisted.
struct SoftState {
  Role role = Role::kFollower;
  NodeId leader = kNoNode;
  bool operator==(const SoftState&) const = default;
};

}  // namespace ferry::raft
