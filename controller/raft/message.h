// Raft messages between voters: one plain struct, whose fields mean different things per type
// (as in etcd-raft's raftpb.Message). The transport converts to and from protobuf; the core never
// sees bytes on the wire.
//
// Field use per type ("-" = unused, must be left at its default):
//
//   type                 term         log_term          index               commit  other
//   -------------------  -----------  ----------------  ------------------  ------
//   ---------------------- kPreVote             cand.term+1  cand. last term   cand. last index - -
//   kVote                cand.term    cand. last term   cand. last index    -       transfer
//   kPreVoteResponse     (1)          -                 -                   -       reject
//   kVoteResponse        (1)          -                 -                   -       reject
//   kAppend              leader term  term of `index`   entry before        leader  entries
//                                                       `entries` (prev)    commit
//   kAppendResponse      sender term  reject: hint term ok: last matching   -       reject,
//   reject_hint
//                                                       index; reject: the
//                                                       rejected `index`
//   kHeartbeat           leader term  -                 -                   (2)     context (read
//   index) kHeartbeatResponse   sender term  -                 -                   -       context
//   (echoed) kInstallSnapshot     leader term  -                 -                   - snapshot
//   kInstallSnapshotResp sender term  -                 last index after    -       -
//   kTimeoutNow          leader term  -                 -                   -       -
//   kReadIndex           sender term  -                 -                   -       context
//   kReadIndexResponse   leader term  -                 read index          -       context
//
//   (1) a granted (pre-)vote carries the term of the request, a rejection the voter's term, so
//       that a pre-candidate (whose own term is one lower) does not drop its grants as stale.
//   (2) min(follower's match index, leader commit): a follower may only commit what it is known
//       to share with the leader.
//
// Every message carries `from`, `to` and `term`. Messages are validated structurally by
// validate_message() before the core acts on them; a malformed message is refused with
// INVALID_REQUEST, never a crash.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/error.h"
#include "common/strong_types.h"
#include "controller/raft/types.h"

namespace ferry::raft {

enum class MessageType : uint8_t {
  kPreVote = 0,
  kPreVoteResponse = 1,
  kVote = 2,
  kVoteResponse = 3,
  kAppend = 4,
  kAppendResponse = 5,
  kHeartbeat = 6,
  kHeartbeatResponse = 7,
  kInstallSnapshot = 8,
  kInstallSnapshotResponse = 9,
  kTimeoutNow = 10,
  kReadIndex = 11,
  kReadIndexResponse = 12,
};
inline constexpr int kMessageTypeCount = 13;
std::string_view message_type_name(MessageType type);

struct Message {
  MessageType type = MessageType::kHeartbeat;
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  Term term{0};

  Term log_term{0};
  LogIndex index{0};
  LogIndex commit{0};
  std::vector<Entry> entries;

  bool reject = false;
  // kAppendResponse rejection: the follower's guess of the highest index at which its log may
  // match the leader's (with `log_term` its term there), for fast back-off (thesis 3.5).
  LogIndex reject_hint{0};
  // kVote: the campaign was started by kTimeoutNow (leadership transfer), so voters must not
  // ignore it because they heard from a leader recently.
  bool transfer = false;
  // kHeartbeat(+Response), kReadIndex(+Response): read-index request context.
  Bytes context;
  // kInstallSnapshot only.
  std::optional<Snapshot> snapshot;

  bool operator==(const Message&) const = default;
};

// True for the types a node sends in reply to another (they never start anything).
bool is_response(MessageType type);

// Structural checks that do not need any Raft state: known type, ids set and distinct,
// non-negative terms and indexes, entries contiguous after `index` with non-decreasing terms no
// newer than the message term, a snapshot present exactly on kInstallSnapshot and consistent.
// INVALID_REQUEST with a message naming the problem when it fails.
Status validate_message(const Message& message);

// One line for logs and test failures: "Append 1->2 t=3 lt=2 i=7 c=6 ents=[8..9]".
std::string describe(const Message& message);

}  // namespace ferry::raft
