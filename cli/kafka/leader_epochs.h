// Leader epochs of partitions, for `ferry topic describe`: librdkafka 2.0.2 does not expose the
// LeaderEpoch of Metadata v7+, so this sends one Metadata v7 request itself (KIP-320's field)
// over a plain blocking socket to the first bootstrap broker that answers.
//
// Metadata v7 (non-flexible), as Kafka's protocol reference gives it:
//   request:  header v1 (ApiKey 3, ApiVersion 7, CorrelationId, ClientId)
//             Topics [Name] | AllowAutoTopicCreation bool
//   response: CorrelationId | ThrottleTimeMs | Brokers [NodeId Host Port Rack?] | ClusterId? |
//             ControllerId | Topics [ErrorCode Name IsInternal
//                                    Partitions [ErrorCode Index Leader LeaderEpoch
//                                                Replicas[] Isr[] Offline[]]]
// Works against Apache Kafka >= 2.1 too. Every read is bounds-checked; a broker that does not
// speak v7 (or anything else going wrong) is an error the caller shows as an unknown epoch.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"

namespace ferry::cli {

using LeaderEpochs = std::map<std::pair<std::string, int32_t>, int32_t>;

// `brokers`: "host:port,..." (the bootstrap list). Bounded by `timeout_ms` in all.
Result<LeaderEpochs> fetch_leader_epochs(const std::string& brokers,
                                         const std::vector<std::string>& topics,
                                         int64_t timeout_ms);

}  // namespace ferry::cli
