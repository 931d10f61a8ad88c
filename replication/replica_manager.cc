#include "replication/replica_manager.h"

#include <sys/statvfs.h>

#include <atomic>
#include <set>

#include "common/log.h"
#include "common/parse.h"
#include "replication/partition.h"
#include "storage/log_manager.h"

namespace ferry::replication {

namespace {

// Topic keys that shape the storage layer (the rest, e.g. min.insync.replicas, replication uses).
constexpr std::string_view kStorageKeys[] = {"segment.bytes",
                                             "segment.ms",
                                             "retention.ms",
                                             "retention.bytes",
                                             "max.message.bytes",
                                             "message.timestamp.type",
                                             "message.timestamp.before.max.ms",
                                             "message.timestamp.after.max.ms",
                                             "message.timestamp.difference.max.ms",
                                             "index.interval.bytes",
                                             "cleanup.policy",
                                             "min.cleanable.dirty.ratio",
                                             "delete.retention.ms",
                                             "min.compaction.lag.ms",
                                             "max.compaction.lag.ms"};

bool hosts(const PartitionAssignment& a, NodeId self) {
  return std::find(a.replicas.begin(), a.replicas.end(), self) != a.replicas.end();
}

FetcherOptions fetcher_options(const config::BrokerConfig& config) {
  FetcherOptions o;
  o.max_wait_ms = config.get_int("replica.fetch.wait.max.ms");
  o.min_bytes = config.get_int("replica.fetch.min.bytes");
  o.max_bytes = config.get_int("replica.fetch.response.max.bytes");
  o.partition_max_bytes = config.get_int("replica.fetch.max.bytes");
  o.backoff_ms = config.get_int("replica.fetch.backoff.ms");
  o.durable = config.get("log.flush.mode") != "page-cache";
  return o;
}

}  // namespace

Result<storage::LogConfig> ReplicaManager::log_config_for(
    const config::BrokerConfig& broker, const std::map<std::string, std::string>& overrides) {
  std::map<std::string, std::string> values;
  for (const auto key : kStorageKeys) {
    values[std::string(key)] = config::topic_value(overrides, broker, key);
  }
  return storage::LogConfig{}.with_overrides(values);
}

int32_t ReplicaManager::min_insync_replicas_for(
    const config::BrokerConfig& broker, const std::map<std::string, std::string>& overrides) {
  const std::string text = config::topic_value(overrides, broker, "min.insync.replicas");
  const auto value = parse_integer<int32_t>(text);
  if (value && *value >= 1) return *value;
  // Values are validated when set (config schema); this only guards against a bad record.
  logger("replication")->error("invalid min.insync.replicas '{}': using 1", text);
  return 1;
}

ReplicaManager::ReplicaManager(const config::BrokerConfig& config, NodeId self, Executor& executor,
                               Clock& clock, ReplicaManagerDeps deps)
    : config_(config),
      self_(self),
      executor_(executor),
      clock_(clock),
      deps_(std::move(deps)),
      ack_mode_(config.get("log.flush.mode") == "page-cache" ? AckMode::kPageCache
                                                             : AckMode::kDurable),
      fetcher_options_(fetcher_options(config)) {
  for (const auto& d : config.get_list("log.dirs"))
    dirs_.emplace_back(d);
  auto defaults = log_config_for(config, {});
  FERRY_ASSERT(defaults.ok(), "broker log.* defaults rejected by storage: {}",
               defaults.error().to_string());
  logs_ = std::make_unique<storage::LogManager>(dirs_, *defaults, clock);
  if (const std::string metadata_dir = config.metadata_log_dir(); !metadata_dir.empty()) {
    logs_->add_foreign_dir(metadata_dir);
  }
}

ReplicaManager::~ReplicaManager() {
  shutdown();
}

Status ReplicaManager::open() {
  // Topic overrides come with the assignment; until then logs use the broker defaults.
  FERRY_TRY(logs_->open_all());
  for (const auto& [tp, error] : logs_->failed_partitions()) {
    logger("replication")
        ->error("[{}-{}] log failed to open and is offline: {}", tp.topic, tp.partition,
                error.to_string());
  }
  if (deps_.flusher_threads > 0) logs_->start_flusher(deps_.flusher_threads);
  // Background threads only where the flusher has them too: the deterministic simulation
  // (flusher_threads = 0) drives every step itself.
  if (deps_.flusher_threads > 0 && config_.get_bool("log.cleaner.enable")) {
    storage::CleanerOptions cleaner;
    cleaner.dedupe_buffer_bytes =
        static_cast<size_t>(config_.get_long("log.cleaner.dedupe.buffer.size"));
    cleaner.load_factor = config_.get_double("log.cleaner.io.buffer.load.factor");
    cleaner.max_io_bytes_per_second = config_.get_double("log.cleaner.io.max.bytes.per.second");
    cleaner.backoff_ms = config_.get_long("log.cleaner.backoff.ms");
    logs_->start_cleaners(cleaner);
  }
  std::lock_guard lock(mutex_);
  last_retention_ms_ = clock_.monotonic_ms();
  schedule_background();
  schedule_isr_check();
  return ok_status();
}

// ---- applying the assignment ------------------------------------------------------------------

void ReplicaManager::apply(const ClusterAssignment& assignment) {
  std::lock_guard apply_lock(apply_mutex_);
  if (last_assignment_ && assignment.metadata_offset < last_assignment_->metadata_offset) return;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    live_brokers_ = assignment.live_brokers;
  }
  last_assignment_ = assignment;
  update_fetcher_endpoints(assignment);
  std::map<std::string, std::optional<storage::LogConfig>> configs;
  for (const auto& hosted : assignment.partitions) {
    auto& config = configs[hosted.topic];
    const bool changed = applied_configs_[hosted.topic] != hosted.configs;
    if (!config) {
      auto c = log_config_for(config_, hosted.configs);
      if (!c.ok()) {
        logger("replication")
            ->error("topic {} has invalid storage configs: {}", hosted.topic,
                    c.error().to_string());
        continue;
      }
      config = *c;
    }
    apply_partition(hosted, &*config, changed);
  }
  for (const auto& hosted : assignment.partitions)
    applied_configs_[hosted.topic] = hosted.configs;
  remove_absent(assignment);
}

