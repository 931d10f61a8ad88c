#include "controller/raft/unstable_log.h"

#include "common/assert.h"

namespace ferry::raft {

std::optional<LogIndex> UnstableLog::maybe_first_index() const {
  if (snapshot_) return snapshot_->metadata.index + 1;
  return std::nullopt;
}

std::optional<LogIndex> UnstableLog::maybe_last_index() const {
  if (!entries_.empty()) return offset_ + static_cast<int64_t>(entries_.size()) - 1;
  if (snapshot_) return snapshot_->metadata.index;
  return std::nullopt;
}

std::optional<Term> UnstableLog::maybe_term(LogIndex index) const {
  if (index < offset_) {
    if (snapshot_ && snapshot_->metadata.index == index) return snapshot_->metadata.term;
    return std::nullopt;
  }
  const auto last = maybe_last_index();
  if (!last || index > *last) return std::nullopt;
  return entries_[static_cast<size_t>(index - offset_)].term;
}

std::vector<Entry> UnstableLog::slice(LogIndex lo, LogIndex hi) const {
  FERRY_ASSERT(offset_ <= lo && lo <= hi && hi <= offset_ + static_cast<int64_t>(entries_.size()),
               "unstable slice [{}, {}) outside [{}, {})", lo, hi, offset_,
               offset_ + static_cast<int64_t>(entries_.size()));
  return std::vector<Entry>(entries_.begin() + (lo - offset_), entries_.begin() + (hi - offset_));
}

void UnstableLog::truncate_and_append(const std::vector<Entry>& entries) {
  FERRY_ASSERT(!entries.empty(), "truncate_and_append with no entries");
  const LogIndex after = entries.front().index;
  const LogIndex end = offset_ + static_cast<int64_t>(entries_.size());
  if (after == end) {
    entries_.insert(entries_.end(), entries.begin(), entries.end());
  } else if (after <= offset_) {
    // Replaces stable entries too: the next Ready makes the driver overwrite them.
    offset_ = after;
    entries_ = entries;
  } else {
    FERRY_ASSERT(after < end, "unstable append at {} leaves a gap after {}", after, end - 1);
    entries_.resize(static_cast<size_t>(after - offset_));
    entries_.insert(entries_.end(), entries.begin(), entries.end());
  }
}

void UnstableLog::restore(Snapshot snapshot) {
  offset_ = snapshot.metadata.index + 1;
  entries_.clear();
  snapshot_ = std::move(snapshot);
}

void UnstableLog::stable_to(EntryId id) {
  const auto term = maybe_term(id.index);
  // Not ours (already stable, or a snapshot index), or replaced since that Ready: ignore.
  if (!term || *term != id.term || id.index < offset_) return;
  const auto persisted = static_cast<size_t>(id.index - offset_) + 1;
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(persisted));
  offset_ = id.index + 1;
}

void UnstableLog::stable_snap_to(LogIndex index) {
  if (snapshot_ && snapshot_->metadata.index == index) snapshot_.reset();
}

}  // namespace ferry::raft
