#include "storage/log_manager.h"

#include <cerrno>
#include <cstdio>

#include "common/file_util.h"
#include "common/log.h"

namespace ferry::storage {

namespace fs = std::filesystem;

namespace {
bool is_delete_dir(const std::string& name) {
  return name.size() > 7 && name.compare(name.size() - 7, 7, "-delete") == 0 &&
         name.find('.') != std::string::npos;
}
}  // namespace

LogManager::LogManager(std::vector<fs::path> log_dirs, LogConfig default_config, Clock& clock)
    : log_dirs_(std::move(log_dirs)), default_config_(std::move(default_config)), clock_(clock) {
  FERRY_ASSERT(!log_dirs_.empty(), "a LogManager needs at least one log dir");
}

LogManager::~LogManager() {
  stop_cleaners();
  stop_flusher();
}

void LogManager::add_foreign_dir(const fs::path& dir) {
  foreign_dirs_.push_back(dir);
}

bool LogManager::is_foreign(const fs::path& dir) const {
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(dir, ec);
  for (const fs::path& foreign : foreign_dirs_) {
    std::error_code ec2;
    if (!ec && fs::weakly_canonical(foreign, ec2) == canonical && !ec2) return true;
  }
  return false;
}

Status LogManager::open_all(const ConfigFor& config_for) {
  for (const fs::path& log_dir : log_dirs_) {
    FERRY_TRY(create_directories_durably(log_dir));
    std::error_code ec;
    std::vector<fs::path> dirs;
    for (const auto& entry : fs::directory_iterator(log_dir, ec)) {
      if (entry.is_directory()) dirs.push_back(entry.path());
    }
    if (ec) return io_error("list", log_dir, ec.value());
    for (const fs::path& dir : dirs) {
      const std::string name = dir.filename().string();
      if (is_delete_dir(name)) {
        logger("storage")->info("finishing the deletion of {}", dir.string());
        fs::remove_all(dir, ec);
        if (ec) return io_error("remove", dir, ec.value());
        FERRY_TRY(fsync_directory(log_dir));
        continue;
      }
      if (is_foreign(dir)) continue;
      const auto tp = TopicPartition::parse_dir_name(name);
      if (!tp) {
        logger("storage")->warn("ignoring {}: not a <topic>-<partition> directory", dir.string());
        continue;
      }
      RecoveryReport report;
      const LogConfig config = config_for ? config_for(*tp) : default_config_;
      auto log = PartitionLog::open(dir, config, clock_, &report);
      std::lock_guard lock(mu_);
      if (!log.ok()) {
        logger("storage")->error("cannot open {}: {}", dir.string(), log.error().to_string());
        failed_.emplace(*tp, log.error());
        continue;
      }
      if (logs_.count(*tp) != 0) {
        return Error(ErrorCode::KAFKA_STORAGE_ERROR,
                     fmt::format("{} is present in two log dirs", name));
      }
      logs_.emplace(*tp, std::move(*log));
      reports_.emplace(*tp, std::move(report));
    }
  }
  return ok_status();
}

std::map<TopicPartition, Error> LogManager::failed_partitions() const {
  std::lock_guard lock(mu_);
  return failed_;
}

fs::path LogManager::pick_dir_locked() const {
  std::map<fs::path, size_t> counts;
  for (const auto& d : log_dirs_)
    counts[d] = 0;
  for (const auto& [tp, log] : logs_)
    ++counts[log->dir().parent_path()];
  fs::path best = log_dirs_.front();
  for (const auto& d : log_dirs_) {
    if (counts[d] < counts[best]) best = d;
  }
  return best;
}

Result<std::shared_ptr<PartitionLog>> LogManager::create(const TopicPartition& tp,
                                                         std::string_view topic_id,
                                                         const LogConfig& config) {
  std::lock_guard lock(mu_);
  if (logs_.count(tp) != 0) {
    return Error(ErrorCode::TOPIC_ALREADY_EXISTS,
                 fmt::format("{} is already hosted", tp.dir_name()));
  }
  FERRY_ASSIGN_OR_RETURN(auto log,
                         PartitionLog::create(pick_dir_locked(), tp, topic_id, config, clock_));
  logs_.emplace(tp, log);
  return log;
}

std::shared_ptr<PartitionLog> LogManager::get(const TopicPartition& tp) const {
  std::lock_guard lock(mu_);
  const auto it = logs_.find(tp);
  return it == logs_.end() ? nullptr : it->second;
}

std::vector<TopicPartition> LogManager::partitions() const {
  std::lock_guard lock(mu_);
  std::vector<TopicPartition> out;
  for (const auto& [tp, log] : logs_)
    out.push_back(tp);
  return out;
}

Status LogManager::remove(const TopicPartition& tp) {
  std::shared_ptr<PartitionLog> log;
  fs::path renamed;
  {
    std::lock_guard lock(mu_);
    const auto it = logs_.find(tp);
    if (it == logs_.end()) {
      return Error(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
                   fmt::format("{} is not hosted here", tp.dir_name()));
    }
    log = it->second;
    logs_.erase(it);
    reports_.erase(tp);
    renamed = log->dir().parent_path() / fmt::format("{}.{:012x}{:04x}-delete", tp.dir_name(),
                                                     clock_.wall_ms(), delete_counter_++ & 0xFFFF);
  }
  log->close_for_delete();
  if (std::rename(log->dir().c_str(), renamed.c_str()) != 0) {
    return io_error("rename to", renamed, errno);
  }
  // The rename is made durable before anything is removed: a crash mid-removal then leaves a
  // "-delete" directory that open_all() finishes, never a half-deleted partition.
  FERRY_TRY(fsync_directory(renamed.parent_path()));
  std::error_code ec;
  fs::remove_all(renamed, ec);
  if (ec) return io_error("remove", renamed, ec.value());
  logger("storage")->info("[{}] deleted", tp.dir_name());
  return fsync_directory(renamed.parent_path());
}

Result<size_t> LogManager::run_retention(int64_t now_ms) {
  size_t deleted = 0;
  std::optional<Error> first_error;
  for (const auto& tp : partitions()) {
    const auto log = get(tp);
    if (!log) continue;
    auto n = log->apply_retention(now_ms);
    if (n.ok()) {
      deleted += *n;
    } else {
      logger("storage")->warn("[{}] retention failed: {}", tp.dir_name(), n.error().to_string());
      if (!first_error) first_error = n.error();
    }
  }
  if (first_error) return *first_error;
  return deleted;
}

Status LogManager::flush_all() {
  std::optional<Error> first_error;
  for (const auto& tp : partitions()) {
    if (const auto log = get(tp)) {
      Status s = log->flush();
      if (!s.ok() && !first_error) first_error = s.error();
    }
  }
  if (first_error) return *first_error;
  return ok_status();
}

Status LogManager::checkpoint_all() {
  std::optional<Error> first_error;
  for (const auto& tp : partitions()) {
    if (const auto log = get(tp)) {
      Status s = log->checkpoint();
      if (!s.ok() && !first_error) first_error = s.error();
    }
  }
  if (first_error) return *first_error;
  return ok_status();
}

Status LogManager::close_all() {
  stop_cleaners();
  stop_flusher();
  std::optional<Error> first_error;
  for (const auto& tp : partitions()) {
    if (const auto log = get(tp)) {
      Status s = log->close();
      if (!s.ok() && !first_error) first_error = s.error();
    }
  }
  if (first_error) return *first_error;
  return ok_status();
}

void LogManager::start_cleaners(const CleanerOptions& options) {
  std::lock_guard lock(cleaners_mu_);
  if (!cleaners_.empty()) return;
  for (const auto& dir : log_dirs_) {
    auto cleaner = std::make_unique<LogCleaner>(options, clock_, [this, dir] {
      std::vector<std::shared_ptr<PartitionLog>> mine;
      std::lock_guard logs_lock(mu_);
      for (const auto& [tp, log] : logs_) {
        std::error_code ec;
        if (std::filesystem::equivalent(log->dir().parent_path(), dir, ec)) mine.push_back(log);
      }
      return mine;
    });
    cleaner->start();
    cleaners_.push_back(std::move(cleaner));
  }
}

void LogManager::stop_cleaners() {
  std::vector<std::unique_ptr<LogCleaner>> cleaners;
  {
    std::lock_guard lock(cleaners_mu_);
    cleaners.swap(cleaners_);
  }
  cleaners.clear();  // each joins its thread
}

void LogManager::start_flusher(int threads) {
  std::lock_guard lock(flush_mu_);
  flusher_stop_ = false;
  for (int i = 0; i < threads; ++i)
    flushers_.emplace_back([this] { flusher_loop(); });
}

void LogManager::request_flush(const std::shared_ptr<PartitionLog>& log) {
  {
    std::lock_guard lock(flush_mu_);
    if (!flush_queued_.insert(log.get()).second) return;
    flush_queue_.push_back(log);
  }
  flush_cv_.notify_one();
}

void LogManager::stop_flusher() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(flush_mu_);
    flusher_stop_ = true;
    threads.swap(flushers_);
  }
  flush_cv_.notify_all();
  for (auto& t : threads)
    t.join();
}

