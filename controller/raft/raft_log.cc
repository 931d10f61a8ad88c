#include "controller/raft/raft_log.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/assert.h"

namespace ferry::raft {

void limit_size(std::vector<Entry>& entries, uint64_t max_bytes) {
  uint64_t bytes = 0;
  for (size_t k = 0; k < entries.size(); ++k) {
    bytes += entry_size_bytes(entries[k]);
    if (k > 0 && bytes > max_bytes) {
      entries.resize(k);
      return;
    }
  }
}

RaftLog::RaftLog(const LogStorage& storage)
    : storage_(storage),
      unstable_(storage.last_index() + 1),
      committed_(storage.first_index() - 1),
      applied_(storage.first_index() - 1) {}

LogIndex RaftLog::first_index() const {
  if (auto index = unstable_.maybe_first_index()) return *index;
  return storage_.first_index();
}

LogIndex RaftLog::last_index() const {
  if (auto index = unstable_.maybe_last_index()) return *index;
  return storage_.last_index();
}

Term RaftLog::last_term() const {
  auto term_result = term(last_index());
  FERRY_ASSERT(term_result.ok(), "term of the last index {} unavailable: {}", last_index(),
               term_result.error().to_string());
  return *term_result;
}

Result<Term> RaftLog::term(LogIndex index) const {
  const LogIndex dummy = first_index() - 1;
  if (index < dummy) {
    return Error(kCompactedError,
                 fmt::format("index {} is compacted (log starts after {})", index, dummy));
  }
  if (index > last_index()) {
    return Error(ErrorCode::INVALID_REQUEST,
                 fmt::format("index {} is past the last index {}", index, last_index()));
  }
  if (auto term = unstable_.maybe_term(index)) return *term;
  Result<Term> stored = storage_.term(index);
  if (!stored.ok() && stored.code() != kCompactedError) {
    FERRY_PANIC("raft: reading the term of index {} from stable storage failed: {}", index,
                stored.error().to_string());
  }
  return stored;
}

Term RaftLog::term_or_zero(LogIndex index) const {
  Result<Term> result = term(index);
  return result.ok() ? *result : Term(0);
}

bool RaftLog::match_term(EntryId id) const {
  Result<Term> result = term(id.index);
  return result.ok() && *result == id.term;
}

bool RaftLog::is_up_to_date(EntryId candidate_last) const {
  const Term our_last_term = last_term();
  return candidate_last.term > our_last_term ||
         (candidate_last.term == our_last_term && candidate_last.index >= last_index());
}

Result<std::optional<LogIndex>> RaftLog::maybe_append(EntryId prev, LogIndex leader_commit,
                                                      const std::vector<Entry>& entries) {
  if (!match_term(prev)) return std::optional<LogIndex>();
  const LogIndex last_new = prev.index + static_cast<int64_t>(entries.size());
  const LogIndex conflict = find_conflict(entries);
  if (conflict != LogIndex(0)) {
    if (conflict <= committed_) {
      return Error(ErrorCode::INVALID_REQUEST,
                   fmt::format("append would overwrite committed entry {} (committed {})", conflict,
                               committed_));
    }
    const auto skip = static_cast<std::ptrdiff_t>(conflict - (prev.index + 1));
    unstable_.truncate_and_append(std::vector<Entry>(entries.begin() + skip, entries.end()));
  }
  commit_to(std::min(leader_commit, last_new));
  return std::optional<LogIndex>(last_new);
}

LogIndex RaftLog::append(const std::vector<Entry>& entries) {
  if (entries.empty()) return last_index();
  FERRY_ASSERT(entries.front().index == last_index() + 1,
               "leader append at {} does not continue the log ending at {}", entries.front().index,
               last_index());
  unstable_.truncate_and_append(entries);
  return last_index();
}

LogIndex RaftLog::find_conflict(const std::vector<Entry>& entries) const {
  for (const Entry& entry : entries) {
    if (!match_term(entry.id())) return entry.index;
  }
  return LogIndex(0);
}

EntryId RaftLog::find_conflict_by_term(LogIndex index, Term term) const {
  index = std::min(index, last_index());
  for (; index > LogIndex(0); index -= 1) {
    Result<Term> ours = this->term(index);
    // Unknown (compacted): a match is possible, so stop here with an unknown term.
    if (!ours.ok()) return EntryId{Term(0), index};
    if (*ours <= term) return EntryId{*ours, index};
  }
  return EntryId{};
}

void RaftLog::commit_to(LogIndex index) {
  if (index <= committed_) return;
  FERRY_ASSERT(index <= last_index(), "commit {} is past the last index {}", index, last_index());
  committed_ = index;
}

bool RaftLog::maybe_commit(EntryId id) {
  if (id.index <= committed_ || term_or_zero(id.index) != id.term) return false;
  commit_to(id.index);
  return true;
}

void RaftLog::applied_to(LogIndex index) {
  if (index <= applied_) return;
  FERRY_ASSERT(index <= committed_, "applied {} is past committed {}", index, committed_);
  applied_ = index;
}

Result<std::vector<Entry>> RaftLog::storage_slice(LogIndex lo, LogIndex hi,
                                                  uint64_t max_bytes) const {
  Result<std::vector<Entry>> stored = storage_.entries(lo, hi, max_bytes);
  if (!stored.ok() && stored.code() != kCompactedError) {
    FERRY_PANIC("raft: reading entries [{}, {}) from stable storage failed: {}", lo, hi,
                stored.error().to_string());
  }
  return stored;
}

Result<std::vector<Entry>> RaftLog::slice(LogIndex lo, LogIndex hi, uint64_t max_bytes) const {
  FERRY_ASSERT(lo <= hi && hi <= last_index() + 1, "slice [{}, {}) outside the log ending at {}",
               lo, hi, last_index());
  if (lo == hi) return std::vector<Entry>();
  if (lo < first_index()) {
    return Error(kCompactedError, fmt::format("entries from {} are compacted", lo));
  }
  std::vector<Entry> out;
  const LogIndex offset = unstable_.offset();
  if (lo < offset) {
    const LogIndex stable_hi = std::min(hi, offset);
    FERRY_ASSIGN_OR_RETURN(out, storage_slice(lo, stable_hi, max_bytes));
    if (out.size() < static_cast<size_t>(stable_hi - lo)) return out;  // size limit reached
  }
  if (hi > offset) {
    std::vector<Entry> tail = unstable_.slice(std::max(lo, offset), hi);
    out.insert(out.end(), std::make_move_iterator(tail.begin()),
               std::make_move_iterator(tail.end()));
  }
  limit_size(out, max_bytes);
  return out;
}

std::vector<Entry> RaftLog::next_committed_entries(uint64_t max_bytes) const {
  if (!has_next_committed_entries()) return {};
  Result<std::vector<Entry>> entries = slice(applied_ + 1, committed_ + 1, max_bytes);
  FERRY_ASSERT(entries.ok(), "committed entries ({}, {}] unavailable: {}", applied_, committed_,
               entries.error().to_string());
  return std::move(entries).value();
}

bool RaftLog::has_next_committed_entries() const {
  return !unstable_.snapshot() && committed_ > applied_;
}

LogIndex RaftLog::last_stable_index() const {
  if (unstable_.snapshot()) return storage_.first_index() - 1;
  return std::min(unstable_.offset() - 1, storage_.last_index());
}

Result<Snapshot> RaftLog::snapshot() const {
  if (unstable_.snapshot()) return *unstable_.snapshot();
  return storage_.snapshot();
}

void RaftLog::restore(Snapshot snapshot) {
  committed_ = snapshot.metadata.index;
  unstable_.restore(std::move(snapshot));
}

}  // namespace ferry::raft
