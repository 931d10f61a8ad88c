#include "controller/quorum/metadata_observers.h"

namespace ferry::controller {

std::vector<MetadataObservers::Waiter> MetadataObservers::take_due(LogIndex committed,
                                                                   bool expired_only,
                                                                   int64_t now_ms) {
  std::vector<Waiter> due;
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    const bool ready = !expired_only && it->fetch_offset <= committed;
    if (ready || it->deadline_ms <= now_ms) {
      due.push_back(std::move(*it));
      it = waiters_.erase(it);
    } else {
      ++it;
    }
  }
  return due;
}

std::vector<MetadataObservers::Waiter> MetadataObservers::take_all() {
  std::vector<Waiter> all;
  all.swap(waiters_);
  return all;
}

void MetadataObservers::note_fetch(NodeId id, LogIndex log_end, LogIndex committed,
                                   int64_t now_ms) {
  Observer& o = observers_[id];
  o.log_end = log_end;
  o.last_fetch_ms = now_ms;
  if (log_end >= committed) o.last_caught_up_ms = now_ms;
  const int64_t forget_before = now_ms - kForgetAfterMs;
  std::erase_if(observers_, [forget_before](const auto& kv) {
    return kv.second.last_fetch_ms < forget_before;
  });
}

}  // namespace ferry::controller
