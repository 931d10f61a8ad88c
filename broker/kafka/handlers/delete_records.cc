// DeleteRecords (21): advance a partition's log start offset (whole segments below it are
// deleted). Offset -1 means "up to the high watermark"; above the high watermark is
// OFFSET_OUT_OF_RANGE, as in Kafka.
#include "broker/kafka/handlers/handlers.h"
#include "broker/kafka/handlers/partition_lookup.h"
#include "broker/protocol/generated/messages.h"

namespace ferry::broker::kafka::handlers {

void delete_records(RequestContextPtr ctx) {
  DeleteRecordsRequest request;
  if (!ctx->decode(request)) return;
  auto& broker = ctx->broker();
  const auto image = broker.image();
  DeleteRecordsResponse response;
  for (const auto& t : request.topics) {
    auto& topic_out = response.topics.emplace_back();
    topic_out.name = t.name;
    for (const auto& p : t.partitions) {
      auto& out = topic_out.partitions.emplace_back();
      out.partition_index = p.partition_index;
      out.low_watermark = -1;
      auto found = lookup_partition(broker, *image, t.name, p.partition_index);
      if (found.error == ErrorCode::NONE) found.error = found.partition->check_leader(-1);
      if (found.error != ErrorCode::NONE) {
        out.error_code = to_int(found.error);
        continue;
      }
      const Offset hw = found.partition->high_watermark();
      const Offset target = p.offset == -1 ? hw : Offset(p.offset);
      if (target > hw || target < Offset(0)) {
        out.error_code = to_int(ErrorCode::OFFSET_OUT_OF_RANGE);
        continue;
      }
      auto deleted = found.partition->log().delete_records(target);
      if (!deleted.ok()) {
        out.error_code = to_int(deleted.code());
        continue;
      }
      out.low_watermark = deleted->value();
    }
  }
  ctx->respond(response);
}

}  // namespace ferry::broker::kafka::handlers
