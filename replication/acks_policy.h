// acks and min.insync.replicas: Kafka's produce rules in one place (ARCHITECTURE.md section 5,
// invariant 2). Pure; the partition driver asks before appending and when the high watermark
// passes a parked acks=all batch.
//
//   acks=0   no response at all; acks=1 answered after the leader's own append;
//   acks=-1  ("all") answered once the HW passes the batch, i.e. every member of the (maximal)
//            ISR holds it (durably, in Ferry's default log.flush.mode=fsync).
//   acks=-1 and |ISR| < min.insync.replicas before the append: NOT_ENOUGH_REPLICAS (19), nothing
//            written. The ISR shrank below it while the batch waited: the batch is in the log
//            but the answer is NOT_ENOUGH_REPLICAS_AFTER_APPEND (20) (Kafka:
//            Partition.checkEnoughReplicasReachOffset). acks=0/1 ignore min.insync.replicas.
// |ISR| is the committed ISR, as in Kafka (not the maximal one of a pending expansion).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/error.h"

namespace ferry::replication {

enum class Acks : int8_t { kNone = 0, kLeader = 1, kAll = -1 };

// nullopt for anything but -1, 0, 1 (INVALID_REQUIRED_ACKS).
inline std::optional<Acks> parse_acks(int16_t acks) {
  if (acks == -1) return Acks::kAll;
  if (acks == 0) return Acks::kNone;
  if (acks == 1) return Acks::kLeader;
  return std::nullopt;
}

// NOT_ENOUGH_REPLICAS with Kafka's message, or ok, for a produce about to be appended.
Status check_before_append(Acks acks, size_t isr_size, int32_t min_insync_replicas,
                           const std::string& topic_partition);

// The answer of an acks=all batch once the high watermark passed it.
inline ErrorCode completion_code(size_t isr_size, int32_t min_insync_replicas) {
  return static_cast<int64_t>(isr_size) >= min_insync_replicas
             ? ErrorCode::NONE
             : ErrorCode::NOT_ENOUGH_REPLICAS_AFTER_APPEND;
}

}  // namespace ferry::replication
