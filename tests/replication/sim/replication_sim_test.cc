// Seeded simulation of replication (see replication_sim.h for the model and the invariants).
//
//   FERRY_SEED=<n>            replay exactly seed n (with FERRY_SIM_TRACE=1 to print every event)
//   FERRY_SIM_SEEDS=<count>   run more seeds per test (the defaults keep CI within a few minutes)
//   FERRY_SIM_SEED_BASE=<n>   first seed (default 1), to explore other ranges
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/log.h"
#include "tests/replication/sim/replication_sim.h"

namespace ferry::replication::sim {
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

// Runs `options` over the seeds; returns the failures' reports (each names its seed).
std::vector<std::string> run_seeds(SimOptions options, uint64_t default_count) {
  const std::vector<uint64_t> seeds = seeds_to_run(default_count);
  options.trace = env_u64("FERRY_SIM_TRACE", 0) != 0;
  init_logging(options.trace ? "info" : "off");
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> failures;
  SimResult last;
  for (uint64_t seed : seeds) {
    options.seed = seed;
    SimResult result = run_simulation(options);
    if (!result.ok) {
      failures.push_back("FERRY_SEED=" + std::to_string(seed) +
                         " (brokers=" + std::to_string(options.brokers) + "): " + result.failure);
      if (failures.size() >= 3) break;
    }
    if (seeds.size() == 1)
      std::fprintf(stderr, "seed %llu: %s\n", static_cast<unsigned long long>(seed),
                   result.summary().c_str());
    last = std::move(result);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "%zu seeds from %llu (brokers=%d) in %.2f s; last: %s\n", seeds.size(),
               static_cast<unsigned long long>(seeds.front()), options.brokers, seconds,
               last.summary().c_str());
  return failures;
}

void expect_no_failures(const std::vector<std::string>& failures) {
  for (const auto& f : failures)
    ADD_FAILURE() << f
                  << "\nreplay with FERRY_SEED=<seed> FERRY_SIM_TRACE=1 and this test's "
                     "--gtest_filter";
}

TEST(ReplicationSimulation,
     three_replicas_keep_every_invariant_under_crashes_partitions_and_failovers) {
  SimOptions options;
  options.brokers = 3;
  expect_no_failures(run_seeds(options, 300));
}

TEST(ReplicationSimulation,
     five_replicas_keep_every_invariant_under_crashes_partitions_and_failovers) {
  SimOptions options;
  options.brokers = 5;
  expect_no_failures(run_seeds(options, 60));
}

// The checker is not blind: a producer that trusts acks=1 answers loses "acknowledged" records
// across leader changes, and the simulation must say so for some seed.
TEST(ReplicationSimulation, catches_acks_one_treated_as_committed) {
  SimOptions options;
  options.bug = SimBug::kTrustAcksOne;
  options.acks_one_share = 0.6;
  const auto failures = run_seeds(options, 40);
  ASSERT_FALSE(failures.empty()) << "no seed lost an acks=1 record: the checker is blind";
  EXPECT_NE(failures[0].find("acknowledged id"), std::string::npos) << failures[0];
}

}  // namespace
}  // namespace ferry::replication::sim
