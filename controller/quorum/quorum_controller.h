// QuorumController: one voter of the controller quorum. It drives the Raft core (RawNode) and
// the metadata state machine, and, while this voter is the active controller (the Raft
// leader), runs the broker-facing commands.
//
// Threading: everything happens on one driver thread through a Boost.Asio strand. Public methods
// are thread-safe: they post to the strand. Callbacks (ControllerApi results, MetadataSource
// listeners, fetch and describe answers) run on the driver thread, exactly once, and must not
// block.
//
// The Ready loop (controller/raft/raw_node.h contract), for every Ready:
//   1. persist snapshot + entries + hard state in one RocksDB write batch (fsync'ed when the
//      Ready says so) -- a failure here stops the process: continuing could break Raft safety;
//   2. send the messages (RaftTransport, best effort);
//   3. apply: a snapshot replaces the metadata state; committed entries are applied in order to
//      the committed MetadataBuilder, whose changed entities are saved to RocksDB together with
//      the applied offset (one unsynced batch: replay is idempotent per offset); the new image
//      is published and waiting requests are answered;
//   4. advance.
// After applying, once `metadata.log.max.record.bytes.between.snapshots` bytes of records were
// applied since the last snapshot, the state is snapshotted (the image as records) and the log
// compacted up to `snapshot_keep_entries` below it.
//
// Commands (active controller only, controller/quorum/command_pipeline.h): a command is planned
// against the *speculative* image (the committed image plus every entry this leader proposed and
// has not seen committed yet), its records are proposed as one Raft entry and applied to the
// speculative image at once, so the next command sees them. The reply is delivered when the entry
// is applied: an entry with the proposal's (term, index) means success (reply.committed_offset =
// index); another term at that index means the proposal was lost (NOT_CONTROLLER, safe to retry
// elsewhere). A command with no records replies once everything it observed is committed (a
// barrier), so no reply ever reports uncommitted state. A new leader serves commands only after it
// has applied its own first entry of the term (the leader no-op): its speculative image then starts
// from a complete committed image. Requests that reach a voter that is not the leader are answered
// NOT_CONTROLLER naming the leader when known.
//
// Broker sessions live only in the active controller's memory. Every tick, the active controller
// fences one broker whose session expired, moving its leaderships to other ISR members.
//
// Liveness probes (broker.liveness.probe.after.ms, liveness_probe.h). A session alone makes a
// killed leader's partitions wait broker.session.timeout.ms. So a broker not heard from for the
// probe delay gets a TCP connect to each listener it registered; when all are refused, nothing
// listens there any more: the process is dead (a live ferryd, even a stopped one, keeps its
// listeners until its shutdown has begun; then it serves no new requests). Its session ends at
// once and its leaderships move. The lease argument below assumes the broker might still act
// until its lease runs out; a process that no longer exists cannot. What this trusts is the
// refusal: a firewall that answers a partitioned live broker's port with TCP resets would make
// that broker look dead, and it would keep leading, without acks=all being affected (its ISR
// followers move to the new leader epoch), until its lease ran out. Timeouts and unreachable
// hosts prove nothing.
//
// Heartbeats and broker leases (broker/broker.h, THE LEASE). A heartbeat is answered only after
// a read-index round (Raft thesis 6.4) started after it arrived has confirmed that this voter
// still leads: a deposed leader that has not noticed yet cannot hand out leases. A new leader's
// voters stopped hearing from the old one at least one election timeout E before they elected
// it (pre-vote and check-quorum refuse votes while a leader is heard), so every lease the old
// leader confirmed was for a heartbeat sent at least E before this voter became active. On
// becoming active every registered broker's session may therefore count from as early as
// (now - E) without fencing any broker before the lease it was granted ran out; it counts from
// (now - E/2), so that a broker that is gone is fenced sooner than after a full fresh session
// while live brokers keep about a second to find the new controller.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "common/clock.h"
#include "common/random.h"
#include "controller/controller_api.h"
#include "controller/metadata/commands.h"
#include "controller/metadata/state_machine.h"
#include "controller/quorum/command_pipeline.h"
#include "controller/quorum/metadata_observers.h"
#include "controller/quorum/options.h"
#include "controller/quorum/pending_proposals.h"
#include "controller/quorum/quorum_status.h"
#include "controller/quorum_admin.h"
#include "controller/raft/raw_node.h"
#include "controller/raft/ready_loop.h"
#include "controller/store/metadata_store.h"

