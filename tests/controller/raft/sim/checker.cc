#include "tests/controller/raft/sim/checker.h"

#include <algorithm>

#include <fmt/format.h>

namespace ferry::raft::sim {

uint64_t hash_bytes(const Bytes& data) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
  for (uint8_t b : data) {
    h ^= b;
    h *= 0x100000001b3ULL;
  }
  return h;
}

AppliedRecord applied_record(const Entry& entry) {
  return AppliedRecord{entry.index, entry.term, entry.type, hash_bytes(entry.data)};
}

namespace {
std::string describe(const AppliedRecord& r) {
  return fmt::format("(i={} t={} {} h={:x})", r.index, r.term, entry_type_name(r.type),
                     r.data_hash & 0xffff);
}
}  // namespace

// --- NodeView
// --------------------------------------------------------------------------------------

LogIndex NodeView::first_index() const {
  if (in_flight != nullptr && in_flight->snapshot) return in_flight->snapshot->metadata.index + 1;
  return storage->first_index();
}

LogIndex NodeView::last_index() const {
  if (in_flight != nullptr && !in_flight->entries.empty()) return in_flight->entries.back().index;
  if (in_flight != nullptr && in_flight->snapshot) return in_flight->snapshot->metadata.index;
  return storage->last_index();
}

std::optional<Term> NodeView::term_at(LogIndex index) const {
  if (index < first_index() - 1 || index > last_index()) return std::nullopt;
  if (in_flight != nullptr && !in_flight->entries.empty() &&
      index >= in_flight->entries.front().index) {
    return in_flight->entries[static_cast<size_t>(index - in_flight->entries.front().index)].term;
  }
  if (in_flight != nullptr && in_flight->snapshot) {
    // Only the snapshot's own index precedes the in-flight entries.
    if (index == in_flight->snapshot->metadata.index) return in_flight->snapshot->metadata.term;
    return std::nullopt;
  }
  Result<Term> term = storage->term(index);
  return term.ok() ? std::optional<Term>(*term) : std::nullopt;
}

std::optional<Entry> NodeView::entry_at(LogIndex index) const {
  if (index < first_index() || index > last_index()) return std::nullopt;
  if (in_flight != nullptr && !in_flight->entries.empty() &&
      index >= in_flight->entries.front().index) {
    return in_flight->entries[static_cast<size_t>(index - in_flight->entries.front().index)];
  }
  if (in_flight != nullptr && in_flight->snapshot) return std::nullopt;
  Result<std::vector<Entry>> entries = storage->entries(index, index + 1, UINT64_MAX);
  if (!entries.ok() || entries->empty()) return std::nullopt;
  return entries->front();
}

// --- Checker
// ---------------------------------------------------------------------------------------

void InvariantChecker::fail(std::string message) {
  if (!violation_) violation_ = std::move(message);
}

void InvariantChecker::check_entry_identity(NodeId node, const Entry& entry, Term prev_term) {
  const LogValue value{hash_bytes(entry.data), entry.type, prev_term.value()};
  auto [it, inserted] =
      log_entries_.emplace(LogKey{entry.index.value(), entry.term.value()}, value);
  if (inserted) return;
  LogValue& known = it->second;
  if (known.data_hash != value.data_hash || known.type != value.type) {
    fail(
        fmt::format("Log Matching: node {} holds (i={} t={}) with different content than "
                    "another log",
                    node, entry.index, entry.term));
  } else if (known.prev_term >= 0 && value.prev_term >= 0 && known.prev_term != value.prev_term) {
    fail(
        fmt::format("Log Matching: node {} holds (i={} t={}) after an entry of term {}, another "
                    "log after term {}",
                    node, entry.index, entry.term, value.prev_term, known.prev_term));
  } else if (known.prev_term < 0) {
    known.prev_term = value.prev_term;
  }
}

