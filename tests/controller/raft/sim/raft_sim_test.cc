// Seeded simulation of the controller quorum (see simulator.h for the model and checker.h for
// the invariants).
//
//   FERRY_SEED=<n>            replay exactly seed n (with FERRY_SIM_TRACE=1 to print every event)
//   FERRY_SIM_SEEDS=<count>   run more seeds per test (defaults keep CI well under a minute)
//   FERRY_SIM_SEED_BASE=<n>   first seed (default 1), to explore other ranges
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/controller/raft/sim/simulator.h"

namespace ferry::raft::sim {
namespace {

uint64_t env_u64(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::strtoull(value, nullptr, 10) : fallback;
}

std::vector<uint64_t> seeds_to_run(uint64_t default_count) {
  if (const char* seed = std::getenv("FERRY_SEED"); seed != nullptr && *seed != '\0') {
    return {std::strtoull(seed, nullptr, 10)};
  }
  const uint64_t base = env_u64("FERRY_SIM_SEED_BASE", 1);
  const uint64_t count = env_u64("FERRY_SIM_SEEDS", default_count);
  std::vector<uint64_t> seeds;
  for (uint64_t s = base; s < base + count; ++s)
    seeds.push_back(s);
  return seeds;
}

// Runs `options` over the seeds; fails the test with the seed and the report of each failure.
void run_seeds(SimOptions options, uint64_t default_count) {
  const std::vector<uint64_t> seeds = seeds_to_run(default_count);
  options.trace = env_u64("FERRY_SIM_TRACE", 0) != 0;
  const auto start = std::chrono::steady_clock::now();
  int failures = 0;
  SimResult last;
  for (uint64_t seed : seeds) {
    options.seed = seed;
    SimResult result = run_simulation(options);
    if (!result.ok) {
      ++failures;
      ADD_FAILURE() << "FERRY_SEED=" << seed << " (nodes=" << options.nodes
                    << ") failed; replay with FERRY_SEED=" << seed
                    << " FERRY_SIM_TRACE=1 and --gtest_filter of this test:\n"
                    << result.failure;
      if (failures >= 3) break;
    }
    if (seeds.size() == 1)
      std::fprintf(stderr, "seed %llu: %s\n", static_cast<unsigned long long>(seed),
                   result.summary().c_str());
    last = std::move(result);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "%zu seeds from %llu (nodes=%d) in %.2f s; last: %s\n", seeds.size(),
               static_cast<unsigned long long>(seeds.front()), options.nodes, seconds,
               last.summary().c_str());
}

TEST(RaftSimulation, three_voters_keep_every_invariant_under_chaos_and_recover_after_heal) {
  SimOptions options;
  options.nodes = 3;
  run_seeds(options, 500);
}

TEST(RaftSimulation, five_voters_keep_every_invariant_under_chaos_and_recover_after_heal) {
  SimOptions options;
  options.nodes = 5;
  run_seeds(options, 400);
}

// The same seed gives the same run, event for event.
TEST(RaftSimulation, same_seed_replays_exactly) {
  SimOptions options;
  options.seed = env_u64("FERRY_SEED", 42);
  options.nodes = 5;
  const SimResult a = run_simulation(options);
  const SimResult b = run_simulation(options);
  EXPECT_TRUE(a.ok) << a.failure;
  EXPECT_EQ(a.summary(), b.summary());
  EXPECT_EQ(a.event_hash, b.event_hash);
  options.seed += 1;
  EXPECT_NE(run_simulation(options).event_hash, a.event_hash) << "another seed, another run";
  EXPECT_GT(a.leaders_elected, 1u) << "chaos should force several elections";
  EXPECT_GT(a.proposals_acked, 20u);
  EXPECT_GT(a.crashes, 0u);
}

// --- The checker must be able to fail
// --------------------------------------------------------------

// Runs seeds with a deliberately broken driver/client until the checker reports a violation
// containing `expected`; fails if none of `max_seeds` seeds catches it.
void expect_bug_caught(SimBug bug, const std::vector<std::string>& expected, uint64_t max_seeds,
                       SimOptions options = {}) {
  options.bug = bug;
  for (uint64_t seed = 1; seed <= max_seeds; ++seed) {
    options.seed = seed;
    const SimResult result = run_simulation(options);
    if (result.ok) continue;
    const std::string first_line = result.failure.substr(0, result.failure.find('\n'));
    EXPECT_TRUE(
        std::any_of(expected.begin(), expected.end(),
                    [&](const std::string& e) { return first_line.find(e) != std::string::npos; }))
        << "seed " << seed << " failed for another reason:\n"
        << result.failure.substr(0, 2000);
    std::fprintf(stderr, "bug %d caught with seed %llu: %s\n", static_cast<int>(bug),
                 static_cast<unsigned long long>(seed),
                 result.failure.substr(0, result.failure.find('\n')).c_str());
    return;
  }
  ADD_FAILURE() << "the checker did not catch bug " << static_cast<int>(bug) << " in " << max_seeds
                << " seeds";
}

// Elections are frequent and crashed nodes come back quickly: the setting in which a forgotten
// vote lets a node vote twice in a term.
SimOptions election_heavy() {
  SimOptions options;
  options.nodes = 3;
  options.crash_share = 0.6;
  options.fault_every_ms = 80;
  options.max_down_ms = 60;
  options.torn_chance = 0;
  options.pre_vote = false;
  options.vary_per_seed = false;
  return options;
}

TEST(RaftSimulationSelfTest, checker_catches_a_driver_that_does_not_persist_votes) {
  expect_bug_caught(SimBug::kForgetVote, {"Election Safety"}, 300, election_heavy());
}

TEST(RaftSimulationSelfTest, checker_catches_a_driver_that_sends_before_persisting) {
  // An acknowledgement of state that a crash then erases: a vote cast twice, or an entry counted
  // towards a commit that a later leader lacks. Either safety property may break first; a
  // liveness failure ("no recovery") is not the reason the checker exists for.
  expect_bug_caught(SimBug::kSendBeforePersist,
                    {"Election Safety", "Leader Completeness", "acknowledged proposal"}, 300,
                    election_heavy());
}

TEST(RaftSimulationSelfTest, checker_catches_a_client_that_acknowledges_before_commit) {
  SimOptions options;
  options.vary_per_seed = false;
  options.read_every_ms = 1'000'000'000;  // no reads: the stale-read check would fire first
  expect_bug_caught(SimBug::kAckBeforeCommit, {"acknowledged proposal lost"}, 100, options);
}

}  // namespace
}  // namespace ferry::raft::sim
