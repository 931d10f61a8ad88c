#include "replication/acks_policy.h"

#include <fmt/format.h>

namespace ferry::replication {

Status check_before_append(Acks acks, size_t isr_size, int32_t min_insync_replicas,
                           const std::string& topic_partition) {
  if (acks != Acks::kAll || static_cast<int64_t>(isr_size) >= min_insync_replicas) {
    return ok_status();
  }
  // Kafka's wording (Partition.appendRecordsToLeader).
  return Error(ErrorCode::NOT_ENOUGH_REPLICAS,
               fmt::format("The size of the current ISR {} is insufficient to satisfy the min.isr "
                           "requirement of {} for partition {}",
                           isr_size, min_insync_replicas, topic_partition));
}

}  // namespace ferry::replication
