// PendingProposals: the active controller's proposals waiting to be applied, by log index.
// Pure (no threads, clocks or I/O): the driver passes the time and runs what comes back.
//
// Raft's rule for a proposal's fate (thesis 3.6): the entry applied at its index decides. The
// same term there means it committed (NONE, index); another term means a new leader overwrote
// it (NOT_CONTROLLER: it was never applied, safe to retry on the new leader). A proposal whose
// index is passed over without being applied (a snapshot jumped past it), that outlives its
// deadline, or that is still waiting when the controller stops, gets REQUEST_TIMED_OUT: its fate
// is unknown to us, and Kafka clients retry that code.
//
// Callbacks are returned, not run, so that the driver runs them after it has finished changing
// its own state (a callback may post new work).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "common/error.h"
#include "common/strong_types.h"

namespace ferry::controller {

class PendingProposals {
 public:
  using Resolve = std::function<void(ErrorCode, LogIndex)>;
  // A callback bound to its outcome, ready to run.
  using Due = std::function<void()>;

  void add(LogIndex index, Term term, int64_t deadline_ms, Resolve resolve);
  // The entry (index, term) was applied: resolves the proposals at that index, and those below
  // it still waiting (passed over) with REQUEST_TIMED_OUT.
  std::vector<Due> applied(LogIndex index, Term term);
  // Everything at or below `index` (a snapshot was installed up to it): REQUEST_TIMED_OUT.
  std::vector<Due> passed_over(LogIndex index);
  // Deadlines at or before `now_ms`: REQUEST_TIMED_OUT.
  std::vector<Due> expire(int64_t now_ms);
  // Everything (stopping): REQUEST_TIMED_OUT.
  std::vector<Due> take_all();

  size_t size() const { return pending_.size(); }

 private:
  struct Pending {
    Term term;
    int64_t deadline_ms;
    Resolve resolve;
  };
  std::multimap<LogIndex, Pending> pending_;
};

}  // namespace ferry::controller
