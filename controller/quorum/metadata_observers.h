// MetadataObservers: the readers of the committed metadata log (brokers, and voters' metadata
// followers): their parked long-polls and how far each has read, for describe-quorum. Pure (no
// threads, clocks or I/O): the driver passes the committed offset and the time, reads the
// answers from its store and runs the callbacks it gets back.
//
// A long-poll (FetchMetadata with max_wait) asking past the committed end parks here until the
// log commits past its offset or its deadline passes; then it is answered with whatever is
// committed (possibly nothing), as Kafka's fetch long-poll does. Observers that stop fetching
// for kForgetAfterMs (a broker that left) are forgotten.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/error.h"
#include "common/strong_types.h"

namespace ferry::controller {

// A FetchMetadata answer: committed entries (offset, serialized MetadataRecordBatch; an empty
// batch is a leader no-op) after an optional snapshot (a serialized MetadataSnapshot).
struct MetadataFetch {
  ErrorCode error = ErrorCode::NONE;
  std::string message;
  std::optional<Bytes> snapshot;
  std::vector<std::pair<LogIndex, Bytes>> entries;
  LogIndex high_watermark{0};
};

class MetadataObservers {
 public:
  static constexpr int64_t kForgetAfterMs = 5 * 60 * 1000;

  struct Waiter {
    LogIndex fetch_offset;
    uint64_t max_bytes;
    int64_t deadline_ms;
    std::function<void(MetadataFetch)> done;
  };
  struct Observer {
    LogIndex log_end{0};  // the offset its last fetch said it had
    int64_t last_fetch_ms = 0;
    int64_t last_caught_up_ms = -1;  // -1: never caught up while we watched
  };

  void park(Waiter waiter) { waiters_.push_back(std::move(waiter)); }
  // The waiters to answer now: those whose offset is committed (unless `expired_only`) and
  // those whose deadline has passed.
  std::vector<Waiter> take_due(LogIndex committed, bool expired_only, int64_t now_ms);
  std::vector<Waiter> take_all();
  size_t parked() const { return waiters_.size(); }

  // `id` fetched saying it has everything up to `log_end`.
  void note_fetch(NodeId id, LogIndex log_end, LogIndex committed, int64_t now_ms);
  const std::map<NodeId, Observer>& observers() const { return observers_; }

 private:
  std::vector<Waiter> waiters_;
  std::map<NodeId, Observer> observers_;
};

}  // namespace ferry::controller
