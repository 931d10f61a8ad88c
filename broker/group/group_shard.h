// GroupShard: the classic consumer-group coordinator of one `__consumer_offsets` partition, as
// a pure state machine (GROUPS.md sections 2-4; Kafka 4.0's GroupCoordinatorShard has the same
// split). No threads, clocks or I/O: every input carries `now_ms`, and the outputs are
//   * replies to requests that had to wait (a JoinGroup parked until the join phase ends, a
//     SyncGroup until the leader's assignment is stored, a commit until its records are
//     appended), each tagged with the Ticket the driver gave the request;
//   * records to append to the partition (acks=all), each batch with an id that the driver
//     reports back through appended(). Memory changes only once an append succeeded.
// Deadlines (sessions, join phases, pending syncs, member-id reservations) are kept inside; the
// driver calls advance(now) at next_deadline() or sooner.
//
// The driver owns placement (which partition a group lives on, NOT_COORDINATOR and
// COORDINATOR_LOAD_IN_PROGRESS), topic existence checks, and the wire versions: requests come
// in already normalised (e.g. JoinGroup v0's missing rebalance timeout is the session timeout).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "broker/group/offsets_records.h"
#include "common/bytes.h"
#include "common/error.h"
#include "common/random.h"

namespace ferry::broker::group {

enum class GroupState { kEmpty, kPreparingRebalance, kCompletingRebalance, kStable, kDead };
std::string_view state_name(GroupState state);

struct GroupConfig {
  int32_t min_session_timeout_ms = 6000;
  int32_t max_session_timeout_ms = 1800000;
  int32_t initial_rebalance_delay_ms = 3000;
  int32_t max_size = INT32_MAX;
  int32_t new_member_join_timeout_ms = 5 * 60 * 1000;  // KAFKA-7610
  int32_t offset_metadata_max_bytes = 4096;
  int64_t offsets_retention_ms = 7LL * 24 * 3600 * 1000;  // offsets.retention.minutes
  int64_t offsets_retention_check_interval_ms = 600000;
};

using Ticket = uint64_t;

struct Protocol {
  std::string name;
  Bytes metadata;
  bool operator==(const Protocol&) const = default;
};

struct JoinRequest {
  std::string group_id;
  std::string member_id;
  std::optional<std::string> instance_id;
  std::string client_id;
  std::string client_host;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = 0;
  std::string protocol_type;
  std::vector<Protocol> protocols;
  bool require_known_member_id = false;   // JoinGroup v4+ (KIP-394)
  bool supports_skip_assignment = false;  // JoinGroup v9+ (KIP-814)
};

struct JoinMember {
  std::string member_id;
  std::optional<std::string> instance_id;
  Bytes metadata;
};

struct JoinResponse {
  ErrorCode error = ErrorCode::NONE;
  int32_t generation = -1;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::string leader;
  std::string member_id;
  bool skip_assignment = false;
  std::vector<JoinMember> members;  // the leader's answer only
};

struct SyncRequest {
  std::string group_id;
  std::string member_id;
  std::optional<std::string> instance_id;
  int32_t generation = -1;
  std::optional<std::string> protocol_type;  // v5+
  std::optional<std::string> protocol_name;  // v5+
  std::vector<std::pair<std::string, Bytes>> assignments;
};

struct SyncResponse {
  ErrorCode error = ErrorCode::NONE;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  Bytes assignment;
};

struct HeartbeatRequest {
  std::string group_id;
  std::string member_id;
  std::optional<std::string> instance_id;
  int32_t generation = -1;
};

struct LeaveMember {
  std::string member_id;
  std::optional<std::string> instance_id;
};

struct LeaveResponse {
  ErrorCode error = ErrorCode::NONE;  // group-level
  std::vector<ErrorCode> members;     // one per requested member
};

struct TopicPartitionRef {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartitionRef&) const = default;
};

struct CommitPartition {
  TopicPartitionRef tp;
  int64_t offset = 0;
  int32_t leader_epoch = -1;
  std::optional<std::string> metadata;
  int64_t commit_timestamp_ms = -1;  // v1's per-partition timestamp; -1: now
};

struct CommitRequest {
  std::string group_id;
  int32_t generation = -1;
  std::string member_id;
  std::optional<std::string> instance_id;
  int64_t retention_ms = -1;  // v2-4; -1: the broker's retention
  std::vector<CommitPartition> partitions;
};

