// The metadata image in replication's terms (replication/assignment.h): the partitions this
// broker hosts a replica of, and where the live brokers serve replica fetches. The one place
// controller types turn into replication types.
#pragma once

#include <string_view>

#include "controller/metadata/image.h"
#include "replication/assignment.h"

namespace ferry::broker {

// `listener`: the inter-broker listener name whose endpoint followers fetch from. Brokers that
// are fenced, in controlled shutdown, or do not serve that listener are not live.
replication::ClusterAssignment cluster_assignment(const controller::metadata::MetadataImage& image,
                                                  NodeId self, std::string_view listener);

replication::PartitionAssignment to_assignment(
    const controller::metadata::PartitionRegistration& p);

}  // namespace ferry::broker
