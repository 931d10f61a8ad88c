#include "replication/replica_fetch_server.h"

#include <mutex>

#include "replication/replica_manager.h"

namespace ferry::replication {

namespace {

struct ParkedFetch : std::enable_shared_from_this<ParkedFetch> {
  ReplicaManager* replicas = nullptr;
  ReplicaFetchRequest request;
  Executor* executor = nullptr;
  Clock* clock = nullptr;
  int64_t deadline_ms = 0;
  std::function<void(ServedFetch)> done;

  std::mutex mutex;
  bool answered = false;
  std::vector<std::pair<std::shared_ptr<Partition>, uint64_t>> watches;
  std::shared_ptr<TimerHandle> timer;

  // One pass over the request: the answer, whether it must go out now, and the partitions to
  // watch if not.
  ServedFetch attempt(bool& ready, std::vector<std::shared_ptr<Partition>>& partitions) {
    ServedFetch out;
    uint64_t total = 0;
    const auto max_bytes = static_cast<uint64_t>(std::max(request.max_bytes, 0));
    for (const auto& p : request.partitions) {
      auto& served = out.partitions.emplace_back();
      served.topic_id = p.topic_id;
      served.partition = p.partition;
      auto partition = replicas->get(p.topic_id, p.partition);
      if (!partition) {
        served.read.error = ErrorCode::NOT_LEADER_OR_FOLLOWER;  // no replica here
        ready = true;
        continue;
      }
      uint64_t limit = std::min<uint64_t>(static_cast<uint64_t>(std::max(p.max_bytes, 0)),
                                          max_bytes > total ? max_bytes - total : 0);
      // KIP-74: the first batch comes whole, unless the follower asked for no records at all
      // (max_bytes 0: a report of its durable end; see fetcher.h).
      if (limit == 0 && total == 0 && max_bytes > 0) limit = 1;
      served.read =
          partition->read_for_follower(request.replica_id, request.broker_epoch, p.position, limit);
      total += served.read.slice.length;
      ready = ready || served.read.error != ErrorCode::NONE || served.read.diverging ||
              served.read.high_watermark > p.position.high_watermark;
      partitions.push_back(std::move(partition));
    }
    const auto min_bytes = static_cast<uint64_t>(std::max(request.min_bytes, 0));
    ready = ready || total >= std::max<uint64_t>(min_bytes, 1);
    return out;
  }

  void wake() {
    {
      std::lock_guard lock(mutex);
      if (answered) return;
      for (auto& [partition, id] : watches)
        partition->unwatch(id);
      watches.clear();
    }
    answer_or_park();
  }

  void answer_or_park() {
    // Watch BEFORE reading: an append (or HW advance) between the read and the watch would
    // otherwise go unseen, and the fetch would wait out max_wait_ms with data at hand (a lost
    // wakeup that made acks=all writes wait replica.fetch.wait.max.ms now and then).
    std::vector<std::shared_ptr<Partition>> existing;
    for (const auto& p : request.partitions) {
      if (auto partition = replicas->get(p.topic_id, p.partition)) {
        existing.push_back(std::move(partition));
      }
    }
    const bool may_park = clock->monotonic_ms() < deadline_ms && !existing.empty();
    if (may_park) {
      std::weak_ptr<ParkedFetch> weak = shared_from_this();
      std::lock_guard lock(mutex);
      if (answered) return;
      for (auto& partition : existing) {
        const auto id = partition->watch(Partition::Watch::kLogEnd, [weak] {
          if (auto self = weak.lock()) self->wake();
        });
        watches.emplace_back(partition, id);
      }
    }
    bool ready = false;
    std::vector<std::shared_ptr<Partition>> partitions;
    ServedFetch served = attempt(ready, partitions);
    const int64_t now = clock->monotonic_ms();
    std::function<void(ServedFetch)> finish;
    {
      std::lock_guard lock(mutex);
      if (answered) return;
      if (ready || !may_park || now >= deadline_ms || partitions.empty()) {
        answered = true;
        for (auto& [partition, id] : watches)
          partition->unwatch(id);
        watches.clear();
        if (timer) timer->cancel();
        finish = std::move(done);
      } else if (!timer) {
        // The timer owns the parked fetch; watchers only refer to it.
        timer = executor->schedule_after(deadline_ms - now,
                                         [self = shared_from_this()] { self->wake(); });
      }
    }
    if (finish) finish(std::move(served));
  }
};

}  // namespace

void serve_replica_fetch(ReplicaManager& replicas, const ReplicaFetchRequest& request,
                         Executor& executor, Clock& clock, std::function<void(ServedFetch)> done) {
  auto parked = std::make_shared<ParkedFetch>();
  parked->replicas = &replicas;
  parked->request = request;
  parked->executor = &executor;
  parked->clock = &clock;
  parked->deadline_ms = clock.monotonic_ms() + std::max(request.max_wait_ms, 0);
  parked->done = std::move(done);
  parked->answer_or_park();
}

}  // namespace ferry::replication
