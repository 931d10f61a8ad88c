#include "storage/topic_partition.h"

#include <fmt/format.h>

#include "common/parse.h"

namespace ferry::storage {

std::string TopicPartition::dir_name() const {
  return fmt::format("{}-{}", topic, partition);
}

std::optional<TopicPartition> TopicPartition::parse_dir_name(std::string_view name) {
  const size_t dash = name.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == name.size()) return std::nullopt;
  int32_t partition = 0;
  if (!parse_integer(name.substr(dash + 1), partition) || partition < 0) return std::nullopt;
  return TopicPartition{std::string(name.substr(0, dash)), partition};
}

}  // namespace ferry::storage