namespace ferry::controller {

// How Raft messages leave this voter. Called on the driver strand; must not block.
class RaftTransport {
 public:
  virtual ~RaftTransport() = default;
  virtual void send(std::vector<raft::Message> messages) = 0;
};

// The leader's persisted log, for a voter that starts empty (see FetchLog in controller.proto).
struct LogCopy {
  raft::Snapshot snapshot;           // empty when there is none
  std::vector<raft::Entry> entries;  // after the snapshot (or from index 1), persisted ones
};

class QuorumController final : public ControllerApi, public MetadataSource {
 public:
  QuorumController(QuorumOptions options, std::unique_ptr<MetadataStore> store,
                   RaftTransport& transport, Clock& clock);
  ~QuorumController() override;

  // Loads the persisted state (reloading it from the stored snapshot if a crash left it
  // behind), creates the Raft node and starts the driver thread.
  Status start();
  // Stops serving: when leading and `transfer` is set, first hands leadership to another voter
  // (bounded by the election timeout). Requests still waiting fail with REQUEST_TIMED_OUT.
  // Blocks until the driver thread has ended. Idempotent. True when leadership was handed to
  // another voter before stopping (the first call only).
  bool stop(bool transfer);

  // --- From the transport (any thread) ----------------------------------------------------------
  void receive(std::vector<raft::Message> messages);
  void report_unreachable(NodeId to);
  void report_snapshot(NodeId to, bool delivered);

  // --- ControllerApi (served locally; NOT_CONTROLLER when not the active controller) -------------
  void create_topics(std::vector<CreateTopicSpec> topics, bool validate_only,
                     Callback<std::vector<CreateTopicResult>> done) override;
  void delete_topics(std::vector<DeleteTopicSpec> topics,
                     Callback<std::vector<DeleteTopicResult>> done) override;
  void create_partitions(std::vector<CreatePartitionsSpec> topics, bool validate_only,
                         Callback<std::vector<CreatePartitionsResult>> done) override;
  void alter_configs(std::vector<AlterConfigsSpec> resources, bool validate_only,
                     Callback<std::vector<AlterConfigsResult>> done) override;
  void register_broker(BrokerRegistrationRequest request,
                       Callback<BrokerRegistrationReply> done) override;
  void broker_heartbeat(BrokerHeartbeatRequest request,
                        Callback<BrokerHeartbeatReply> done) override;
  void alter_partition(AlterPartitionRequest request, Callback<AlterPartitionReply> done) override;
  void allocate_producer_ids(NodeId broker_id, BrokerEpoch broker_epoch,
                             Callback<AllocateProducerIdsReply> done) override;
  NodeId active_controller() const override { return NodeId(leader_.load()); }

  // --- MetadataSource: this voter's committed image ----------------------------------------------
  metadata::MetadataImagePtr image() const override;
  void subscribe(std::function<void(const metadata::MetadataImagePtr&)> listener) override;

  // --- Observers and admin -----------------------------------------------------------------------
  // Committed entries from `fetch_offset` on (or the snapshot first when they are compacted);
  // waits up to max_wait_ms for new ones when there are none yet. `observer` (a broker's node
  // id, or kNoNode) is remembered for describe_quorum's observer list.
  void fetch_metadata(LogIndex fetch_offset, int64_t max_wait_ms, uint64_t max_bytes,
                      Callback<MetadataFetch> done, NodeId observer = kNoNode);
  // The leader's view of the quorum; NOT_CONTROLLER (naming the leader) on other voters.
  void describe_quorum(Callback<Result<QuorumDescription>> done);
  // The leader's persisted log for an empty voter; NOT_CONTROLLER on other voters.
  void copy_log(Callback<Result<LogCopy>> done);
  // host:port of the active controller's CONTROLLER listener, "" when unknown.
  std::string leader_address() const;
  const QuorumOptions& options() const { return options_; }

