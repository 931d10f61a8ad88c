// The one table of Kafka APIs Ferry serves (STYLE.md habit 10). Version ranges follow
// CLIENTS.md section 3: every version from the lowest a supported client needs to the highest
// we implement, all of them handled (kafkajs and platformatic take our max, kafka-python and
// librdkafka need specific low versions). ApiVersions is computed from this table.
#include "broker/kafka/api_registry.h"

#include "broker/kafka/handlers/handlers.h"
#include "broker/protocol/generated/messages.h"

namespace ferry::broker::kafka {

namespace {

template <typename Req>
constexpr ApiEntry entry(int16_t min, int16_t max, void (*handle)(RequestContextPtr)) {
  static_assert(Req::kMinVersion >= 0);
  return ApiEntry{Req::kApiKey, Req::kName, min, max, Req::kFlexibleFrom, handle};
}

// clang-format off
constexpr ApiEntry kApis[] = {
  // Advertised from v0 because librdkafka 2.0.2 only compresses with gzip/snappy then
  // (KAFKA-18659); v0-2 (message format v0/v1) are answered UNSUPPORTED_VERSION per partition.
  entry<ProduceRequest>(0, 11, handlers::produce),
  entry<FetchRequest>(4, 17, handlers::fetch),
  entry<ListOffsetsRequest>(1, 9, handlers::list_offsets),
  entry<MetadataRequest>(0, 12, handlers::metadata),
  entry<ApiVersionsRequest>(0, 3, handlers::api_versions),
  entry<CreateTopicsRequest>(0, 7, handlers::create_topics),
  entry<DeleteTopicsRequest>(0, 6, handlers::delete_topics),
  entry<DeleteRecordsRequest>(0, 2, handlers::delete_records),
  entry<OffsetForLeaderEpochRequest>(0, 4, handlers::offset_for_leader_epoch),
  entry<DescribeConfigsRequest>(0, 4, handlers::describe_configs),
  entry<AlterConfigsRequest>(0, 2, handlers::alter_configs),
  entry<DescribeLogDirsRequest>(0, 4, handlers::describe_log_dirs),
  entry<CreatePartitionsRequest>(0, 3, handlers::create_partitions),
  entry<IncrementalAlterConfigsRequest>(0, 1, handlers::incremental_alter_configs),
  entry<DescribeClusterRequest>(0, 1, handlers::describe_cluster),
  // Consumer groups. FindCoordinator must start at v0: librdkafka looks for a coordinator
  // only when v0 is in range (CLIENTS.md).
  entry<FindCoordinatorRequest>(0, 6, handlers::find_coordinator),
  entry<JoinGroupRequest>(0, 9, handlers::join_group),
  entry<SyncGroupRequest>(0, 5, handlers::sync_group),
  entry<HeartbeatRequest>(0, 4, handlers::heartbeat),
  entry<LeaveGroupRequest>(0, 5, handlers::leave_group),
  entry<OffsetCommitRequest>(0, 8, handlers::offset_commit),
  entry<OffsetFetchRequest>(0, 9, handlers::offset_fetch),
  entry<DescribeGroupsRequest>(0, 5, handlers::describe_groups),
  entry<ListGroupsRequest>(0, 5, handlers::list_groups),
  entry<DeleteGroupsRequest>(0, 2, handlers::delete_groups),
  entry<OffsetDeleteRequest>(0, 0, handlers::offset_delete),
};
// clang-format on

// Every advertised range must be one the generated codec can decode and encode.
constexpr bool ranges_within_codec() {
  for (const auto& api : kApis) {
    bool found = false;
    for (const auto& schema : kApiSchemas) {
      if (schema.key != api.key) continue;
      found = api.min_version >= schema.min_version && api.max_version <= schema.max_version;
    }
    if (!found) return false;
  }
  return true;
}
static_assert(ranges_within_codec(), "an advertised version range exceeds the codec's");

}  // namespace

std::span<const ApiEntry> supported_apis() {
  return kApis;
}

const ApiEntry* find_supported_api(int16_t key) {
  for (const auto& api : kApis) {
    if (api.key == key) return &api;
  }
  return nullptr;
}

}  // namespace ferry::broker::kafka
