// GroupCoordinator (group_coordinator.h).
#include "broker/group_coordinator.h"

#include <fmt/format.h>

#include "broker/broker.h"
#include "common/log.h"
#include "common/random.h"
#include "common/topic_name.h"
#include "replication/partition.h"
#include "replication/replica_manager.h"
#include "storage/record_batch.h"
#include "storage/record_batch_builder.h"

namespace ferry::broker {

namespace {

constexpr int64_t kTickMs = 100;
constexpr uint64_t kLoadReadBytes = 5 << 20;  // offsets.load.buffer.size
constexpr size_t kMaxDecompressedBytes = 64 << 20;

spdlog::logger& log() {
  static const std::shared_ptr<spdlog::logger> logger = ferry::logger("groups");
  return *logger;
}

// Replays a partition's whole local log, start to end (GROUPS.md 4.3: a new leader never
// truncates its own log, so everything there is what it will keep).
Status replay_log(storage::PartitionLog& log, group::GroupShard& shard) {
  Offset offset = log.log_start_offset();
  const Offset end = log.log_end_offset();
  while (offset < end) {
    FERRY_ASSIGN_OR_RETURN(const storage::ReadResult read, log.read(offset, kLoadReadBytes, end));
    if (read.slice.length == 0) break;  // KAFKA-9065: nothing readable is the end, not a spin
    FERRY_ASSIGN_OR_RETURN(const Bytes bytes, read.slice.copy_to_memory());
    for (size_t pos = 0; pos < bytes.size();) {
      const size_t size = storage::RecordBatchView(ByteSpan(bytes).subspan(pos)).size_bytes();
      if (size == 0 || size > bytes.size() - pos) {
        return Error(ErrorCode::CORRUPT_MESSAGE,
                     fmt::format("a batch read at offset {} is cut short", offset));
      }
      const storage::RecordBatchView batch(ByteSpan(bytes).subspan(pos, size));
      pos += size;
      if (batch.is_control()) continue;
      FERRY_ASSIGN_OR_RETURN(auto records, storage::decode_records(batch, kMaxDecompressedBytes));
      for (const auto& record : records.records) {
        if (!record.key) {
          return Error(ErrorCode::CORRUPT_MESSAGE,
                       fmt::format("record at offset {} has no key", record.offset));
        }
        FERRY_TRY(shard.replay(*record.key, record.value));
      }
    }
    offset = read.last_offset + 1;
  }
  return ok_status();
}

group::GroupConfig group_config(const config::BrokerConfig& c) {
  group::GroupConfig g;
  g.min_session_timeout_ms = c.get_int("group.min.session.timeout.ms");
  g.max_session_timeout_ms = c.get_int("group.max.session.timeout.ms");
  g.initial_rebalance_delay_ms = c.get_int("group.initial.rebalance.delay.ms");
  g.max_size = c.get_int("group.max.size");
  g.offset_metadata_max_bytes = c.get_int("offset.metadata.max.bytes");
  g.offsets_retention_ms = int64_t{c.get_int("offsets.retention.minutes")} * 60 * 1000;
  g.offsets_retention_check_interval_ms = c.get_long("offsets.retention.check.interval.ms");
  return g;
}

}  // namespace

struct GroupCoordinator::Slot {
  struct Waiting {
    Callback done;
    std::function<void(ErrorCode)> fail;
  };
  int32_t partition = 0;
  LeaderEpoch epoch{0};
  uint64_t id = 0;
  std::shared_ptr<replication::Partition> log;
  std::unique_ptr<SeededRandom> random;      // outlives `shard`, which holds a reference
  std::unique_ptr<group::GroupShard> shard;  // null while loading
  std::map<group::Ticket, Waiting> waiting;
};

GroupCoordinator::GroupCoordinator(Broker& broker)
    : broker_(broker),
      config_(group_config(broker.config())),
      num_partitions_(broker.config().get_int("offsets.topic.num.partitions")),
      replication_factor_(broker.config().get_int("offsets.topic.replication.factor")),
      segment_bytes_(broker.config().get_int("offsets.topic.segment.bytes")),
      commit_timeout_ms_(broker.config().get_int("offsets.commit.timeout.ms")) {
  tick_timer_ = broker_.executor().schedule_after(kTickMs, [this] { tick(); });
}

GroupCoordinator::~GroupCoordinator() {
  shutdown();
}

int64_t GroupCoordinator::now() const {
  return broker_.clock().wall_ms();
}

void GroupCoordinator::shutdown() {
  std::map<int32_t, std::unique_ptr<Slot>> slots;
  std::shared_ptr<TimerHandle> timer;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    slots.swap(slots_);
    timer = tick_timer_;
  }
  if (timer) timer->cancel();
  for (auto& [_, slot] : slots) {
    if (slot->shard) slot->shard->unload();
    Tasks tasks;
    if (slot->shard) {
      for (auto& reply : slot->shard->take_replies()) {
        auto it = slot->waiting.find(reply.ticket);
        if (it == slot->waiting.end()) continue;
        it->second.done(reply);
        slot->waiting.erase(it);
      }
    }
    for (auto& [__, w] : slot->waiting)
      w.fail(ErrorCode::NOT_COORDINATOR);
  }
}