struct CommitResponse {
  std::vector<ErrorCode> partitions;  // in request order
};

struct FetchedOffset {
  TopicPartitionRef tp;
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::string metadata;
  ErrorCode error = ErrorCode::NONE;
};

struct ListedGroup {
  std::string group_id;
  std::string protocol_type;
  GroupState state = GroupState::kEmpty;
};

struct DescribedMember {
  std::string member_id;
  std::optional<std::string> instance_id;
  std::string client_id;
  std::string client_host;
  Bytes metadata;
  Bytes assignment;
};

struct DescribedGroup {
  ErrorCode error = ErrorCode::NONE;
  std::string group_id;
  std::string state;
  std::string protocol_type;
  std::string protocol_data;
  std::vector<DescribedMember> members;
};

struct OffsetDeleteResponse {
  ErrorCode error = ErrorCode::NONE;  // group-level
  std::vector<ErrorCode> partitions;  // in request order
};

// One answer released by the shard.
struct Reply {
  Ticket ticket = 0;
  std::variant<JoinResponse, SyncResponse, CommitResponse, ErrorCode, OffsetDeleteResponse> body;
};

// One record of __consumer_offsets: a null value is a tombstone.
struct OffsetsRecord {
  Bytes key;
  std::optional<Bytes> value;
};

// Records to append as one batch; report the outcome with appended(id, ...).
struct Append {
  uint64_t id = 0;
  std::vector<OffsetsRecord> records;
};

class GroupShard {
 public:
  GroupShard(GroupConfig config, Random& random);
  ~GroupShard();
  GroupShard(const GroupShard&) = delete;
  GroupShard& operator=(const GroupShard&) = delete;

  // --- Requests --------------------------------------------------------------------------------
  // Answered through take_replies(), at once or when the join phase / append completes.
  void join(Ticket ticket, const JoinRequest& request, int64_t now_ms);
  void sync(Ticket ticket, const SyncRequest& request, int64_t now_ms);
  void commit(Ticket ticket, const CommitRequest& request, int64_t now_ms);
  // DeleteGroups for one group; the reply body is an ErrorCode.
  void delete_group(Ticket ticket, const std::string& group_id, int64_t now_ms);
  void delete_offsets(Ticket ticket, const std::string& group_id,
                      const std::vector<TopicPartitionRef>& partitions, int64_t now_ms);
  // Answered at once.
  ErrorCode heartbeat(const HeartbeatRequest& request, int64_t now_ms);
  LeaveResponse leave(const std::string& group_id, const std::vector<LeaveMember>& members,
                      int64_t now_ms);
  // `partitions` empty optional: every committed partition. UNSTABLE_OFFSET_COMMIT per
  // partition with a commit still being appended when `require_stable`.
  std::vector<FetchedOffset> fetch_offsets(
      const std::string& group_id, const std::optional<std::vector<TopicPartitionRef>>& partitions,
      bool require_stable) const;
  std::vector<ListedGroup> list_groups() const;
  DescribedGroup describe(const std::string& group_id) const;

  // --- Time and appends ------------------------------------------------------------------------
  // Runs what is due: session, join, sync and member-id deadlines, and every
  // offsets.retention.check.interval.ms the offset expiry of GROUPS.md 3.3 (expired offsets
  // and emptied groups get tombstones).
  void advance(int64_t now_ms);
  std::optional<int64_t> next_deadline() const;
  // `error`: NONE, or what the append failed with (mapped per GROUPS.md 1.6).
  void appended(uint64_t append_id, ErrorCode error, int64_t now_ms);

  // --- Loading ---------------------------------------------------------------------------------
  // One record of the partition, in log order (a null value is a tombstone). Fails on a value
  // that does not parse: a load must not serve partial state.
  Status replay(ByteSpan key, std::optional<ByteSpan> value);
  // Builds the groups from what was replayed and arms their session timers.
  void loaded(int64_t now_ms);
  // Leadership lost: every waiting request gets NOT_COORDINATOR, every group goes.
  void unload();

  std::vector<Reply> take_replies();
  std::vector<Append> take_appends();
  size_t group_count() const;
  std::optional<GroupState> state_of(const std::string& group_id) const;
  int32_t generation_of(const std::string& group_id) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::broker::group
