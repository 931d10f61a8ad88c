// Small text helpers for "did you mean ...?" messages.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

namespace ferry {

// Levenshtein distance (insertions, deletions and substitutions cost 1).
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word` by edit distance (the first of equals), or nullopt when
// there are no candidates or the closest is more than `max_distance` away.
std::optional<std::string_view> closest(std::string_view word,
                                        std::span<const std::string_view> candidates,
                                        size_t max_distance = SIZE_MAX);

}  // namespace ferry
