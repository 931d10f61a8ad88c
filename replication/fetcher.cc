#include "replication/fetcher.h"

#include <atomic>

#include "common/log.h"

namespace ferry::replication {

namespace {
constexpr int64_t kErrorLogIntervalMs = 5000;  // one warning per fetcher per interval
}

ReplicaFetcher::ReplicaFetcher(NodeId self, NodeId source, BrokerEndpoint endpoint,
                               FetcherOptions options, ReplicaFetchClientFactory& clients,
                               Flush flush, Executor& executor, Clock& clock,
                               std::function<BrokerEpoch()> own_broker_epoch)
    : self_(self),
      source_(source),
      options_(options),
      clients_(clients),
      flush_(std::move(flush)),
      executor_(executor),
      clock_(clock),
      own_broker_epoch_(std::move(own_broker_epoch)),
      endpoint_(std::move(endpoint)) {}

ReplicaFetcher::~ReplicaFetcher() {
  stop();
}

void ReplicaFetcher::add(const std::shared_ptr<Partition>& partition, LeaderEpoch epoch) {
  std::lock_guard lock(mutex_);
  entries_[Key{partition->topic_id(), partition->index()}] = Entry{partition, epoch, 0};
  kick_locked();
}

void ReplicaFetcher::remove(const Partition* partition) {
  std::lock_guard lock(mutex_);
  std::erase_if(entries_, [&](const auto& e) { return e.second.partition.get() == partition; });
}

size_t ReplicaFetcher::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void ReplicaFetcher::set_endpoint(const BrokerEndpoint& endpoint) {
  std::shared_ptr<ReplicaFetchClient> old;
  {
    std::lock_guard lock(mutex_);
    if (endpoint.host == endpoint_.host && endpoint.port == endpoint_.port) {
      endpoint_ = endpoint;  // a new broker epoch only
      return;
    }
    endpoint_ = endpoint;
    old = std::move(client_);  // the next round connects to the new address
  }
  if (old) old->close();
}

void ReplicaFetcher::stop() {
  std::shared_ptr<ReplicaFetchClient> client;
  std::shared_ptr<TimerHandle> timer;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    entries_.clear();
    client = std::move(client_);
    timer = std::move(timer_);
  }
  if (timer) timer->cancel();
  if (client) client->close();
}

void ReplicaFetcher::kick_locked() {
  if (in_flight_ || stopped_) return;
  if (scheduled_ && timer_ && timer_->cancel()) scheduled_ = false;  // a backoff wait: start now
  if (!scheduled_) schedule_round_locked(0);
}

void ReplicaFetcher::schedule_round_locked(int64_t delay_ms) {
  scheduled_ = true;
  auto task = [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->round();
  };
  if (delay_ms <= 0) {
    executor_.post(std::move(task));
  } else {
    timer_ = executor_.schedule_after(delay_ms, std::move(task));
  }
}

void ReplicaFetcher::round() {
  std::map<Key, Sent> sent;
  ReplicaFetchRequest request;
  std::shared_ptr<ReplicaFetchClient> client;
  {
    std::lock_guard lock(mutex_);
    scheduled_ = false;
    if (stopped_ || in_flight_) return;
    const int64_t now = clock_.monotonic_ms();
    int64_t next_backoff = INT64_MAX;
    for (auto& [key, e] : entries_) {
      if (e.backoff_until_ms > now) {
        next_backoff = std::min(next_backoff, e.backoff_until_ms);
        continue;
      }
      auto position = e.partition->follower_position(source_, e.epoch);
      if (!position) continue;  // no longer follows this leader; the manager moves it
      sent[key] = Sent{e.partition, e.epoch, *position};
      request.partitions.push_back(
          {key.first, key.second, *position, options_.partition_max_bytes});
    }
    if (sent.empty()) {
      if (next_backoff != INT64_MAX) schedule_round_locked(next_backoff - now);
      return;  // idle until add() or the backoff ends
    }
    if (!client_) client_ = clients_.connect(source_, endpoint_);
    client = client_;
    in_flight_ = true;
  }
  request.replica_id = self_;
  request.broker_epoch = own_broker_epoch_();
  request.max_wait_ms = options_.max_wait_ms;
  request.min_bytes = options_.min_bytes;
  request.max_bytes = options_.max_bytes;
  client->fetch(request, [weak = weak_from_this(),
                          sent = std::move(sent)](Result<ReplicaFetchResponse> response) mutable {
    if (auto self = weak.lock()) self->on_response(std::move(sent), std::move(response));
  });
}