void InvariantChecker::on_ready(const NodeView& before, const Ready& ready) {
  for (size_t k = 0; k < ready.entries.size(); ++k) {
    const Entry& entry = ready.entries[k];
    std::optional<Term> prev;
    if (k > 0) {
      prev = ready.entries[k - 1].term;
    } else if (ready.snapshot && ready.snapshot->metadata.index == entry.index - 1) {
      prev = ready.snapshot->metadata.term;
    } else {
      prev = before.term_at(entry.index - 1);
    }
    check_entry_identity(before.id, entry, prev.value_or(Term(-1)));
  }
}

void InvariantChecker::note_committed(NodeId node, const AppliedRecord& record, Term commit_term) {
  const auto slot = static_cast<size_t>(record.index.value() - 1);
  if (committed_.size() <= slot) committed_.resize(slot + 1);
  Committed& known = committed_[slot];
  if (!known.known) {
    known = Committed{record, commit_term, true};
    newly_committed_.push_back(known);
    auto acked = acked_.find(record.index);
    if (acked != acked_.end() &&
        (acked->second.first != record.term || acked->second.second != record.data_hash)) {
      fail(
          fmt::format("acknowledged proposal lost: (i={} t={}) was acknowledged, but node {} "
                      "committed {} there",
                      record.index, acked->second.first, node, describe(record)));
    }
    return;
  }
  if (known.record != record) {
    fail(
        fmt::format("State Machine Safety: node {} has {} committed at index {}, but {} was "
                    "committed there before",
                    node, describe(record), record.index, describe(known.record)));
    return;
  }
  if (commit_term < known.commit_term) {
    known.commit_term = commit_term;
    newly_committed_.push_back(known);
  }
}

void InvariantChecker::on_apply(NodeId node, Term node_term, const Entry& entry) {
  LogIndex& applied = applied_[node];
  if (entry.index != applied + 1) {
    fail(fmt::format("node {} applied index {} after {}", node, entry.index, applied));
  }
  applied = entry.index;
  note_committed(node, applied_record(entry), node_term);
}

void InvariantChecker::on_restore(NodeId node, const std::vector<AppliedRecord>& records) {
  for (size_t k = 0; k < records.size(); ++k) {
    if (records[k].index != LogIndex(static_cast<int64_t>(k) + 1)) {
      fail(fmt::format("node {} restored a snapshot with a gap at {}", node, k + 1));
      return;
    }
    note_committed(node, records[k], Term::max());
  }
  applied_[node] = LogIndex(static_cast<int64_t>(records.size()));
}

void InvariantChecker::on_acknowledged(EntryId id, uint64_t data_hash) {
  acked_[id.index] = {id.term, data_hash};
  max_acked_ = std::max(max_acked_, id.index);
  const std::optional<AppliedRecord> record = committed(id.index);
  if (record && (record->term != id.term || record->data_hash != data_hash)) {
    fail(fmt::format("acknowledged proposal (i={} t={}) is not the committed entry {}", id.index,
                     id.term, describe(*record)));
  }
}

void InvariantChecker::check_acknowledged_durable(LogIndex up_to) {
  for (const auto& [index, acked] : acked_) {
    if (index > up_to) break;
    const std::optional<AppliedRecord> record = committed(index);
    if (!record || record->term != acked.first || record->data_hash != acked.second) {
      fail(fmt::format("acknowledged proposal lost: (i={} t={}) is not the committed entry {}",
                       index, acked.first,
                       record ? describe(*record) : std::string("(none known)")));
      return;
    }
  }
}

void InvariantChecker::on_read_served(NodeId node, LogIndex index, LogIndex acked_at_issue) {
  if (index < acked_at_issue) {
    fail(
        fmt::format("stale read on node {}: read index {} misses the write acknowledged at {} "
                    "before the read was issued",
                    node, index, acked_at_issue));
  }
}

