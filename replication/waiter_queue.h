// Requests parked until the high watermark passes an offset (acks=all produces), keyed by the
// offset they need (exclusive end: ready when HW >= needed_end). Pure bookkeeping of ids: the
// partition driver keeps the callbacks and timers. Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "common/strong_types.h"

namespace ferry::replication {

class WaiterQueue {
 public:
  using Id = uint64_t;
  Id add(Offset needed_end);
  void remove(Id id);
  // Ids whose needed end is <= hw, in registration order per offset; they are removed.
  std::vector<Id> take_ready(Offset hw);
  // Every waiter (leadership lost, partition closed); they are removed.
  std::vector<Id> take_all();
  size_t size() const { return by_offset_.size(); }

 private:
  Id next_id_ = 1;
  std::multimap<Offset, Id> by_offset_;
  std::map<Id, Offset> by_id_;
};

}  // namespace ferry::replication
