#include "controller/quorum/pending_proposals.h"

#include <utility>

namespace ferry::controller {

namespace {
PendingProposals::Due bind(PendingProposals::Resolve resolve, ErrorCode code, LogIndex index) {
  return [resolve = std::move(resolve), code, index] { resolve(code, index); };
}
}  // namespace

void PendingProposals::add(LogIndex index, Term term, int64_t deadline_ms, Resolve resolve) {
  pending_.emplace(index, Pending{term, deadline_ms, std::move(resolve)});
}

std::vector<PendingProposals::Due> PendingProposals::applied(LogIndex index, Term term) {
  std::vector<Due> out = passed_over(index - 1);
  auto [begin, end] = pending_.equal_range(index);
  for (auto it = begin; it != end; ++it) {
    // Same term: our entry committed. Another term: a new leader's entry replaced ours.
    const ErrorCode code = it->second.term == term ? ErrorCode::NONE : ErrorCode::NOT_CONTROLLER;
    out.push_back(bind(std::move(it->second.resolve), code, index));
  }
  pending_.erase(begin, end);
  return out;
}

std::vector<PendingProposals::Due> PendingProposals::passed_over(LogIndex index) {
  std::vector<Due> out;
  while (!pending_.empty() && pending_.begin()->first <= index) {
    out.push_back(bind(std::move(pending_.begin()->second.resolve), ErrorCode::REQUEST_TIMED_OUT,
                       LogIndex(0)));
    pending_.erase(pending_.begin());
  }
  return out;
}

std::vector<PendingProposals::Due> PendingProposals::expire(int64_t now_ms) {
  std::vector<Due> out;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.deadline_ms <= now_ms) {
      out.push_back(bind(std::move(it->second.resolve), ErrorCode::REQUEST_TIMED_OUT, LogIndex(0)));
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

std::vector<PendingProposals::Due> PendingProposals::take_all() {
  std::vector<Due> out;
  for (auto& [index, p] : pending_)
    out.push_back(bind(std::move(p.resolve), ErrorCode::REQUEST_TIMED_OUT, LogIndex(0)));
  pending_.clear();
  return out;
}

}  // namespace ferry::controller