void ReplicaFetcher::on_response(std::map<Key, Sent> sent, Result<ReplicaFetchResponse> response) {
  const int64_t now = clock_.monotonic_ms();
  if (!response.ok() || response->error != ErrorCode::NONE) {
    const Error error = response.ok() ? Error(response->error) : response.error();
    std::lock_guard lock(mutex_);
    in_flight_ = false;
    if (stopped_) return;
    if (now - last_error_log_ms_ >= kErrorLogIntervalMs) {
      last_error_log_ms_ = now;
      logger("replication")
          ->warn("[fetcher {}->{}] fetch from {}:{} failed: {}; retrying", self_, source_,
                 endpoint_.host, endpoint_.port, error.to_string());
    }
    if (!response.ok()) client_.reset();  // reconnect next round
    schedule_round_locked(options_.backoff_ms);
    return;
  }
  std::vector<std::shared_ptr<storage::PartitionLog>> to_flush;
  for (const auto& p : response->partitions) {
    const auto it = sent.find(Key{p.topic_id, p.partition});
    if (it == sent.end()) continue;
    const Sent& s = it->second;
    const FollowerOutcome outcome =
        s.partition->apply_leader_answer(source_, s.epoch, s.position, p.answer, p.records);
    if (!outcome.current) continue;
    if (outcome.step == FollowerState::Step::kRetryLater) {
      logger("replication")
          ->debug("{} fetch from {} backs off: {}", s.partition->log_prefix(), source_,
                  error_name(outcome.error));
      std::lock_guard lock(mutex_);
      if (auto e = entries_.find(it->first);
          e != entries_.end() && e->second.partition == s.partition) {
        e->second.backoff_until_ms = now + options_.backoff_ms;
      }
    }
    if (outcome.appended && options_.durable) to_flush.push_back(s.partition->log_ptr());
  }
  if (!to_flush.empty()) {
    flush_(std::move(to_flush), [weak = weak_from_this()] {
      if (auto self = weak.lock()) self->report_durable();
    });
  }
  finish_round(false);
}

void ReplicaFetcher::report_durable() {
  ReplicaFetchRequest request;
  std::shared_ptr<ReplicaFetchClient> client;
  {
    std::lock_guard lock(mutex_);
    if (stopped_ || !client_) return;  // the next data fetch (new connection) carries it
    for (auto& [key, e] : entries_) {
      auto position = e.partition->follower_position(source_, e.epoch);
      if (!position) continue;
      request.partitions.push_back({key.first, key.second, *position, 0});
    }
    if (request.partitions.empty()) return;
    client = client_;
  }
  request.replica_id = self_;
  request.broker_epoch = own_broker_epoch_();
  request.max_wait_ms = 0;
  request.min_bytes = 0;
  request.max_bytes = 0;  // report only: the leader reads nothing (replica_fetch_server.h)
  // The answer has nothing to apply; an error also fails the data fetch on this connection,
  // which handles it.
  client->fetch(request, [](Result<ReplicaFetchResponse>) {});
}

void ReplicaFetcher::finish_round(bool failed) {
  std::lock_guard lock(mutex_);
  in_flight_ = false;
  if (stopped_) return;
  schedule_round_locked(failed ? options_.backoff_ms : 0);
}

}  // namespace ferry::replication