void ReplicaManager::apply_partition(const HostedPartition& hosted,
                                     const storage::LogConfig* config, bool configs_changed) {
  const Key key{hosted.topic, hosted.index};
  std::shared_ptr<Partition> partition;
  {
    std::lock_guard lock(mutex_);
    if (auto it = partitions_.find(key); it != partitions_.end()) partition = it->second;
  }
  if (partition && partition->topic_id() != hosted.topic_id) {
    // The topic was deleted and re-created under the same name while we were away.
    route(partition, Role::kOffline);
    partition->stop();
    ignore_error(logs_->remove({hosted.topic, hosted.index}));
    std::lock_guard lock(mutex_);
    partitions_.erase(key);
    partition.reset();
  }
  if (!partition) {
    auto log = log_for(hosted, *config);
    if (!log.ok()) {
      logger("replication")
          ->error("[{}-{}] cannot open or create its log: {}", hosted.topic, hosted.index,
                  log.error().to_string());
      return;
    }
    partition = std::make_shared<Partition>(hosted.topic, hosted.index, hosted.topic_id, *log,
                                            self_, ack_mode_, executor_, clock_);
    std::weak_ptr<Partition> weak = partition;
    (*log)->set_durable_listener([weak](Offset durable) {
      if (auto p = weak.lock()) p->on_durable(durable);
    });
    std::lock_guard lock(mutex_);
    partition->set_lease(lease_valid_);
    partitions_[key] = partition;
  } else if (configs_changed) {
    if (auto set = partition->log().set_config(*config); !set.ok()) {
      logger("replication")
          ->error("{} config change failed: {}", partition->log_prefix(), set.error().to_string());
    }
  }
  const Role role = partition->apply_assignment(hosted.assignment,
                                                min_insync_replicas_for(config_, hosted.configs));
  route(partition, role);
}

