#include "common/random.h"

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "common/assert.h"

namespace ferry {

uint64_t Random::uniform(uint64_t bound) {
  FERRY_ASSERT(bound > 0, "uniform() needs a positive bound");
  // Reject the top sliver that would bias the modulo.
  const uint64_t limit = UINT64_MAX - (UINT64_MAX % bound);
  uint64_t x;
  do {
    x = next_u64();
  } while (x >= limit);
  return x % bound;
}

int64_t Random::range(int64_t lo, int64_t hi) {
  FERRY_ASSERT(lo <= hi, "range({}, {}) is empty", lo, hi);
  const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  if (span == UINT64_MAX) return static_cast<int64_t>(next_u64());
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + uniform(span + 1));
}

double Random::next_double() {
  return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

bool Random::chance(double p) {
  if (p <= 0) return false;
  if (p >= 1) return true;
  return next_double() < p;
}

namespace {
uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
inline uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}
}  // namespace

SeededRandom::SeededRandom(uint64_t seed) : seed_(seed) {
  uint64_t state = seed;
  for (auto& word : s_)
    word = splitmix64(state);
}

uint64_t SeededRandom::next_u64() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

uint64_t seed_from_env(std::string_view env_name) {
  const std::string name(env_name);
  uint64_t seed;
  if (const char* value = std::getenv(name.c_str()); value != nullptr && *value != '\0') {
    seed = std::strtoull(value, nullptr, 10);
  } else {
    std::random_device device;
    seed = (static_cast<uint64_t>(device()) << 32) ^ device();
  }
  std::fprintf(stderr, "%s=%llu\n", name.c_str(), static_cast<unsigned long long>(seed));
  return seed;
}

}  // namespace ferry
