// Kafka's topic-name rules (org.apache.kafka.common.internals.Topic), shared by the broker
// (Produce/Metadata auto-creation) and the controller (CreateTopics).
//
//  * not empty, not "." or "..", at most 249 characters;
//  * only ASCII letters, digits, '.', '_' and '-';
//  * internal topics (`__consumer_offsets`, `__transaction_state`) are reserved;
//  * two names that differ only in '.' versus '_' collide (their metric names would), and the
//    second one is refused.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace ferry {

inline constexpr size_t kMaxTopicNameLength = 249;
inline constexpr std::string_view kConsumerOffsetsTopic = "__consumer_offsets";
inline constexpr std::string_view kTransactionStateTopic = "__transaction_state";

// INVALID_TOPIC_EXCEPTION with Kafka's message when `name` is not a legal topic name.
Status validate_topic_name(std::string_view name);

bool is_internal_topic(std::string_view name);

// The name with every '.' replaced by '_': two topics collide when these are equal.
std::string topic_collision_key(std::string_view name);

}  // namespace ferry
