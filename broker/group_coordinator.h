// GroupCoordinator: the driver of the consumer-group cores (broker/group/group_shard.h) on this
// broker. One GroupShard per `__consumer_offsets` partition this broker leads.
//
// LIFECYCLE (GROUPS.md 1.5). After every metadata image the broker calls on_image(): for each
// offsets partition this broker now leads at leader epoch E (and did not lead at E before), the
// partition's local log is read from its start to its end and replayed into a fresh shard on
// the executor; meanwhile the partition's groups answer COORDINATOR_LOAD_IN_PROGRESS. A load
// installs only if the partition is still led at E when it ends (a late load never replaces a
// newer one). Losing the leadership unloads the shard at once: parked requests get
// NOT_COORDINATOR, and every later request too.
//
// WRITES. The shard's appends become one record batch each, appended to the partition as
// leader with acks=all semantics; the shard hears the outcome once the high watermark passes
// the batch (in durable mode, once every ISR member fsynced it) or offsets.commit.timeout.ms
// runs out. Appends are made under the coordinator's lock, in the order the shard asked for
// them, so the log holds records in the order the shard decided them.
//
// Placement: FindCoordinator creates __consumer_offsets on first use (with fewer replicas than
// offsets.topic.replication.factor only when fewer brokers are live, with a warning).
//
// Threading: thread-safe. One mutex guards every shard; callbacks run outside it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "broker/group/group_shard.h"
#include "common/executor.h"
#include "controller/metadata/image.h"

namespace ferry::broker {

class Broker;

class GroupCoordinator {
 public:
  explicit GroupCoordinator(Broker& broker);
  ~GroupCoordinator();
  GroupCoordinator(const GroupCoordinator&) = delete;
  GroupCoordinator& operator=(const GroupCoordinator&) = delete;

  void on_image(const controller::metadata::MetadataImagePtr& image);
  // Unloads everything (parked requests get NOT_COORDINATOR) and stops the tick. Idempotent.
  void shutdown();

  // --- FindCoordinator ---------------------------------------------------------------------------
  struct Found {
    ErrorCode error = ErrorCode::NONE;
    std::string message;
    int32_t node_id = -1;
    std::string host;
    int32_t port = -1;
  };
  // The leader of the group's partition, on `listener`; creates __consumer_offsets if missing
  // (the answer is then COORDINATOR_NOT_AVAILABLE and the client retries).
  Found find(const std::string& group_id, const std::string& listener);

  // --- Group APIs (GROUPS.md 1.3: the caller answers `check()` errors as each API wants) ----
  // NONE when this broker coordinates `group_id` now; else COORDINATOR_NOT_AVAILABLE,
  // COORDINATOR_LOAD_IN_PROGRESS or NOT_COORDINATOR.
  ErrorCode check(const std::string& group_id) const;
  void join(const group::JoinRequest& request, std::function<void(group::JoinResponse)> done);
  void sync(const group::SyncRequest& request, std::function<void(group::SyncResponse)> done);
  ErrorCode heartbeat(const group::HeartbeatRequest& request);
  group::LeaveResponse leave(const std::string& group_id,
                             const std::vector<group::LeaveMember>& members);
  void commit(const group::CommitRequest& request, std::function<void(group::CommitResponse)> done);
  // Errors as check(); NONE with the offsets otherwise.
  ErrorCode fetch_offsets(const std::string& group_id,
                          const std::optional<std::vector<group::TopicPartitionRef>>& partitions,
                          bool require_stable, std::vector<group::FetchedOffset>& out) const;
  // Every group this broker coordinates; COORDINATOR_LOAD_IN_PROGRESS when a partition is
  // still loading (with what is loaded).
  ErrorCode list_groups(std::vector<group::ListedGroup>& out) const;
  group::DescribedGroup describe(const std::string& group_id) const;
  void delete_group(const std::string& group_id, std::function<void(ErrorCode)> done);
  void delete_offsets(const std::string& group_id,
                      const std::vector<group::TopicPartitionRef>& partitions,
                      std::function<void(group::OffsetDeleteResponse)> done);

  int32_t partition_for(const std::string& group_id) const;

 private:
  struct Slot;
  using Callback = std::function<void(group::Reply&)>;
  using Tasks = std::vector<std::function<void()>>;

  // The slot of `group_id`'s partition, or the error to answer (mutex_ held).
  Slot* slot_for_locked(const std::string& group_id, ErrorCode* error) const;
  // Runs `op(shard, ticket)` on the group's active shard; `done` gets the reply.
  void run(const std::string& group_id, std::function<void(group::GroupShard&, group::Ticket)> op,
           Callback done, std::function<void(ErrorCode)> refuse);
  // Answers replies and makes the appends the shard asked for (mutex_ held); returns the
  // callbacks to run once it is released.
  void drain_locked(Slot& slot, Tasks& out);
  void append_locked(Slot& slot, group::Append append, Tasks& out);
  void start_load(int32_t partition, LeaderEpoch epoch, uint64_t slot_id);
  void tick();
  void create_offsets_topic(const controller::metadata::MetadataImage& image);
  int64_t now() const;

  Broker& broker_;
  group::GroupConfig config_;
  int32_t num_partitions_;
  int32_t replication_factor_;
  int32_t segment_bytes_;
  int32_t commit_timeout_ms_;

  mutable std::mutex mutex_;
  std::map<int32_t, std::unique_ptr<Slot>> slots_;  // offsets partition -> shard
  uint64_t next_slot_id_ = 1;
  uint64_t next_ticket_ = 1;
  bool creating_topic_ = false;
  bool stopped_ = false;
  std::shared_ptr<TimerHandle> tick_timer_;
};

}  // namespace ferry::broker
