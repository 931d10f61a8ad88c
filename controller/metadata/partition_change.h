// Leader election and ISR changes for one partition (Kafka's PartitionChangeBuilder), and the
// partition changes that follow from a broker being fenced, shutting down or unfenced.
//
// Election rule (ARCHITECTURE.md section 5, invariant 4): the leader stays if it is still in
// the target ISR and usable; otherwise the first replica (in replica order, so the preferred
// leader wins ties) that is in the target ISR and usable becomes leader. If none is, and only
// if unclean election is enabled for the topic, the first usable replica outside the ISR
// becomes leader with ISR = {it} (this may lose acknowledged data, which is why it is off by
// default). Otherwise the partition has no leader (-1) until an ISR member comes back.
//
// Epochs are not set here: applying the PartitionChangeRecord bumps the partition epoch, and
// the leader epoch when the leader changes (state_machine.h).
//
// Pure: reads the image, returns records.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "controller/metadata/image.h"
#include "controller/metadata/records.h"

namespace ferry::controller::metadata {

using IsUsable = std::function<bool(NodeId)>;

// The record that moves `current` to `target_isr` with the leader the rule above picks, or
// nullopt when neither leader nor ISR would change.
std::optional<proto::MetadataRecord> build_partition_change(const Uuid& topic_id, int32_t partition,
                                                            const PartitionRegistration& current,
                                                            std::vector<NodeId> target_isr,
                                                            const IsUsable& is_usable,
                                                            bool unclean_allowed);

// Whether unclean leader election is enabled for `topic`: the topic override, else the
// cluster-wide dynamic default, else `static_default` (the controller's config).
bool unclean_election_enabled(const MetadataImage& image, const TopicImage& topic,
                              bool static_default);

// `broker` leaves service (fenced, or controlled shutdown): it is removed from every ISR it is
// in, except where it is the last member (the ISR keeps its last member so that the partition
// can come back cleanly when that broker returns), and partitions it led elect a new leader.
// `is_usable` must already treat `broker` as unusable.
Records changes_for_broker_leaving(const MetadataImage& image, NodeId broker,
                                   const IsUsable& is_usable, bool unclean_default);

// A broker became usable: every partition without a leader tries an election again (the broker
// may be its ISR member). `is_usable` must already treat the broker as usable.
Records changes_for_leaderless_partitions(const MetadataImage& image, const IsUsable& is_usable,
                                          bool unclean_default);

}  // namespace ferry::controller::metadata
