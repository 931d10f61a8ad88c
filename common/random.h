// Randomness as an input (STYLE.md habit 2). There is no global RNG in Ferry: code that needs
// randomness (Raft election timeouts, simulated faults, placement tie-breaks) takes a `Random&`.
// SeededRandom is deterministic for a given seed, so a simulation or crash test replays
// exactly from the seed it prints.
#pragma once

#include <cstdint>
#include <string_view>

namespace ferry {

class Random {
 public:
  virtual ~Random() = default;
  virtual uint64_t next_u64() = 0;

  // Uniform in [0, bound); bound must be > 0. Unbiased (rejection sampling).
  uint64_t uniform(uint64_t bound);
  // Uniform in [lo, hi] inclusive; lo <= hi.
  int64_t range(int64_t lo, int64_t hi);
  // Uniform double in [0, 1).
  double next_double();
  // True with probability p (p <= 0 never, p >= 1 always).
  bool chance(double p);
};

// xoshiro256** seeded through splitmix64. Not thread-safe: one instance per thread or core.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed);
  uint64_t next_u64() override;
  uint64_t seed() const { return seed_; }

 private:
  uint64_t seed_;
  uint64_t s_[4];
};

// A seed for a test or tool run: the value of environment variable `env_name` (decimal) when
// set, otherwise a fresh non-deterministic one. Either way it is printed to stderr as
// "<env_name>=<seed>" so that a failing run can be replayed.
uint64_t seed_from_env(std::string_view env_name = "FERRY_SEED");

}  // namespace ferry
