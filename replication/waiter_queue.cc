#include "replication/waiter_queue.h"

namespace ferry::replication {

WaiterQueue::Id WaiterQueue::add(Offset needed_end) {
  const Id id = next_id_++;
  by_offset_.emplace(needed_end, id);
  by_id_.emplace(id, needed_end);
  return id;
}

void WaiterQueue::remove(Id id) {
  const auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  auto [lo, hi] = by_offset_.equal_range(it->second);
  for (auto o = lo; o != hi; ++o) {
    if (o->second == id) {
      by_offset_.erase(o);
      break;
    }
  }
  by_id_.erase(it);
}

std::vector<WaiterQueue::Id> WaiterQueue::take_ready(Offset hw) {
  std::vector<Id> out;
  const auto end = by_offset_.upper_bound(hw);
  for (auto it = by_offset_.begin(); it != end; ++it) {
    out.push_back(it->second);
    by_id_.erase(it->second);
  }
  by_offset_.erase(by_offset_.begin(), end);
  return out;
}

std::vector<WaiterQueue::Id> WaiterQueue::take_all() {
  std::vector<Id> out;
  for (const auto& [_, id] : by_offset_)
    out.push_back(id);
  by_offset_.clear();
  by_id_.clear();
  return out;
}

}  // namespace ferry::replication
