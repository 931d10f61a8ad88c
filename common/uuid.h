// A 128-bit UUID as Kafka uses them (topic ids, cluster ids, incarnation ids). Text form is
// base64url without padding (22 characters), as Kafka prints them
// ("AAAAAAAAAAAAAAAAAAAAAA" is the zero UUID, which Kafka treats as "no id").
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace ferry {

class Random;

struct Uuid {
  std::array<uint8_t, 16> bytes{};

  bool is_zero() const;
  std::string to_string() const;
  static std::optional<Uuid> parse(std::string_view text);
  // A random (version 4) UUID that is never zero.
  static Uuid random(Random& rng);
  auto operator<=>(const Uuid&) const = default;
};

}  // namespace ferry

template <>
struct std::hash<ferry::Uuid> {
  size_t operator()(const ferry::Uuid& u) const noexcept {
    size_t h = 0;
    for (uint8_t b : u.bytes)
      h = h * 131 + b;
    return h;
  }
};
