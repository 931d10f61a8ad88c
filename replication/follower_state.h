// The pure replication state of one partition on a follower: what to fetch next, how to read
// the leader's answer (append, truncate on divergence, restart at the leader's log start,
// back off), and the follower's high watermark.
//
// No I/O, clocks, threads or locks: the fetcher (replication/fetcher.*) describes the local log
// (LocalLog), passes the leader's answer in, and carries out the Decision on storage.
//
// Rules, with their sources:
//  * A follower truncates ONLY on epoch divergence, never to its local HW (KIP-101): every fetch
//    carries the epoch of the last batch it holds (LastFetchedEpoch, KIP-320) and the leader
//    answers DivergingEpoch {epoch E, end offset O} when that epoch ended earlier on the leader.
//    The follower then looks up its own end of E (the largest local epoch <= E):
//      - it has E itself: truncate to min(O, its end of E);
//      - it only has an older epoch E' < E: truncate to its end of E' and fetch again, so the
//        next round checks E' (KIP-279: walking back across several epochs);
//      - it has no epoch <= E at all: truncate to min(O, its log end).
//    A DivergingEpoch with an undefined end (-1) means the leader has no epoch history: the
//    follower restarts its log at the leader's log start.
//  * OFFSET_OUT_OF_RANGE below the leader's log start: the follower restarts its log there.
//  * HW = min(the leader's HW, the local log end); it may go backwards after a truncation or
//    when a new leader's HW lags (only a leader's HW is monotonic).
//  * Errors that mean "my view of the leadership is stale" (NOT_LEADER_OR_FOLLOWER,
//    FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH, UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_TOPIC_ID) and
//    I/O errors back off; a newer assignment replaces this state.
#pragma once

#include <functional>
#include <optional>

#include "common/error.h"
#include "common/strong_types.h"
#include "storage/leader_epoch_cache.h"

namespace ferry::replication {

// What the fetcher knows of the follower's own log when it asks or decides.
struct LocalLog {
  Offset log_start{0};
  Offset log_end{0};
  Offset durable_end{0};
  LeaderEpoch latest_epoch{-1};  // epoch of the last batch in the log, -1 when empty
  // The local log's answer to "where does epoch E end?" (storage's end_offset_for_epoch).
  std::function<storage::EpochEndOffset(LeaderEpoch)> end_offset_for;
};

// One partition of a replica fetch, as the follower sends it.
struct FetchPosition {
  Offset fetch_offset{0};
  LeaderEpoch last_fetched_epoch{-1};
  LeaderEpoch current_leader_epoch{-1};
  Offset durable_end{0};
  Offset high_watermark{
      0};  // the HW this follower knows (the leader answers at once when it moved)
  Offset log_start{0};
  bool operator==(const FetchPosition&) const = default;
};

// One partition of the leader's answer, without the record bytes.
struct LeaderAnswer {
  ErrorCode error = ErrorCode::NONE;
  Offset high_watermark{-1};
  Offset log_start{-1};
  std::optional<storage::EpochEndOffset> diverging;  // DivergingEpoch
  bool has_records = false;
};

class FollowerState {
 public:
  FollowerState(NodeId leader, LeaderEpoch leader_epoch, Offset high_watermark)
      : leader_(leader), leader_epoch_(leader_epoch), high_watermark_(high_watermark) {}

  NodeId leader() const { return leader_; }
  LeaderEpoch leader_epoch() const { return leader_epoch_; }
  Offset high_watermark() const { return high_watermark_; }

  FetchPosition next_fetch(const LocalLog& log) const;

  enum class Step {
    kAppend,      // append the answer's records as they are, then call on_log_changed()
    kTruncate,    // truncate the log to `offset`, then call on_log_changed()
    kRestart,     // empty the log and restart it at `offset`, then call on_log_changed()
    kNothing,     // no records; HW (and log start) updated
    kRetryLater,  // back off before fetching this partition again (`error` says why)
  };
  struct Decision {
    Step step = Step::kNothing;
    Offset offset{-1};
    ErrorCode error = ErrorCode::NONE;
    // The leader's log start moved up within our HW: delete records below it (Kafka's
    // maybeIncrementLogStartOffset on followers).
    std::optional<Offset> advance_log_start_to;
  };
  Decision on_answer(const FetchPosition& sent, const LeaderAnswer& answer, const LocalLog& log);
  // The log end after carrying out a decision; returns the new HW.
  Offset on_log_changed(Offset log_end);

 private:
  Offset truncation_target(const storage::EpochEndOffset& diverging, const LocalLog& log) const;

  NodeId leader_;
  LeaderEpoch leader_epoch_;
  Offset high_watermark_;
  Offset leader_high_watermark_{-1};  // last HW the leader reported, -1 before its first answer
};

}  // namespace ferry::replication
