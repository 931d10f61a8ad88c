// Replica placement for new partitions: Kafka's striped, rack-aware round robin
// (StripedReplicaPlacer), restricted to *usable* brokers: registered, unfenced and not in
// controlled shutdown. Fenced brokers never receive new replicas.
//
// Racks are visited round robin from a random starting rack, and brokers within a rack round
// robin from a random starting broker; each partition starts one rack further, which gives the
// characteristic stripes (p0: A0 B0 C0, p1: B1 C1 A1, ...). The first replica is the preferred
// leader. Once every usable broker has led one partition the rack and broker orders are
// reshuffled, so large topics do not repeat the same replica sets.
//
// Pure: randomness comes from the injected Random (seed it to replay a placement).
#pragma once

#include <cstdint>
#include <vector>

#include "common/error.h"
#include "common/random.h"
#include "controller/metadata/image.h"

namespace ferry::controller::metadata {

// True when `id` is registered, unfenced and not shutting down: it may lead, join an ISR and
// receive new replicas.
bool broker_is_usable(const MetadataImage& image, NodeId id);

// `num_partitions` replica lists of `replication_factor` distinct usable brokers each.
// INVALID_REPLICATION_FACTOR with Kafka's wording (without the "Unable to replicate the
// partition N time(s): " prefix, which the caller adds):
//   "Invalid replication factor 0: the replication factor must be positive."
//   "The target replication factor of 3 cannot be reached because only 2 broker(s) are
//    registered."
//   "All brokers are currently fenced."
//   "The target replication factor of 3 cannot be reached because only 2 broker(s) are
//    registered and unfenced."  (Ferry: registered brokers that are fenced are not used)
Result<std::vector<std::vector<NodeId>>> place_replicas(const MetadataImage& image,
                                                        int32_t num_partitions,
                                                        int32_t replication_factor, Random& random);

}  // namespace ferry::controller::metadata
