#include "broker/partition_manager.h"

#include <sys/statvfs.h>

#include <set>

#include "broker/net/executor.h"
#include "broker/partition.h"
#include "common/log.h"
#include "storage/log_manager.h"

namespace ferry::broker {

namespace {

// Topic keys that shape the storage layer (the rest, e.g. min.insync.replicas, the broker uses).
constexpr std::string_view kStorageKeys[] = {"segment.bytes",       "segment.ms",
                                             "retention.ms",        "retention.bytes",
                                             "max.message.bytes",   "message.timestamp.type",
                                             "index.interval.bytes"};

bool hosts(const metadata::PartitionRegistration& p, NodeId self) {
  return std::find(p.replicas.begin(), p.replicas.end(), self) != p.replicas.end();
}

}  // namespace

Result<storage::LogConfig> PartitionManager::log_config_for(
    const config::BrokerConfig& broker, const std::map<std::string, std::string>& overrides) {
  std::map<std::string, std::string> values;
  for (const auto key : kStorageKeys) {
    values[std::string(key)] = config::topic_value(overrides, broker, key);
  }
  // As in Kafka, only "delete" topics lose segments to retention: a compact-only topic keeps
  // everything (Ferry has no compaction yet, so it keeps every record).
  const std::string policy = config::topic_value(overrides, broker, "cleanup.policy");
  if (policy.find("delete") == std::string::npos) {
    values["retention.ms"] = "-1";
    values["retention.bytes"] = "-1";
  }
  return storage::LogConfig{}.with_overrides(values);
}

PartitionManager::PartitionManager(const config::BrokerConfig& config, NodeId self,
                                   net::Executor& executor, Clock& clock)
    : config_(config),
      self_(self),
      executor_(executor),
      clock_(clock),
      ack_mode_(config.get("log.flush.mode") == "page-cache" ? replication::AckMode::kPageCache
                                                             : replication::AckMode::kDurable) {
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

PartitionManager::~PartitionManager() {
  shutdown();
}

Status PartitionManager::open() {
  // Topic overrides come with the metadata image; until then logs use the broker defaults.
  FERRY_TRY(logs_->open_all());
  for (const auto& [tp, error] : logs_->failed_partitions()) {
    logger("broker")->error("[{}-{}] log failed to open and is offline: {}", tp.topic, tp.partition,
                            error.to_string());
  }
  logs_->start_flusher(1);
  last_retention_ms_ = clock_.monotonic_ms();
  schedule_background();
  return ok_status();
}

void PartitionManager::apply(const metadata::MetadataImagePtr& image) {
  std::lock_guard apply_lock(apply_mutex_);
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
  }
  last_image_ = image;
  for (const auto& [_, topic] : image->topics)
    apply_topic(*topic);
  remove_absent(*image);
}

void PartitionManager::apply_topic(const metadata::TopicImage& topic) {
  std::optional<storage::LogConfig> log_config;
  auto config_for_topic = [&]() -> const storage::LogConfig* {
    if (!log_config) {
      auto c = log_config_for(config_, topic.configs);
      if (!c.ok()) {
        logger("broker")->error("topic {} has invalid storage configs: {}", topic.name,
                                c.error().to_string());
        return nullptr;
      }
      log_config = *c;
    }
    return &*log_config;
  };
  const bool configs_changed = applied_configs_[topic.name] != topic.configs;
  for (size_t i = 0; i < topic.partitions.size(); ++i) {
    const auto& registration = topic.partitions[i];
    if (!hosts(registration, self_)) continue;
    const Key key{topic.name, static_cast<int32_t>(i)};
    std::shared_ptr<Partition> partition;
    {
      std::lock_guard lock(mutex_);
      if (auto it = partitions_.find(key); it != partitions_.end()) partition = it->second;
    }
    if (partition && partition->topic_id() != topic.id) {
      // The topic was deleted and re-created under the same name while we were away.
      partition->stop();
      ignore_error(logs_->remove({topic.name, key.second}));
      std::lock_guard lock(mutex_);
      partitions_.erase(key);
      partition.reset();
    }
    if (!partition) {
      const auto* c = config_for_topic();
      if (c == nullptr) continue;
      auto log = log_for(topic, key.second, *c);
      if (!log.ok()) {
        logger("broker")->error("[{}-{}] cannot open or create its log: {}", topic.name, i,
                                log.error().to_string());
        continue;
      }
      partition = std::make_shared<Partition>(topic.name, key.second, topic.id, *log, self_,
                                              ack_mode_, executor_, clock_);
      std::weak_ptr<Partition> weak = partition;
      (*log)->set_durable_listener([weak](Offset durable) {
        if (auto p = weak.lock()) p->on_durable(durable);
      });
      std::lock_guard lock(mutex_);
      partitions_[key] = partition;
    } else if (configs_changed) {
      if (const auto* c = config_for_topic()) {
        if (auto set = partition->log().set_config(*c); !set.ok()) {
          logger("broker")->error("{} config change failed: {}", partition->log_prefix(),
                                  set.error().to_string());
        }
      }
    }
    partition->apply_registration(registration);
  }
  applied_configs_[topic.name] = topic.configs;
}

void PartitionManager::remove_absent(const metadata::MetadataImage& image) {
  std::vector<std::pair<Key, std::shared_ptr<Partition>>> gone;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, partition] : partitions_) {
      const auto* topic = image.topic(partition->topic_id());
      const bool still_hosted = topic != nullptr &&
                                key.second < static_cast<int32_t>(topic->partitions.size()) &&
                                hosts(topic->partitions[key.second], self_);
      if (!still_hosted) gone.emplace_back(key, partition);
    }
    for (const auto& [key, _] : gone)
      partitions_.erase(key);
  }
  for (const auto& [key, partition] : gone) {
    logger("broker")->info("{} removed from this broker", partition->log_prefix());
    partition->stop();
    if (auto removed = logs_->remove({key.first, key.second}); !removed.ok()) {
      logger("broker")->error("{} log removal failed: {}", partition->log_prefix(),
                              removed.error().to_string());
    }
  }
  // Logs on disk that no topic of the (complete) image owns: deleted while we were down.
  if (!caught_up_) return;
  for (const auto& tp : logs_->partitions()) {
    const auto* topic = image.topic(tp.topic);
    const bool owned = topic != nullptr &&
                       tp.partition < static_cast<int32_t>(topic->partitions.size()) &&
                       hosts(topic->partitions[tp.partition], self_);
    if (!owned) {
      logger("broker")->info("[{}-{}] stray log (topic deleted or moved) removed", tp.topic,
                             tp.partition);
      ignore_error(logs_->remove(tp));
    }
  }
}