// Puts a partition in the fetcher of its leader (follower), or in none (leader, offline).
void ReplicaManager::route(const std::shared_ptr<Partition>& partition, Role role) {
  const PartitionAssignment a = partition->assignment();
  std::shared_ptr<ReplicaFetcher> target;
  std::vector<std::shared_ptr<ReplicaFetcher>> others;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    if (role == Role::kFollower) {
      auto& fetcher = fetchers_[a.leader];
      if (!fetcher) {
        const auto live = live_brokers_.find(a.leader);
        const BrokerEndpoint endpoint =
            live != live_brokers_.end() ? live->second : BrokerEndpoint{};
        fetcher = std::make_shared<ReplicaFetcher>(
            self_, a.leader, endpoint, fetcher_options_, deps_.fetch_clients,
            [this](auto logs, auto done) { flush_logs(std::move(logs), std::move(done)); },
            executor_, clock_, deps_.broker_epoch);
      }
      target = fetcher;
    }
    for (auto& [source, fetcher] : fetchers_) {
      if (fetcher != target) others.push_back(fetcher);
    }
  }
  for (auto& f : others)
    f->remove(partition.get());
  if (target) target->add(partition, a.leader_epoch);
}

void ReplicaManager::update_fetcher_endpoints(const ClusterAssignment& assignment) {
  std::vector<std::pair<std::shared_ptr<ReplicaFetcher>, BrokerEndpoint>> updates;
  std::vector<std::shared_ptr<ReplicaFetcher>> idle;
  {
    std::lock_guard lock(mutex_);
    for (auto it = fetchers_.begin(); it != fetchers_.end();) {
      if (it->second->size() == 0) {
        idle.push_back(it->second);
        it = fetchers_.erase(it);
        continue;
      }
      if (auto live = assignment.live_brokers.find(it->first);
          live != assignment.live_brokers.end()) {
        updates.emplace_back(it->second, live->second);
      }
      ++it;
    }
  }
  for (auto& f : idle)
    f->stop();
  for (auto& [fetcher, endpoint] : updates)
    fetcher->set_endpoint(endpoint);
}

void ReplicaManager::remove_absent(const ClusterAssignment& assignment) {
  std::set<Key> hosted;
  std::map<std::string, Uuid> topic_ids;
  for (const auto& p : assignment.partitions) {
    if (hosts(p.assignment, self_)) hosted.emplace(p.topic, p.index);
    topic_ids[p.topic] = p.topic_id;
  }
  std::vector<std::pair<Key, std::shared_ptr<Partition>>> gone;
  bool caught_up = false;
  {
    std::lock_guard lock(mutex_);
    caught_up = caught_up_;
    for (const auto& [key, partition] : partitions_) {
      if (!hosted.contains(key)) gone.emplace_back(key, partition);
    }
    for (const auto& [key, _] : gone)
      partitions_.erase(key);
  }
  for (const auto& [key, partition] : gone) {
    logger("replication")->info("{} removed from this broker", partition->log_prefix());
    route(partition, Role::kOffline);
    partition->stop();
    if (auto removed = logs_->remove({key.first, key.second}); !removed.ok()) {
      logger("replication")
          ->error("{} log removal failed: {}", partition->log_prefix(),
                  removed.error().to_string());
    }
  }
  // Logs on disk that no hosted partition owns: deleted or moved while we were down.
  if (!caught_up) return;
  for (const auto& tp : logs_->partitions()) {
    if (hosted.contains(Key{tp.topic, tp.partition})) continue;
    logger("replication")
        ->info("[{}-{}] stray log (topic deleted or moved) removed", tp.topic, tp.partition);
    ignore_error(logs_->remove(tp));
  }
}

void ReplicaManager::set_metadata_caught_up(bool caught_up) {
  {
    std::lock_guard lock(mutex_);
    if (caught_up_ == caught_up) return;
    caught_up_ = caught_up;
  }
  std::optional<ClusterAssignment> last;
  {
    std::lock_guard apply_lock(apply_mutex_);
    last = last_assignment_;
  }
  if (caught_up && last) apply(*last);
}

void ReplicaManager::set_lease(bool valid) {
  std::vector<std::shared_ptr<Partition>> partitions;
  {
    std::lock_guard lock(mutex_);
    if (lease_valid_ == valid) return;
    lease_valid_ = valid;
    for (auto& [_, p] : partitions_)
      partitions.push_back(p);
  }
  for (auto& p : partitions)
    p->set_lease(valid);
}