int32_t GroupCoordinator::partition_for(const std::string& group_id) const {
  const auto image = broker_.image();
  const auto* topic = image->topic(kConsumerOffsetsTopic);
  const int32_t count = topic && !topic->partitions.empty()
                            ? static_cast<int32_t>(topic->partitions.size())
                            : num_partitions_;
  return group::partition_for_group(group_id, count);
}

// ---- Leadership ---------------------------------------------------------------------------------

void GroupCoordinator::on_image(const controller::metadata::MetadataImagePtr& image) {
  const auto* topic = image->topic(kConsumerOffsetsTopic);
  std::vector<std::tuple<int32_t, LeaderEpoch, uint64_t>> loads;
  std::vector<std::unique_ptr<Slot>> gone;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    std::set<int32_t> led;
    if (topic) {
      for (int32_t p = 0; p < static_cast<int32_t>(topic->partitions.size()); ++p) {
        const auto& reg = topic->partitions[static_cast<size_t>(p)];
        auto partition = broker_.partitions().get(kConsumerOffsetsTopic, p);
        if (reg.leader != broker_.node_id() || !partition ||
            partition->role() != replication::Role::kLeader) {
          continue;
        }
        led.insert(p);
        auto it = slots_.find(p);
        if (it != slots_.end() && it->second->epoch == reg.leader_epoch) continue;
        if (it != slots_.end()) {
          gone.push_back(std::move(it->second));
          slots_.erase(it);
        }
        auto slot = std::make_unique<Slot>();
        slot->partition = p;
        slot->epoch = reg.leader_epoch;
        slot->id = next_slot_id_++;
        slot->log = partition;
        loads.emplace_back(p, reg.leader_epoch, slot->id);
        slots_.emplace(p, std::move(slot));
      }
    }
    for (auto it = slots_.begin(); it != slots_.end();) {
      if (led.count(it->first)) {
        ++it;
        continue;
      }
      gone.push_back(std::move(it->second));
      it = slots_.erase(it);
    }
  }
  // Unloaded at once (KAFKA-4362): the parked requests and the appends in flight answer
  // NOT_COORDINATOR, and the slot is gone for every later request.
  for (auto& slot : gone) {
    log().info("unloading __consumer_offsets-{} (epoch {})", slot->partition, slot->epoch);
    if (slot->shard) {
      slot->shard->unload();
      for (auto& reply : slot->shard->take_replies()) {
        auto it = slot->waiting.find(reply.ticket);
        if (it == slot->waiting.end()) continue;
        it->second.done(reply);
        slot->waiting.erase(it);
      }
    }
    for (auto& [_, w] : slot->waiting)
      w.fail(ErrorCode::NOT_COORDINATOR);
  }
  for (const auto& [p, epoch, id] : loads) {
    broker_.executor().post([this, p = p, epoch = epoch, id = id] { start_load(p, epoch, id); });
  }
}

