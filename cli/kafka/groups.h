// The Kafka requests behind `ferry group`, as plain structs in and out (librdkafka 2.0.2's
// consumer-group admin API: ListGroups, DescribeGroups, OffsetFetch, OffsetCommit from an
// admin, DeleteGroups, OffsetDelete). Bounded by `deadline` like admin.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/kafka/client.h"
#include "common/error.h"

namespace ferry::cli {

struct GroupListing {
  std::string group_id;
  std::string state;    // Stable, Empty, ... ("Unknown" when the broker sent none)
  bool simple = false;  // no protocol type: offsets only, never joined
};

// Every group of every broker; per-broker failures come back in `errors`.
struct GroupList {
  std::vector<GroupListing> groups;  // sorted by id
  std::vector<Error> errors;
};
Result<GroupList> list_groups(Client& client, const Deadline& deadline);

struct GroupTopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const GroupTopicPartition&) const = default;
};

struct GroupMember {
  std::string member_id;
  std::string instance_id;  // "" for dynamic members
  std::string client_id;
  std::string host;
  std::vector<GroupTopicPartition> assignment;
};

struct GroupDescription {
  std::string group_id;
  std::optional<Error> error;
  std::string state;
  std::string protocol;  // the partition assignor ("" unless Stable)
  int32_t coordinator = -1;
  std::vector<GroupMember> members;
};
Result<GroupDescription> describe_group(Client& client, const std::string& group,
                                        const Deadline& deadline);

struct GroupOffset {
  GroupTopicPartition tp;
  int64_t offset = -1;  // -1: none committed
  std::string metadata;
  std::optional<Error> error;
};
// The group's committed offsets (every partition with one).
Result<std::vector<GroupOffset>> group_offsets(Client& client, const std::string& group,
                                               const Deadline& deadline);
// Commits `offsets` for the group as an admin (generation -1): the broker refuses while the
// group has members (UNKNOWN_MEMBER_ID). Per-partition outcomes in the result.
Result<std::vector<GroupOffset>> alter_group_offsets(Client& client, const std::string& group,
                                                     const std::vector<GroupOffset>& offsets,
                                                     const Deadline& deadline);
// Deletes groups (they must be empty); one outcome per group.
Result<std::vector<std::pair<std::string, std::optional<Error>>>> delete_groups(
    Client& client, const std::vector<std::string>& groups, const Deadline& deadline);
// Deletes the group's offsets of `partitions`; per-partition outcomes.
Result<std::vector<GroupOffset>> delete_group_offsets(
    Client& client, const std::string& group, const std::vector<GroupTopicPartition>& partitions,
    const Deadline& deadline);
// The first offset whose timestamp is >= `timestamp_ms`, per partition (ListOffsets); the log
// end where none is.
Result<std::vector<GroupOffset>> offsets_for_timestamp(
    Client& client, const std::vector<GroupTopicPartition>& partitions, int64_t timestamp_ms,
    const Deadline& deadline);

}  // namespace ferry::cli