void ReplicaManager::shutdown() {
  std::vector<std::shared_ptr<Partition>> all;
  std::vector<std::shared_ptr<ReplicaFetcher>> fetchers;
  std::shared_ptr<TimerHandle> background, isr;
  {
    // After an apply() in progress, which checked stopped_ only on entry and would otherwise go
    // on creating fetchers and followers after they were all stopped here (a metadata update
    // racing a SIGTERM: the broker then exited with timers of unstopped fetchers pending).
    std::lock_guard apply_lock(apply_mutex_);
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    for (auto& [_, p] : partitions_)
      all.push_back(p);
    for (auto& [_, f] : fetchers_)
      fetchers.push_back(f);
    fetchers_.clear();
    background = background_timer_;
    isr = isr_timer_;
  }
  if (background) background->cancel();
  if (isr) isr->cancel();
  for (auto& f : fetchers)
    f->stop();
  for (auto& p : all)
    p->stop();
  if (auto closed = logs_->close_all(); !closed.ok()) {
    logger("replication")->error("closing logs: {}", closed.error().to_string());
  }
}

// ---- lookups ----------------------------------------------------------------------------------

std::shared_ptr<Partition> ReplicaManager::get(std::string_view topic, int32_t partition) const {
  std::lock_guard lock(mutex_);
  const auto it = partitions_.find(Key{std::string(topic), partition});
  return it == partitions_.end() ? nullptr : it->second;
}

std::shared_ptr<Partition> ReplicaManager::get(const Uuid& topic_id, int32_t partition) const {
  std::lock_guard lock(mutex_);
  for (const auto& [key, p] : partitions_) {
    if (key.second == partition && p->topic_id() == topic_id) return p;
  }
  return nullptr;
}

std::vector<std::shared_ptr<Partition>> ReplicaManager::all() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<Partition>> out;
  for (const auto& [_, p] : partitions_)
    out.push_back(p);
  return out;
}

void ReplicaManager::request_flush(const std::shared_ptr<Partition>& partition) {
  logs_->request_flush(partition->log_ptr());
}

size_t ReplicaManager::flush_queued() {
  return logs_->flush_queued();
}

void ReplicaManager::flush_logs(std::vector<std::shared_ptr<storage::PartitionLog>> logs,
                                std::function<void()> done) {
  auto remaining = std::make_shared<std::atomic<size_t>>(logs.size());
  auto finish = std::make_shared<std::function<void()>>(std::move(done));
  for (auto& log : logs) {
    const Offset end = log->log_end_offset();
    logs_->request_flush(log);
    // Any outcome ends the wait: a failed fsync marks the log failed and the next round's
    // append reports it; a truncation under us is the next round's business too.
    log->when_durable(end, [remaining, finish](Status) {
      if (remaining->fetch_sub(1) == 1) (*finish)();
    });
  }
}

Result<std::shared_ptr<storage::PartitionLog>> ReplicaManager::log_for(
    const HostedPartition& hosted, const storage::LogConfig& config) {
  const storage::TopicPartition tp{hosted.topic, hosted.index};
  const std::string id = hosted.topic_id.to_string();
  if (auto existing = logs_->get(tp)) {
    if (existing->topic_id() == id || existing->topic_id().empty()) {
      if (existing->topic_id().empty()) FERRY_TRY(existing->set_topic_id(id));
      FERRY_TRY(existing->set_config(config));
      return existing;
    }
    // A log of an older topic with the same name (deleted and re-created while we were away).
    logger("replication")
        ->info("[{}-{}] log belongs to topic id {}, not {}: replacing it", hosted.topic,
               hosted.index, existing->topic_id(), id);
    FERRY_TRY(logs_->remove(tp));
  }
  return logs_->create(tp, id, config);
}

// ---- ISR changes --------------------------------------------------------------------------------

void ReplicaManager::schedule_isr_check() {
  isr_timer_ = executor_.schedule_after(kIsrCheckIntervalMs, [this] { isr_check(); });
}