void InvariantChecker::on_crash(NodeId node, LogIndex synced_commit) {
  synced_commit_at_crash_[node] = synced_commit;
  commit_seen_.erase(node);
  leader_commit_seen_.erase(node);
  applied_.erase(node);
}

void InvariantChecker::on_restart(NodeId node, LogIndex recovered_commit) {
  const LogIndex synced = synced_commit_at_crash_[node];
  if (recovered_commit < synced) {
    fail(fmt::format("node {} restarted with commit {} below the synced commit {}", node,
                     recovered_commit, synced));
  }
  commit_seen_[node] = recovered_commit;
}

std::optional<AppliedRecord> InvariantChecker::committed(LogIndex index) const {
  const auto slot = static_cast<size_t>(index.value() - 1);
  if (index < LogIndex(1) || slot >= committed_.size() || !committed_[slot].known) {
    return std::nullopt;
  }
  return committed_[slot].record;
}

void InvariantChecker::check_leader_has(const NodeView& leader, const AppliedRecord& record,
                                        Term commit_term) {
  if (record.index < leader.first_index()) return;  // compacted into its snapshot
  const std::optional<Entry> entry = leader.entry_at(record.index);
  if (!entry || applied_record(*entry) != record) {
    fail(fmt::format("Leader Completeness: leader {} of term {} lacks {} committed in term <= {}",
                     leader.id, leader.term, describe(record), commit_term));
  }
}

void InvariantChecker::check_new_leader(const NodeView& view) {
  for (const Committed& c : committed_) {
    if (c.known && c.commit_term < view.term) check_leader_has(view, c.record, c.commit_term);
  }
}

void InvariantChecker::check_leader_commits(const NodeView& view) {
  auto seen = leader_commit_seen_.find(view.id);
  LogIndex from = seen == leader_commit_seen_.end() ? LogIndex(0) : seen->second;
  from = std::max(from, view.first_index() - 1);
  for (LogIndex i = from + 1; i <= view.commit; ++i) {
    std::optional<Entry> entry = view.entry_at(i);
    if (!entry) {
      fail(fmt::format("leader {} committed index {} it does not hold", view.id, i));
      return;
    }
    note_committed(view.id, applied_record(*entry), view.term);
  }
  leader_commit_seen_[view.id] = view.commit;
}

void InvariantChecker::after_event(const std::vector<NodeView>& nodes) {
  std::vector<const NodeView*> leaders;
  for (const NodeView& view : nodes) {
    auto [seen, first] = commit_seen_.emplace(view.id, view.commit);
    if (!first && view.commit < seen->second) {
      fail(fmt::format("commit index of node {} went back from {} to {}", view.id, seen->second,
                       view.commit));
    }
    seen->second = view.commit;
    if (view.role != Role::kLeader) continue;
    auto [it, elected] = leader_of_term_.emplace(view.term, view.id);
    if (!elected && it->second != view.id) {
      fail(fmt::format("Election Safety: nodes {} and {} are both leaders of term {}", it->second,
                       view.id, view.term));
    }
    if (elected) check_new_leader(view);
    leaders.push_back(&view);
  }
  for (const NodeView* leader : leaders)
    check_leader_commits(*leader);
  for (const Committed& c : newly_committed_) {
    for (const NodeView* leader : leaders) {
      if (leader->term > c.commit_term) check_leader_has(*leader, c.record, c.commit_term);
    }
  }
  newly_committed_.clear();
}

void InvariantChecker::check_logs(const std::vector<NodeView>& nodes) {
  for (const NodeView& view : nodes) {
    for (LogIndex i = view.first_index(); i <= view.last_index(); ++i) {
      std::optional<Entry> entry = view.entry_at(i);
      if (!entry) {
        fail(fmt::format("node {} has a hole at index {}", view.id, i));
        return;
      }
      check_entry_identity(view.id, *entry, view.term_at(i - 1).value_or(Term(-1)));
    }
  }
}

}  // namespace ferry::raft::sim
