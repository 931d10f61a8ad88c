// One handler per Kafka API (one file each in this folder). Registered in api_registry.cc.
#pragma once

#include "broker/kafka/request_context.h"

namespace ferry::broker::kafka::handlers {

void api_versions(RequestContextPtr ctx);
void metadata(RequestContextPtr ctx);
void produce(RequestContextPtr ctx);
void fetch(RequestContextPtr ctx);
void list_offsets(RequestContextPtr ctx);
void create_topics(RequestContextPtr ctx);
void delete_topics(RequestContextPtr ctx);
void create_partitions(RequestContextPtr ctx);
void describe_configs(RequestContextPtr ctx);
void alter_configs(RequestContextPtr ctx);
void incremental_alter_configs(RequestContextPtr ctx);
void delete_records(RequestContextPtr ctx);
void describe_cluster(RequestContextPtr ctx);
void describe_log_dirs(RequestContextPtr ctx);
void offset_for_leader_epoch(RequestContextPtr ctx);
// Consumer groups (broker/group_coordinator.h).
void find_coordinator(RequestContextPtr ctx);
void join_group(RequestContextPtr ctx);
void sync_group(RequestContextPtr ctx);
void heartbeat(RequestContextPtr ctx);
void leave_group(RequestContextPtr ctx);
void offset_commit(RequestContextPtr ctx);
void offset_fetch(RequestContextPtr ctx);
void describe_groups(RequestContextPtr ctx);
void list_groups(RequestContextPtr ctx);
void delete_groups(RequestContextPtr ctx);
void offset_delete(RequestContextPtr ctx);

}  // namespace ferry::broker::kafka::handlers