void GroupCoordinator::start_load(int32_t p, LeaderEpoch epoch, uint64_t slot_id) {
  std::shared_ptr<replication::Partition> partition;
  {
    std::lock_guard lock(mutex_);
    auto it = slots_.find(p);
    if (it == slots_.end() || it->second->id != slot_id) return;
    partition = it->second->log;
  }
  const int64_t started = broker_.clock().monotonic_ms();
  auto random = std::make_unique<SeededRandom>(static_cast<uint64_t>(now()) ^
                                               (uint64_t(broker_.node_id().value()) << 40) ^
                                               (uint64_t(p) << 20) ^ slot_id);
  auto shard = std::make_unique<group::GroupShard>(config_, *random);
  const Status loaded = replay_log(partition->log(), *shard);
  Tasks tasks;
  {
    std::lock_guard lock(mutex_);
    auto it = slots_.find(p);
    if (stopped_ || it == slots_.end() || it->second->id != slot_id) return;  // superseded
    if (!loaded.ok()) {
      // Never serve a partial state (GROUPS.md 1.5): the partition stays unloaded here, and its
      // groups get NOT_COORDINATOR until leadership moves.
      log().error("could not load __consumer_offsets-{} (epoch {}): {}", p, epoch,
                  loaded.error().to_string());
      slots_.erase(it);
      return;
    }
    Slot& slot = *it->second;
    shard->loaded(now());
    slot.random = std::move(random);
    slot.shard = std::move(shard);
    log().info("loaded __consumer_offsets-{} (epoch {}): {} groups in {} ms", p, epoch,
               slot.shard->group_count(), broker_.clock().monotonic_ms() - started);
    drain_locked(slot, tasks);
  }
  for (auto& t : tasks)
    t();
}

// ---- Requests -----------------------------------------------------------------------------------

GroupCoordinator::Slot* GroupCoordinator::slot_for_locked(const std::string& group_id,
                                                          ErrorCode* error) const {
  if (stopped_) {
    *error = ErrorCode::COORDINATOR_NOT_AVAILABLE;
    return nullptr;
  }
  const auto image = broker_.image();
  const auto* topic = image->topic(kConsumerOffsetsTopic);
  if (!topic || topic->partitions.empty()) {
    *error = ErrorCode::COORDINATOR_NOT_AVAILABLE;
    return nullptr;
  }
  const int32_t p =
      group::partition_for_group(group_id, static_cast<int32_t>(topic->partitions.size()));
  auto it = slots_.find(p);
  if (it == slots_.end()) {
    *error = ErrorCode::NOT_COORDINATOR;
    return nullptr;
  }
  if (!it->second->shard) {
    *error = ErrorCode::COORDINATOR_LOAD_IN_PROGRESS;
    return nullptr;
  }
  *error = ErrorCode::NONE;
  return it->second.get();
}

ErrorCode GroupCoordinator::check(const std::string& group_id) const {
  std::lock_guard lock(mutex_);
  ErrorCode error = ErrorCode::NONE;
  slot_for_locked(group_id, &error);
  return error;
}

void GroupCoordinator::run(const std::string& group_id,
                           std::function<void(group::GroupShard&, group::Ticket)> op, Callback done,
                           std::function<void(ErrorCode)> refuse) {
  Tasks tasks;
  {
    std::lock_guard lock(mutex_);
    ErrorCode error = ErrorCode::NONE;
    Slot* slot = slot_for_locked(group_id, &error);
    if (slot) {
      const group::Ticket ticket = next_ticket_++;
      slot->waiting.emplace(ticket, Slot::Waiting{std::move(done), refuse});
      op(*slot->shard, ticket);
      drain_locked(*slot, tasks);
    } else {
      tasks.push_back([refuse, error] { refuse(error); });
    }
  }
  for (auto& t : tasks)
    t();
}

void GroupCoordinator::drain_locked(Slot& slot, Tasks& out) {
  for (;;) {
    auto replies = slot.shard->take_replies();
    auto appends = slot.shard->take_appends();
    if (replies.empty() && appends.empty()) return;
    for (auto& reply : replies) {
      auto it = slot.waiting.find(reply.ticket);
      if (it == slot.waiting.end()) continue;
      out.push_back(
          [done = std::move(it->second.done), reply = std::move(reply)]() mutable { done(reply); });
      slot.waiting.erase(it);
    }
    for (auto& append : appends)
      append_locked(slot, std::move(append), out);
  }
}

void GroupCoordinator::append_locked(Slot& slot, group::Append append, Tasks&) {
  const int64_t timestamp = now();
  storage::RecordBatchBuilder builder;
  for (const auto& record : append.records) {
    const std::string key(as_string_view(ByteSpan(record.key)));
    std::optional<std::string> value;
    if (record.value) value = std::string(as_string_view(ByteSpan(*record.value)));
    builder.add(storage::RecordSpec{key, value, timestamp, {}});
  }
  Bytes batch = builder.build();
  auto appended = slot.log->append(std::span<uint8_t>(batch), replication::Acks::kAll);
  if (!appended.ok()) {
    // Nothing was written: the shard learns at once (its replies follow in the drain loop).
    slot.shard->appended(append.id, appended.code(), timestamp);
    return;
  }
  auto& partitions = broker_.partitions();
  if (partitions.ack_mode() == replication::AckMode::kDurable) partitions.request_flush(slot.log);
  slot.log->wait_for_high_watermark(
      appended->needed_end, commit_timeout_ms_,
      [this, p = slot.partition, slot_id = slot.id, id = append.id](ErrorCode code) {
        Tasks tasks;
        {
          std::lock_guard lock(mutex_);
          auto it = slots_.find(p);
          if (it == slots_.end() || it->second->id != slot_id || !it->second->shard) return;
          it->second->shard->appended(id, code, now());
          drain_locked(*it->second, tasks);
        }
        for (auto& t : tasks)
          t();
      });
}