void PartitionManager::set_metadata_caught_up(bool caught_up) {
  metadata::MetadataImagePtr image;
  {
    std::lock_guard lock(mutex_);
    if (caught_up_ == caught_up) return;
    caught_up_ = caught_up;
  }
  {
    std::lock_guard apply_lock(apply_mutex_);
    image = last_image_;
  }
  if (caught_up && image) apply(image);
}

void PartitionManager::shutdown() {
  std::vector<std::shared_ptr<Partition>> all;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    for (auto& [_, p] : partitions_)
      all.push_back(p);
  }
  if (background_timer_) background_timer_->cancel();
  for (auto& p : all)
    p->stop();
  if (auto closed = logs_->close_all(); !closed.ok()) {
    logger("broker")->error("closing logs: {}", closed.error().to_string());
  }
}

std::shared_ptr<Partition> PartitionManager::get(std::string_view topic, int32_t partition) const {
  std::lock_guard lock(mutex_);
  const auto it = partitions_.find(Key{std::string(topic), partition});
  return it == partitions_.end() ? nullptr : it->second;
}

std::shared_ptr<Partition> PartitionManager::get(const Uuid& topic_id, int32_t partition) const {
  std::lock_guard lock(mutex_);
  for (const auto& [key, p] : partitions_) {
    if (key.second == partition && p->topic_id() == topic_id) return p;
  }
  return nullptr;
}

void PartitionManager::request_flush(const std::shared_ptr<Partition>& partition) {
  logs_->request_flush(partition->log_ptr());
}

Result<std::shared_ptr<storage::PartitionLog>> PartitionManager::log_for(
    const metadata::TopicImage& topic, int32_t index, const storage::LogConfig& config) {
  const storage::TopicPartition tp{topic.name, index};
  const std::string id = topic.id.to_string();
  if (auto existing = logs_->get(tp)) {
    if (existing->topic_id() == id || existing->topic_id().empty()) {
      if (existing->topic_id().empty()) FERRY_TRY(existing->set_topic_id(id));
      FERRY_TRY(existing->set_config(config));
      return existing;
    }
    // A log of an older topic with the same name (deleted and re-created while we were away).
    logger("broker")->info("[{}-{}] log belongs to topic id {}, not {}: replacing it", topic.name,
                           index, existing->topic_id(), id);
    FERRY_TRY(logs_->remove(tp));
  }
  return logs_->create(tp, id, config);
}

void PartitionManager::schedule_background() {
  const int64_t period = std::min(config_.get_long("log.flush.interval.ms"),
                                  config_.get_long("log.retention.check.interval.ms"));
  background_timer_ = executor_.schedule_after(period, [this] { background_round(); });
}

void PartitionManager::background_round() {
  std::vector<std::shared_ptr<Partition>> all;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    for (auto& [_, p] : partitions_)
      all.push_back(p);
  }
  for (auto& p : all) {
    if (p->needs_flush()) logs_->request_flush(p->log_ptr());
  }
  const int64_t now = clock_.monotonic_ms();
  if (now - last_retention_ms_ >= config_.get_long("log.retention.check.interval.ms")) {
    last_retention_ms_ = now;
    ignore_error(logs_->run_retention(clock_.wall_ms()));
    ignore_error(logs_->checkpoint_all());
  }
  std::lock_guard lock(mutex_);
  if (!stopped_) schedule_background();
}

std::vector<LogDirDescription> PartitionManager::describe_log_dirs() const {
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
  std::lock_guard lock(mutex_);
  for (const auto& [key, p] : partitions_) {
    const auto parent = std::filesystem::absolute(p->log().dir().parent_path()).string();
    for (auto& d : out) {
      if (d.path != parent) continue;
      const auto stats = p->log().stats();
      d.partitions.push_back({key.first, key.second, static_cast<int64_t>(stats.size_bytes),
                              std::max<int64_t>(0, p->log_end_offset() - p->high_watermark())});
    }
  }
  return out;
}

}  // namespace ferry::broker
