// Internal to GroupShard (group_shard.h); NOT part of the ferry_group interface. Included only by
// the three files that define GroupShard::Impl:
//   * group_shard.cc: membership and the group state machine (Join, Sync, Heartbeat, Leave,
//     rebalances, static membership), List/Describe;
//   * group_lifecycle.cc: deadlines (advance), results of appends, loading by replay, unload;
//   * group_offsets.cc: offsets (OffsetCommit, OffsetFetch, DeleteGroups, OffsetDelete, offset
//     expiry).
// Types and declarations only, no storage. The shared types live in namespace `detail` (not an
// anonymous namespace: both translation units see them, so they must be the same entities).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "broker/group/group_shard.h"
#include "broker/group/offsets_records.h"
#include "common/bytes.h"
#include "common/error.h"
#include "common/random.h"

namespace ferry::broker::group {
namespace detail {

inline constexpr int64_t kNever = INT64_MAX;

struct Member {
  std::string id;
  std::optional<std::string> instance_id;
  std::string client_id;
  std::string client_host;
  int32_t rebalance_timeout_ms = 0;
  int32_t session_timeout_ms = 0;
  std::vector<Protocol> protocols;
  Bytes assignment;
  std::optional<Ticket> join_ticket;  // a parked JoinGroup ("awaiting join")
  bool join_skip_assignment = false;  // that JoinGroup was v9+
  std::optional<Ticket> sync_ticket;  // a parked SyncGroup ("awaiting sync")
  bool is_new = false;
  int64_t deadline_ms = kNever;  // session (or the new-member join timeout)

  const Bytes* metadata_for(const std::string& protocol) const {
    for (const auto& p : protocols) {
      if (p.name == protocol) return &p.metadata;
    }
    return nullptr;
  }
};

struct Group {
  std::string id;
  GroupState state = GroupState::kEmpty;
  int32_t generation = 0;
  std::string protocol_type;  // "" = none yet (a simple group)
  std::optional<std::string> protocol;
  std::optional<std::string> leader;
  std::map<std::string, Member> members;
  std::map<std::string, std::string> static_members;  // instance id -> member id
  std::map<std::string, int64_t> pending_members;     // MEMBER_ID_REQUIRED ids -> deadline
  std::set<std::string> pending_sync;
  int64_t state_timestamp_ms = -1;
  bool new_member_added = false;
  int64_t join_deadline_ms = kNever;
  bool initial_delay = false;
  int64_t initial_delay_remaining_ms = 0;
  int64_t sync_deadline_ms = kNever;
  std::map<TopicPartitionRef, OffsetValue> offsets;
  std::map<TopicPartitionRef, int> pending_commits;
  std::optional<uint64_t> storing_assignment;  // append id of the leader's SyncGroup record

  bool has(const std::string& member) const { return members.count(member) > 0; }
  int32_t rebalance_timeout_ms() const {
    int32_t t = 0;
    for (const auto& [_, m] : members)
      t = std::max(t, m.rebalance_timeout_ms);
    return t;
  }
  size_t awaiting_join() const {
    size_t n = 0;
    for (const auto& [_, m] : members)
      n += m.join_ticket ? 1 : 0;
    return n;
  }
};

// The GROUPS.md 1.6 table (defined in group_shard.cc).
ErrorCode map_store_error(ErrorCode append, bool offset_commit);

// What an append in flight will do when it completes.
struct StoreAssignment {
  std::string group;
  int32_t generation;
  std::map<std::string, Bytes> assignments;
};
struct StoreCommit {
  Ticket ticket;
  std::string group;
  std::vector<std::pair<TopicPartitionRef, OffsetValue>> offsets;  // the ones written
  CommitResponse response;                                         // NONE where written
  std::vector<size_t> written_index;  // response index of each written offset
};
struct StoreStaticRejoin {
  Ticket ticket;
  std::string group;
  std::string old_id;
  std::string new_id;
  Member previous;  // to undo the swap if the write fails
  JoinResponse response;
};
struct StoreLog {
  std::string what;
};
struct StoreDelete {
  Ticket ticket;
};
struct StoreOffsetDelete {
  Ticket ticket;
  std::string group;
  std::vector<TopicPartitionRef> removed;
  OffsetDeleteResponse response;
};
using Store = std::variant<StoreAssignment, StoreCommit, StoreStaticRejoin, StoreLog, StoreDelete,
                           StoreOffsetDelete>;

}  // namespace detail

struct GroupShard::Impl {
  GroupConfig config;
  Random& random;
  std::map<std::string, detail::Group> groups;
  std::vector<Reply> replies;
  std::vector<Append> appends;
  uint64_t next_append = 1;
  std::map<uint64_t, detail::Store> stores;
  int64_t next_expiry_check_ms = -1;
  // Loading: the last record per key, replayed in log order.
  std::map<std::string, GroupValue> loaded_groups;
  std::map<std::string, std::map<TopicPartitionRef, OffsetValue>> loaded_offsets;

