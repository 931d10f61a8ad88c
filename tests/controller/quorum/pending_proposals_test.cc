// PendingProposals: what decides a proposal's fate (controller/quorum/pending_proposals.h).
#include "controller/quorum/pending_proposals.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ferry::controller {
namespace {

struct Outcomes {
  std::vector<std::string> seen;
  PendingProposals::Resolve record(std::string name) {
    return [this, name](ErrorCode code, LogIndex index) {
      seen.push_back(name + ":" + error_name(code) + "@" + std::to_string(index.value()));
    };
  }
};

void run(const std::vector<PendingProposals::Due>& due) {
  for (const auto& d : due)
    d();
}

TEST(PendingProposals, the_same_term_at_the_index_commits_and_another_term_means_overwritten) {
  Outcomes o;
  PendingProposals p;
  p.add(LogIndex(5), Term(2), 1000, o.record("a"));
  p.add(LogIndex(6), Term(2), 1000, o.record("b"));
  run(p.applied(LogIndex(5), Term(2)));
  run(p.applied(LogIndex(6), Term(3)));  // a new leader's entry landed at 6
  EXPECT_EQ(o.seen, (std::vector<std::string>{"a:NONE@5", "b:NOT_CONTROLLER@6"}));
  EXPECT_EQ(p.size(), 0u);
}

TEST(PendingProposals, callbacks_are_returned_not_run) {
  Outcomes o;
  PendingProposals p;
  p.add(LogIndex(1), Term(1), 1000, o.record("a"));
  auto due = p.applied(LogIndex(1), Term(1));
  EXPECT_TRUE(o.seen.empty());
  run(due);
  EXPECT_EQ(o.seen.size(), 1u);
}

TEST(PendingProposals, proposals_passed_over_time_out_with_an_unknown_fate) {
  Outcomes o;
  PendingProposals p;
  p.add(LogIndex(3), Term(1), 1000, o.record("a"));
  p.add(LogIndex(4), Term(1), 1000, o.record("b"));
  p.add(LogIndex(9), Term(1), 1000, o.record("c"));
  run(p.applied(LogIndex(5), Term(1)));  // 3 and 4 were never applied (a snapshot jumped them)
  run(p.passed_over(LogIndex(8)));
  EXPECT_EQ(o.seen, (std::vector<std::string>{"a:REQUEST_TIMED_OUT@0", "b:REQUEST_TIMED_OUT@0"}));
  EXPECT_EQ(p.size(), 1u);
  run(p.passed_over(LogIndex(9)));
  EXPECT_EQ(o.seen.back(), "c:REQUEST_TIMED_OUT@0");
}

TEST(PendingProposals, deadlines_expire_only_those_due) {
  Outcomes o;
  PendingProposals p;
  p.add(LogIndex(1), Term(1), 100, o.record("early"));
  p.add(LogIndex(2), Term(1), 200, o.record("late"));
  run(p.expire(99));
  EXPECT_TRUE(o.seen.empty());
  run(p.expire(100));
  EXPECT_EQ(o.seen, (std::vector<std::string>{"early:REQUEST_TIMED_OUT@0"}));
  run(p.take_all());
  EXPECT_EQ(o.seen.back(), "late:REQUEST_TIMED_OUT@0");
  EXPECT_EQ(p.size(), 0u);
}

}  // namespace
}  // namespace ferry::controller
