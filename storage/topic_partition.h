// A partition's name as storage knows it: topic and index, and Kafka's directory naming.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::storage {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;

  // "<topic>-<partition>" (Kafka's directory name).
  std::string dir_name() const;
  // Parses a directory name; topics may contain '-', so the partition follows the LAST '-'.
  // Names with a '.' suffix after the partition (e.g. "orders-3.abc-delete") are not partitions.
  static std::optional<TopicPartition> parse_dir_name(std::string_view name);
  auto operator<=>(const TopicPartition&) const = default;
};

}  // namespace ferry::storage