void GroupCoordinator::tick() {
  Tasks tasks;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    for (auto& [_, slot] : slots_) {
      if (!slot->shard) continue;
      slot->shard->advance(now());
      drain_locked(*slot, tasks);
    }
    tick_timer_ = broker_.executor().schedule_after(kTickMs, [this] { tick(); });
  }
  for (auto& t : tasks)
    t();
}

void GroupCoordinator::join(const group::JoinRequest& request,
                            std::function<void(group::JoinResponse)> done) {
  run(
      request.group_id,
      [&](group::GroupShard& shard, group::Ticket t) { shard.join(t, request, now()); },
      [done](group::Reply& r) { done(std::get<group::JoinResponse>(r.body)); },
      [done, member = request.member_id](ErrorCode e) {
        group::JoinResponse r;
        r.error = e;
        r.member_id = member;
        done(r);
      });
}

void GroupCoordinator::sync(const group::SyncRequest& request,
                            std::function<void(group::SyncResponse)> done) {
  run(
      request.group_id,
      [&](group::GroupShard& shard, group::Ticket t) { shard.sync(t, request, now()); },
      [done](group::Reply& r) { done(std::get<group::SyncResponse>(r.body)); },
      [done](ErrorCode e) {
        group::SyncResponse r;
        r.error = e;
        done(r);
      });
}

ErrorCode GroupCoordinator::heartbeat(const group::HeartbeatRequest& request) {
  std::lock_guard lock(mutex_);
  ErrorCode error = ErrorCode::NONE;
  Slot* slot = slot_for_locked(request.group_id, &error);
  if (!slot) return error;
  return slot->shard->heartbeat(request, now());
}

group::LeaveResponse GroupCoordinator::leave(const std::string& group_id,
                                             const std::vector<group::LeaveMember>& members) {
  Tasks tasks;
  group::LeaveResponse out;
  {
    std::lock_guard lock(mutex_);
    ErrorCode error = ErrorCode::NONE;
    Slot* slot = slot_for_locked(group_id, &error);
    if (!slot) {
      out.error = error;
      out.members.assign(members.size(), ErrorCode::NONE);
      return out;
    }
    out = slot->shard->leave(group_id, members, now());
    drain_locked(*slot, tasks);  // a leave can end a join phase: parked joins get answers
  }
  for (auto& t : tasks)
    t();
  return out;
}

void GroupCoordinator::commit(const group::CommitRequest& request,
                              std::function<void(group::CommitResponse)> done) {
  const size_t n = request.partitions.size();
  run(
      request.group_id,
      [&](group::GroupShard& shard, group::Ticket t) { shard.commit(t, request, now()); },
      [done](group::Reply& r) { done(std::get<group::CommitResponse>(r.body)); },
      [done, n](ErrorCode e) {
        group::CommitResponse r;
        r.partitions.assign(n, e);
        done(r);
      });
}

ErrorCode GroupCoordinator::fetch_offsets(
    const std::string& group_id,
    const std::optional<std::vector<group::TopicPartitionRef>>& partitions, bool require_stable,
    std::vector<group::FetchedOffset>& out) const {
  std::lock_guard lock(mutex_);
  ErrorCode error = ErrorCode::NONE;
  const Slot* slot = slot_for_locked(group_id, &error);
  if (!slot) return error;
  out = slot->shard->fetch_offsets(group_id, partitions, require_stable);
  return ErrorCode::NONE;
}

ErrorCode GroupCoordinator::list_groups(std::vector<group::ListedGroup>& out) const {
  std::lock_guard lock(mutex_);
  if (stopped_) return ErrorCode::COORDINATOR_NOT_AVAILABLE;
  ErrorCode error = ErrorCode::NONE;
  for (const auto& [_, slot] : slots_) {
    if (!slot->shard) {
      error = ErrorCode::COORDINATOR_LOAD_IN_PROGRESS;
      continue;
    }
    auto groups = slot->shard->list_groups();
    out.insert(out.end(), groups.begin(), groups.end());
  }
  return error;
}

