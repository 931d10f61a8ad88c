#include "controller/raft/read_index.h"

#include <algorithm>

namespace ferry::raft {

bool ReadIndexQueue::add(NodeId from, Bytes context, LogIndex commit, NodeId self) {
  const bool duplicate = std::any_of(queue_.begin(), queue_.end(), [&](const ReadIndexRequest& r) {
    return r.context == context;
  });
  if (duplicate) return false;
  ReadIndexRequest request{from, std::move(context), commit, {}};
  request.acks.insert(self);
  queue_.push_back(std::move(request));
  return true;
}

const Bytes* ReadIndexQueue::last_context() const {
  return queue_.empty() ? nullptr : &queue_.back().context;
}

const std::set<NodeId>* ReadIndexQueue::record_ack(NodeId from, const Bytes& context) {
  for (ReadIndexRequest& request : queue_) {
    if (request.context == context) {
      request.acks.insert(from);
      return &request.acks;
    }
  }
  return nullptr;
}

std::vector<ReadIndexRequest> ReadIndexQueue::release_through(const Bytes& context) {
  auto it = std::find_if(queue_.begin(), queue_.end(),
                         [&](const ReadIndexRequest& r) { return r.context == context; });
  if (it == queue_.end()) return {};
  std::vector<ReadIndexRequest> released(std::make_move_iterator(queue_.begin()),
                                         std::make_move_iterator(it + 1));
  queue_.erase(queue_.begin(), it + 1);
  return released;
}

}  // namespace ferry::raft
