// Strong integer types for the identifiers and positions Ferry passes around, so that mixing
// an offset with an epoch, or a Raft term with a log index, does not compile (STYLE.md habit 5).
//
// Each type wraps one integer. Comparisons are within a type only; offsets-like types support
// `x + n`, `x - n` (n a plain integer delta) and `x - y` (a plain integer distance).
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <limits>

#include <fmt/format.h>

namespace ferry {

template <typename Tag, typename Rep>
class StrongInt {
 public:
  using rep = Rep;

  constexpr StrongInt() = default;
  constexpr explicit StrongInt(Rep value) : value_(value) {}

  constexpr Rep value() const { return value_; }
  static constexpr StrongInt min() { return StrongInt(std::numeric_limits<Rep>::min()); }
  static constexpr StrongInt max() { return StrongInt(std::numeric_limits<Rep>::max()); }

  constexpr auto operator<=>(const StrongInt&) const = default;

  constexpr StrongInt operator+(Rep delta) const { return StrongInt(value_ + delta); }
  constexpr StrongInt operator-(Rep delta) const { return StrongInt(value_ - delta); }
  constexpr Rep operator-(StrongInt other) const { return value_ - other.value_; }
  constexpr StrongInt& operator+=(Rep delta) {
    value_ += delta;
    return *this;
  }
  constexpr StrongInt& operator-=(Rep delta) {
    value_ -= delta;
    return *this;
  }
  constexpr StrongInt& operator++() {
    ++value_;
    return *this;
  }
  constexpr StrongInt operator++(int) {
    StrongInt old = *this;
    ++value_;
    return old;
  }

 private:
  Rep value_{};
};

// Kafka: an offset in a partition log (int64).
using Offset = StrongInt<struct OffsetTag, int64_t>;
// Kafka: a partition leader epoch (int32), stamped into every batch.
using LeaderEpoch = StrongInt<struct LeaderEpochTag, int32_t>;
// Kafka: a broker or controller node id (int32).
using NodeId = StrongInt<struct NodeIdTag, int32_t>;
// Kafka: a broker epoch, new on every broker registration (int64).
using BrokerEpoch = StrongInt<struct BrokerEpochTag, int64_t>;
// Kafka: a partition index within a topic (int32).
using PartitionId = StrongInt<struct PartitionIdTag, int32_t>;
// Kafka: a partition epoch, bumped on every partition change (int32).
using PartitionEpoch = StrongInt<struct PartitionEpochTag, int32_t>;
// Raft: a term.
using Term = StrongInt<struct TermTag, int64_t>;
// Raft: an index in the replicated log.
using LogIndex = StrongInt<struct LogIndexTag, int64_t>;

// Kafka's sentinel values.
inline constexpr Offset kNoOffset{-1};
inline constexpr LeaderEpoch kNoLeaderEpoch{-1};
inline constexpr NodeId kNoNode{-1};

}  // namespace ferry

template <typename Tag, typename Rep>
struct std::hash<ferry::StrongInt<Tag, Rep>> {
  size_t operator()(ferry::StrongInt<Tag, Rep> v) const noexcept {
    return std::hash<Rep>()(v.value());
  }
};

template <typename Tag, typename Rep>
struct fmt::formatter<ferry::StrongInt<Tag, Rep>> : fmt::formatter<Rep> {
  template <typename Ctx>
  auto format(ferry::StrongInt<Tag, Rep> v, Ctx& ctx) const {
    return fmt::formatter<Rep>::format(v.value(), ctx);
  }
};