group::DescribedGroup GroupCoordinator::describe(const std::string& group_id) const {
  std::lock_guard lock(mutex_);
  ErrorCode error = ErrorCode::NONE;
  const Slot* slot = slot_for_locked(group_id, &error);
  if (!slot) {
    group::DescribedGroup d;
    d.error = error;
    d.group_id = group_id;
    return d;
  }
  return slot->shard->describe(group_id);
}

void GroupCoordinator::delete_group(const std::string& group_id,
                                    std::function<void(ErrorCode)> done) {
  run(
      group_id,
      [&](group::GroupShard& shard, group::Ticket t) { shard.delete_group(t, group_id, now()); },
      [done](group::Reply& r) { done(std::get<ErrorCode>(r.body)); }, done);
}

void GroupCoordinator::delete_offsets(const std::string& group_id,
                                      const std::vector<group::TopicPartitionRef>& partitions,
                                      std::function<void(group::OffsetDeleteResponse)> done) {
  run(
      group_id,
      [&](group::GroupShard& shard, group::Ticket t) {
        shard.delete_offsets(t, group_id, partitions, now());
      },
      [done](group::Reply& r) { done(std::get<group::OffsetDeleteResponse>(r.body)); },
      [done](ErrorCode e) {
        group::OffsetDeleteResponse r;
        r.error = e;
        done(r);
      });
}

// ---- FindCoordinator ----------------------------------------------------------------------------

GroupCoordinator::Found GroupCoordinator::find(const std::string& group_id,
                                               const std::string& listener) {
  const auto image = broker_.image();
  const auto* topic = image->topic(kConsumerOffsetsTopic);
  Found out;
  out.error = ErrorCode::COORDINATOR_NOT_AVAILABLE;
  if (!topic || topic->partitions.empty()) {
    create_offsets_topic(*image);
    out.message = "The coordinator is not available: __consumer_offsets is being created.";
    return out;
  }
  const int32_t p =
      group::partition_for_group(group_id, static_cast<int32_t>(topic->partitions.size()));
  const NodeId leader = topic->partitions[static_cast<size_t>(p)].leader;
  auto b = image->brokers.find(leader);
  if (leader.value() < 0 || b == image->brokers.end() || b->second.fenced) {
    out.message = fmt::format("__consumer_offsets-{} has no live leader.", p);
    return out;
  }
  const auto* endpoint = b->second.endpoint(listener);
  if (!endpoint) {
    out.message = fmt::format("The coordinator (node {}) has no listener {}.", leader, listener);
    return out;
  }
  out.error = ErrorCode::NONE;
  out.node_id = leader.value();
  out.host = endpoint->host;
  out.port = endpoint->port;
  return out;
}

void GroupCoordinator::create_offsets_topic(const controller::metadata::MetadataImage& image) {
  {
    std::lock_guard lock(mutex_);
    if (creating_topic_ || stopped_) return;
    creating_topic_ = true;
  }
  int32_t live = 0;
  for (const auto& [_, b] : image.brokers)
    live += b.fenced ? 0 : 1;
  const int32_t rf = std::max(1, std::min(replication_factor_, live));
  if (rf < replication_factor_) {
    log().warn(
        "creating __consumer_offsets with replication factor {} (offsets.topic.replication."
        "factor is {}, but only {} brokers are live)",
        rf, replication_factor_, live);
  }
  controller::CreateTopicSpec spec;
  spec.name = std::string(kConsumerOffsetsTopic);
  spec.num_partitions = num_partitions_;
  spec.replication_factor = static_cast<int16_t>(rf);
  spec.configs = {{"cleanup.policy", "compact"},
                  {"compression.type", "producer"},
                  {"segment.bytes", std::to_string(segment_bytes_)}};
  spec.internal = true;
  broker_.controller().create_topics(
      {spec}, false, [this](std::vector<controller::CreateTopicResult> results) {
        {
          std::lock_guard lock(mutex_);
          creating_topic_ = false;
        }
        for (const auto& r : results) {
          if (r.error != ErrorCode::NONE && r.error != ErrorCode::TOPIC_ALREADY_EXISTS) {
            log().warn("could not create __consumer_offsets: {} {}", error_name(r.error),
                       r.message);
          } else if (r.error == ErrorCode::NONE) {
            log().info("created __consumer_offsets");
          }
        }
      });
}

}  // namespace ferry::broker