  Impl(GroupConfig c, Random& r);

  template <typename T>
  void reply(Ticket t, T body);

  // --- group_shard.cc ---

  // Helpers shared by every part.
  uint64_t append(std::vector<OffsetsRecord> records, detail::Store store);
  detail::Group* find(const std::string& id);
  void transition(detail::Group& g, GroupState to, int64_t now);
  std::string new_member_id(const JoinRequest& r);
  GroupValue group_value(const detail::Group& g,
                         const std::map<std::string, Bytes>* assignments = nullptr) const;
  OffsetsRecord group_record(const detail::Group& g,
                             const std::map<std::string, Bytes>* assignments = nullptr) const;

  // Members and rebalances (2.3, 2.4, 2.6).
  JoinResponse join_answer(const detail::Group& g, const detail::Member& m,
                           bool with_members) const;
  JoinResponse join_error(ErrorCode code, std::string member_id = "") const;
  void arm_session(detail::Member& m, int64_t now);
  void prepare_rebalance(detail::Group& g, int64_t now);
  void reset_assignment_phase(detail::Group& g);
  void maybe_rebalance(detail::Group& g, int64_t now);
  void add_member(detail::Group& g, detail::Member m, Ticket ticket, bool skip_ok, int64_t now);
  void remove_member(detail::Group& g, const std::string& id, int64_t now);
  bool all_joined(const detail::Group& g) const;
  void try_complete_join(detail::Group& g, int64_t now);
  void complete_join(detail::Group& g, int64_t now);
  std::string select_protocol(const detail::Group& g) const;
  bool protocols_compatible(const detail::Group& g, const JoinRequest& r) const;
  ErrorCode validate_member(const detail::Group& g, const std::string& member_id,
                            const std::optional<std::string>& instance_id) const;
  bool accepts_new_member(const detail::Group& g, const std::string& member_id) const;
  void join(Ticket t, const JoinRequest& r, int64_t now);
  detail::Member member_from(const JoinRequest& r, std::string id) const;
  void join_new_member(detail::Group& g, Ticket t, const JoinRequest& r, int64_t now);
  void update_member(detail::Member& m, const JoinRequest& r);
  void static_rejoin(detail::Group& g, Ticket t, const JoinRequest& r, const std::string& old_id,
                     const std::string& new_id, int64_t now);
  void join_known_member(detail::Group& g, Ticket t, const JoinRequest& r, int64_t now);

  // SyncGroup (2.5).
  SyncResponse sync_error(ErrorCode code) const;
  void sync(Ticket t, const SyncRequest& r, int64_t now);
  void assignment_stored(const detail::StoreAssignment& s, ErrorCode error, uint64_t id,
                         int64_t now);

  // Heartbeat and LeaveGroup (2.6, 2.7).
  ErrorCode heartbeat(const HeartbeatRequest& r, int64_t now);
  LeaveResponse leave(const std::string& group_id, const std::vector<LeaveMember>& members,
                      int64_t now);

  // --- group_lifecycle.cc ---

  // Time; completion of appends.
  void advance(int64_t now);
  void expire_pending_members(detail::Group& g, int64_t now);
  void expire_sessions(detail::Group& g, int64_t now);
  void join_deadline_passed(detail::Group& g, int64_t now);
  void sync_deadline_passed(detail::Group& g, int64_t now);
  std::optional<int64_t> next_deadline() const;
  void appended(uint64_t id, ErrorCode error, int64_t now);
  void static_rejoin_stored(detail::StoreStaticRejoin& s, ErrorCode error, int64_t);

  // Loading (4.3).
  Status replay(ByteSpan key, std::optional<ByteSpan> value);
  void loaded(int64_t now);
  void unload();

  // --- group_offsets.cc: offsets (3.1-3.4) ---

  void commit(Ticket t, const CommitRequest& r, int64_t now);
  void commit_stored(detail::StoreCommit& s, ErrorCode error);
  std::vector<FetchedOffset> fetch_offsets(const std::string& group_id,
                                           const std::optional<std::vector<TopicPartitionRef>>& tps,
                                           bool require_stable) const;
  std::optional<std::set<std::string>> subscribed_topics(const detail::Group& g) const;
  void delete_offsets(Ticket t, const std::string& group_id,
                      const std::vector<TopicPartitionRef>& tps, int64_t);
  void delete_group(Ticket t, const std::string& group_id, int64_t now);
  void expire_offsets(int64_t now);
  void offsets_deleted(detail::StoreOffsetDelete& s, ErrorCode error);
};

template <typename T>
void GroupShard::Impl::reply(Ticket t, T body) {
  Reply& r = replies.emplace_back();
  r.ticket = t;
  r.body.template emplace<T>(std::move(body));
}

}  // namespace ferry::broker::group