 private:
  // quorum_controller.cc: the driver.
  // Posts `work` to the strand unless stop() has begun; false (and nothing posted) if it has.
  bool post(std::function<void()> work);
  Status load_state();
  void schedule_tick();
  void on_tick();
  void process_ready();
  void apply_snapshot(const raft::Snapshot& snapshot);
  void apply_entries(const std::vector<raft::Entry>& entries);
  void after_apply();
  void maybe_snapshot();
  void check_leadership();
  void become_active();
  void step_down();
  void wait_for_transfer(int64_t deadline_ms);
  void finish_stop();
  // Calls `done(true)` once a read-index round started now confirms this voter leads (false if
  // it does not, or loses leadership first). Strand only.
  void confirm_leadership(std::function<void(bool)> done);
  void serve_read_states(const std::vector<raft::ReadState>& states);
  void fail_confirmations();
  void run_heartbeat(BrokerHeartbeatRequest request, Callback<BrokerHeartbeatReply> done);

  // quorum_requests.cc: commands, pending proposals, fetches, describe.
  template <typename Reply>
  struct Attempt;
  template <typename Reply>
  void run_command(std::function<metadata::Planned<Reply>(const metadata::MetadataImage&)> plan,
                   std::function<void(Reply&, ErrorCode, const std::string&)> fail,
                   std::function<void(Reply&, LogIndex)> stamp, Callback<Reply> done);
  void wait_for(LogIndex index, Term term, std::function<void(ErrorCode, LogIndex)> resolve);
  void schedule_ready();
  void propose_internal(metadata::Records records, std::string what);
  std::string not_controller_message() const;
  void fence_expired_brokers(int64_t now_ms);
  void probe_quiet_brokers(int64_t now_ms);
  void propose_cluster_id();
  void answer_fetch_waiters(bool expired_only, int64_t now_ms);
  MetadataFetch read_committed(LogIndex fetch_offset, uint64_t max_bytes);
  QuorumDescription describe_now(int64_t now_ms) const;

  QuorumOptions options_;
  std::unique_ptr<MetadataStore> store_;
  RaftTransport& transport_;
  Clock& clock_;
  SeededRandom random_;

  boost::asio::io_context io_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer tick_timer_;
  std::thread thread_;
  // Guards "is the driver still accepting work" against stop(): work posted after the driver's
  // last run would never run, and its callback never fire. Work is accepted until then, so that
  // Raft messages still arrive while a stopping leader waits for its successor to take over.
  std::mutex post_mutex_;
  bool stopping_ = false;     // strand: no new commands
  bool finished_ = false;     // strand: the driver has stopped
  bool handed_over_ = false;  // strand, then stop(): another voter took over before we stopped
  std::atomic<bool> stop_requested_{false};
  bool stopped_ = false;  // post_mutex_: no more work is accepted

  // Driver state (strand only).
  struct LoopDriver;
  std::unique_ptr<raft::RawNode> node_;
  std::unique_ptr<LoopDriver> loop_driver_;
  std::unique_ptr<raft::ReadyLoop> ready_loop_;  // the Ready contract, shared with the simulation
  metadata::MetadataBuilder committed_;
  bool committed_dirty_ = false;
  bool ready_scheduled_ = false;
  uint64_t bytes_since_snapshot_ = 0;
  std::optional<Term> leading_term_;  // set while this voter is the Raft leader
  LogIndex term_start_index_{0};      // the leader no-op of leading_term_
  CommandPipeline commands_;          // open while leading and caught up: commands are served
  metadata::BrokerSessions sessions_;
  std::map<NodeId, int64_t> probe_started_ms_;  // the last liveness probe of each broker
  uint64_t next_confirmation_ = 1;
  std::map<uint64_t, std::function<void(bool)>> confirmations_;  // read-index context -> waiter
  PendingProposals pending_;
  MetadataObservers observers_;
  QuorumStatus quorum_status_;

  // Shared with other threads.
  std::atomic<int32_t> leader_{-1};
  mutable std::mutex image_mutex_;
  metadata::MetadataImagePtr image_;
  std::vector<std::function<void(const metadata::MetadataImagePtr&)>> listeners_;
};

}  // namespace ferry::controller
