// DescribeLogDirs (35): per log dir, the partitions it holds with their sizes (what UIs show).
#include "broker/broker.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/protocol/generated/messages.h"
#include "replication/replica_manager.h"

namespace ferry::broker::kafka::handlers {

namespace {
using Request = DescribeLogDirsRequest;

bool wanted(const Request& request, const std::string& topic, int32_t partition) {
  if (!request.topics.has_value()) return true;
  for (const auto& t : *request.topics) {
    if (t.topic != topic) continue;
    if (std::find(t.partitions.begin(), t.partitions.end(), partition) != t.partitions.end()) {
      return true;
    }
  }
  return false;
}
}  // namespace

void describe_log_dirs(RequestContextPtr ctx) {
  DescribeLogDirsRequest request;
  if (!ctx->decode(request)) return;
  DescribeLogDirsResponse response;
  for (const auto& dir : ctx->broker().partitions().describe_log_dirs()) {
    auto& out = response.results.emplace_back();
    out.error_code = to_int(dir.error);
    out.log_dir = dir.path;
    out.total_bytes = dir.total_bytes;
    out.usable_bytes = dir.usable_bytes;
    for (const auto& p : dir.partitions) {
      if (!wanted(request, p.topic, p.partition)) continue;
      auto it = std::find_if(out.topics.begin(), out.topics.end(),
                             [&](const auto& t) { return t.name == p.topic; });
      if (it == out.topics.end()) {
        out.topics.emplace_back().name = p.topic;
        it = std::prev(out.topics.end());
      }
      auto& part = it->partitions.emplace_back();
      part.partition_index = p.partition;
      part.partition_size = p.size_bytes;
      part.offset_lag = p.offset_lag;
      part.is_future_key = false;
    }
  }
  ctx->respond(response);
}

}  // namespace ferry::broker::kafka::handlers