size_t LogManager::flush_queued() {
  std::deque<std::shared_ptr<PartitionLog>> queue;
  {
    std::lock_guard lock(flush_mu_);
    queue.swap(flush_queue_);
    flush_queued_.clear();
  }
  for (const auto& log : queue) {
    if (Status flushed = log->flush(); !flushed.ok()) {
      logger("storage")->warn("[{}] flush failed: {}", log->topic_partition().dir_name(),
                              flushed.error().to_string());
    }
  }
  return queue.size();
}

void LogManager::flusher_loop() {
  while (true) {
    std::shared_ptr<PartitionLog> log;
    {
      std::unique_lock lock(flush_mu_);
      flush_cv_.wait(lock, [&] { return flusher_stop_ || !flush_queue_.empty(); });
      if (flush_queue_.empty()) return;  // stopping and nothing left
      log = std::move(flush_queue_.front());
      flush_queue_.pop_front();
      // Unmarked before the flush runs, not after: an append that requests a flush meanwhile
      // may lie past this flush's target, so it must be able to queue the log again.
      flush_queued_.erase(log.get());
    }
    Status flushed = log->flush();
    if (!flushed.ok()) {
      logger("storage")->warn("[{}] flush failed: {}", log->topic_partition().dir_name(),
                              flushed.error().to_string());
    }
  }
}

}  // namespace ferry::storage
