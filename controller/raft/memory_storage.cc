#include "controller/raft/memory_storage.h"

#include <fmt/format.h>

namespace ferry::raft {

MemoryStorage::MemoryStorage() : entries_(1) {}

Result<InitialState> MemoryStorage::initial_state() const {
  return InitialState{hard_state_, snapshot_.metadata};
}

LogIndex MemoryStorage::first_index() const {
  return snapshot_index() + 1;
}

LogIndex MemoryStorage::last_index() const {
  return snapshot_index() + static_cast<int64_t>(entries_.size()) - 1;
}

Result<Term> MemoryStorage::term(LogIndex index) const {
  if (index < snapshot_index()) {
    return Error(kCompactedError, fmt::format("index {} is compacted (log starts after {})", index,
                                              snapshot_index()));
  }
  if (index > last_index()) {
    return Error(ErrorCode::INVALID_REQUEST,
                 fmt::format("index {} is past the last index {}", index, last_index()));
  }
  return entries_[static_cast<size_t>(index - snapshot_index())].term;
}

Result<std::vector<Entry>> MemoryStorage::entries(LogIndex lo, LogIndex hi,
                                                  uint64_t max_bytes) const {
  if (lo <= snapshot_index()) {
    return Error(kCompactedError, fmt::format("entries from {} are compacted (log starts after {})",
                                              lo, snapshot_index()));
  }
  if (hi > last_index() + 1 || lo > hi) {
    return Error(
        ErrorCode::INVALID_REQUEST,
        fmt::format("entries [{}, {}) outside the log ending at {}", lo, hi, last_index()));
  }
  std::vector<Entry> out;
  uint64_t bytes = 0;
  for (LogIndex i = lo; i < hi; ++i) {
    const Entry& entry = entries_[static_cast<size_t>(i - snapshot_index())];
    bytes += entry_size_bytes(entry);
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(entry);
  }
  return out;
}

Result<Snapshot> MemoryStorage::snapshot() const {
  return snapshot_;
}

Status MemoryStorage::append(const std::vector<Entry>& entries) {
  if (entries.empty()) return ok_status();
  for (size_t k = 1; k < entries.size(); ++k) {
    if (entries[k].index != entries[k - 1].index + 1) {
      return Error(ErrorCode::INVALID_REQUEST, "appended entries are not contiguous");
    }
  }
  const LogIndex first_new = entries.front().index;
  if (first_new > last_index() + 1) {
    return Error(ErrorCode::INVALID_REQUEST,
                 fmt::format("append at {} leaves a gap after {}", first_new, last_index()));
  }
  size_t skip = 0;  // entries already covered by the snapshot
  while (skip < entries.size() && entries[skip].index <= snapshot_index())
    ++skip;
  if (skip == entries.size()) return ok_status();
  const LogIndex start = entries[skip].index;
  entries_.resize(static_cast<size_t>(start - snapshot_index()));  // drop the replaced suffix
  entries_.insert(entries_.end(), entries.begin() + static_cast<std::ptrdiff_t>(skip),
                  entries.end());
  return ok_status();
}

Status MemoryStorage::apply_snapshot(Snapshot snapshot) {
  if (snapshot.metadata.index <= snapshot_.metadata.index) {
    return Error(ErrorCode::INVALID_REQUEST,
                 fmt::format("snapshot at {} is not newer than the current one at {}",
                             snapshot.metadata.index, snapshot_.metadata.index));
  }
  entries_.assign(1,
                  Entry{snapshot.metadata.term, snapshot.metadata.index, EntryType::kNormal, {}});
  snapshot_ = std::move(snapshot);
  return ok_status();
}

Result<Snapshot> MemoryStorage::create_snapshot(LogIndex index, ConfState conf_state, Bytes data) {
  if (index <= snapshot_.metadata.index || index > last_index()) {
    return Error(ErrorCode::INVALID_REQUEST,
                 fmt::format("snapshot index {} outside ({}, {}]", index, snapshot_.metadata.index,
                             last_index()));
  }
  // The current snapshot may be older than the log start only when it is still "none" (0).
  if (index < snapshot_index()) {
    return Error(kCompactedError, fmt::format("index {} is compacted", index));
  }
  const Entry& entry = entries_[static_cast<size_t>(index - snapshot_index())];
  snapshot_ = Snapshot{SnapshotMetadata{index, entry.term, std::move(conf_state)}, std::move(data)};
  return snapshot_;
}

Status MemoryStorage::compact(LogIndex index) {
  if (index <= snapshot_index()) return ok_status();
  if (index > last_index()) {
    return Error(ErrorCode::INVALID_REQUEST,
                 fmt::format("compact({}) is past the last index {}", index, last_index()));
  }
  const auto drop = static_cast<std::ptrdiff_t>(index - snapshot_index());
  entries_.erase(entries_.begin(), entries_.begin() + drop);
  entries_.front().type = EntryType::kNormal;  // the entry at `index` becomes the dummy
  entries_.front().data.clear();
  return ok_status();
}

}  // namespace ferry::raft