void ReplicaManager::isr_check() {
  std::vector<std::shared_ptr<Partition>> partitions;
  std::map<NodeId, BrokerEndpoint> live;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    for (auto& [_, p] : partitions_)
      partitions.push_back(p);
    live = live_brokers_;
  }
  const int64_t max_lag_ms = config_.get_long("replica.lag.time.max.ms");
  for (auto& p : partitions) {
    if (auto proposal = p->next_isr_change(max_lag_ms, live)) send_isr_change(p, *proposal);
  }
  std::lock_guard lock(mutex_);
  if (!stopped_) schedule_isr_check();
}

void ReplicaManager::send_isr_change(const std::shared_ptr<Partition>& partition,
                                     const IsrProposal& proposal) {
  logger("replication")
      ->info("{} proposes ISR {} (now {})", partition->log_prefix(),
             fmt::join(proposal.new_isr, ","), fmt::join(partition->assignment().isr, ","));
  std::weak_ptr<Partition> weak = partition;
  deps_.isr_channel.alter_partition(partition->topic_id(), partition->index(), proposal,
                                    [weak](Result<PartitionAssignment> result) {
                                      auto p = weak.lock();
                                      if (!p) return;
                                      if (!result.ok()) {
                                        logger("replication")
                                            ->info("{} ISR change refused: {}", p->log_prefix(),
                                                   result.error().to_string());
                                        p->on_alter_partition_result(std::nullopt);
                                        return;
                                      }
                                      p->on_alter_partition_result(*result);
                                    });
}

// ---- background storage work ----------------------------------------------------------------

void ReplicaManager::schedule_background() {
  const int64_t period =
      std::min({config_.get_long("log.flush.interval.ms"),
                config_.get_long("log.retention.check.interval.ms"),
                config_.get_long("replica.high.watermark.checkpoint.interval.ms")});
  background_timer_ = executor_.schedule_after(period, [this] { background_round(); });
}

void ReplicaManager::background_round() {
  std::vector<std::shared_ptr<Partition>> all;
  bool run_retention = false;
  bool run_checkpoint = false;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    for (auto& [_, p] : partitions_)
      all.push_back(p);
    const int64_t now = clock_.monotonic_ms();
    if (now - last_retention_ms_ >= config_.get_long("log.retention.check.interval.ms")) {
      last_retention_ms_ = now;
      run_retention = true;
    }
    if (now - last_checkpoint_ms_ >=
        config_.get_long("replica.high.watermark.checkpoint.interval.ms")) {
      last_checkpoint_ms_ = now;
      run_checkpoint = true;
    }
  }
  for (auto& p : all) {
    if (p->needs_flush()) logs_->request_flush(p->log_ptr());
  }
  if (run_retention) ignore_error(logs_->run_retention(clock_.wall_ms()));
  // Recovery points, log starts and high watermarks (replication-offset-checkpoint).
  if (run_retention || run_checkpoint) ignore_error(logs_->checkpoint_all());
  std::lock_guard lock(mutex_);
  if (!stopped_) schedule_background();
}

std::vector<LogDirDescription> ReplicaManager::describe_log_dirs() const {
  std::vector<LogDirDescription> out;
  for (const auto& dir : dirs_) {
    auto& d = out.emplace_back();
    d.path = std::filesystem::absolute(dir).string();
    struct statvfs fs {};
    if (::statvfs(dir.c_str(), &fs) == 0) {
      d.total_bytes = static_cast<int64_t>(fs.f_blocks * fs.f_frsize);
      d.usable_bytes = static_cast<int64_t>(fs.f_bavail * fs.f_frsize);
    } else {
      d.error = ErrorCode::KAFKA_STORAGE_ERROR;
    }
  }
  for (const auto& p : all()) {
    const auto parent = std::filesystem::absolute(p->log().dir().parent_path()).string();
    for (auto& d : out) {
      if (d.path != parent) continue;
      const auto stats = p->log().stats();
      d.partitions.push_back({p->topic(), p->index(), static_cast<int64_t>(stats.size_bytes),
                              std::max<int64_t>(0, p->log_end_offset() - p->high_watermark())});
    }
  }
  return out;
}

}  // namespace ferry::replication
