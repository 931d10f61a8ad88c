// The driver half of QuorumController: start/stop, ticks, the Ready loop, applying, snapshots
// and leadership transitions (see quorum_controller.h). Requests are in quorum_requests.cc.
#include "controller/quorum/quorum_controller.h"

#include <fmt/format.h>
#include <boost/asio/post.hpp>

#include "common/log.h"

namespace ferry::controller {

namespace {

spdlog::logger& log() {
  static const std::shared_ptr<spdlog::logger> logger = ferry::logger("controller");
  return *logger;
}

}  // namespace

QuorumController::QuorumController(QuorumOptions options, std::unique_ptr<MetadataStore> store,
                                   RaftTransport& transport, Clock& clock)
    : options_(std::move(options)),
      store_(std::move(store)),
      transport_(transport),
      clock_(clock),
      random_(options_.seed),
      strand_(boost::asio::make_strand(io_.get_executor())),
      tick_timer_(strand_),
      sessions_(options_.commands.broker_session_timeout_ms),
      image_(std::make_shared<const metadata::MetadataImage>()) {}

QuorumController::~QuorumController() {
  stop(false);
}

Status QuorumController::load_state() {
  FERRY_ASSIGN_OR_RETURN(MetadataStore::State state, store_->load_state());
  if (state.image.offset < store_->first_index() - 1) {
    // The log no longer holds the entries after the saved state (a crash right after
    // installing a leader's snapshot): start from the stored snapshot instead.
    FERRY_ASSIGN_OR_RETURN(raft::Snapshot snap, store_->snapshot());
    proto::MetadataSnapshot parsed;
    if (snap.empty() ||
        !parsed.ParseFromArray(snap.data.data(), static_cast<int>(snap.data.size()))) {
      return Error(ErrorCode::KAFKA_STORAGE_ERROR,
                   fmt::format("metadata state at {} is behind the log start {} and no readable "
                               "snapshot exists",
                               state.image.offset, store_->first_index()));
    }
    FERRY_ASSIGN_OR_RETURN(state.image, metadata::image_from_snapshot(parsed));
    FERRY_TRY(store_->replace_state(state.image));
    log().info("[controller n={}] reloaded the metadata state from snapshot {}", options_.node_id,
               state.image.offset);
  }
  if (state.image.offset > store_->last_index()) {
    return Error(ErrorCode::KAFKA_STORAGE_ERROR,
                 fmt::format("metadata state at {} is ahead of the log end {}", state.image.offset,
                             store_->last_index()));
  }
  committed_ = metadata::MetadataBuilder(state.image);
  std::lock_guard lock(image_mutex_);
  image_ = committed_.publish();
  return ok_status();
}

Status QuorumController::start() {
  FERRY_TRY(load_state());
  raft::Config config;
  config.id = options_.node_id;
  for (const auto& v : options_.voters)
    config.voters.push_back(v.id);
  config.election_timeout_ticks = options_.election_timeout_ticks;
  config.heartbeat_ticks = options_.heartbeat_ticks;
  config.applied = committed_.current().offset;
  FERRY_ASSIGN_OR_RETURN(node_, raft::RawNode::create(config, *store_, random_));
  loop_driver_ = std::make_unique<LoopDriver>(*this);
  ready_loop_ = std::make_unique<raft::ReadyLoop>(*node_, *loop_driver_);
  log().info(
      "[controller n={}] starting: applied={} log=[{}, {}] voters={} election={}ms "
      "tick={}ms seed={}",
      options_.node_id, committed_.current().offset, store_->first_index(), store_->last_index(),
      options_.voters.size(), options_.election_timeout_ms, options_.tick_ms, random_.seed());
  boost::asio::post(strand_, [this] {
    if (options_.voters.size() == 1 && options_.voters.front().id == options_.node_id) {
      node_->campaign();  // a single voter need not wait an election timeout
    }
    process_ready();
    schedule_tick();
  });
  thread_ = std::thread([this] { io_.run(); });
  return ok_status();
}

bool QuorumController::post(std::function<void()> work) {
  std::lock_guard lock(post_mutex_);
  if (stopped_) return false;
  boost::asio::post(strand_, std::move(work));
  return true;
}

bool QuorumController::stop(bool transfer) {
  if (stop_requested_.exchange(true)) return false;
  if (!thread_.joinable()) {
    std::lock_guard lock(post_mutex_);
    stopped_ = true;
    return false;
  }
  boost::asio::post(strand_, [this, transfer] {
    stopping_ = true;
    const bool can_transfer =
        transfer && node_ && node_->role() == raft::Role::kLeader && options_.voters.size() > 1;
    if (!can_transfer) {
      finish_stop();
      return;
    }
    // Hand leadership to the most up-to-date other voter, then wait for it to take over.
    const raft::NodeStatus status = node_->status();
    NodeId target = kNoNode;
    LogIndex best{-1};
    for (const auto& pr : status.progress) {
      if (pr.id != options_.node_id && pr.match > best) {
        best = pr.match;
        target = pr.id;
      }
    }
    if (target == kNoNode || !node_->transfer_leadership(target).ok()) {
      finish_stop();
      return;
    }
    log().info("[controller n={}] shutting down: transferring leadership to {}", options_.node_id,
               target);
    process_ready();
    wait_for_transfer(clock_.monotonic_ms() + options_.election_timeout_ms);
  });
  thread_.join();
  {
    std::lock_guard lock(post_mutex_);
    stopped_ = true;
  }
  // Work posted before this point and not run yet: run it now; it sees finished_ / stopping_
  // and fails its callback rather than dropping it.
  io_.restart();
  io_.poll();
  return handed_over_;
}

void QuorumController::wait_for_transfer(int64_t deadline_ms) {
  // Done once another voter is known to lead (stepping down alone, e.g. by check-quorum, is not
  // a hand-over: keep listening for the successor until the deadline).
  const NodeId leader = node_->status().leader;
  if (node_->role() != raft::Role::kLeader && leader != kNoNode && leader != options_.node_id) {
    handed_over_ = true;
    log().info("[controller n={}] leadership handed over to {}", options_.node_id, leader);
    finish_stop();
    return;
  }
  if (clock_.monotonic_ms() >= deadline_ms) {
    finish_stop();
    return;
  }
  tick_timer_.expires_after(std::chrono::milliseconds(options_.tick_ms));
  tick_timer_.async_wait([this, deadline_ms](const boost::system::error_code&) {
    node_->tick();
    process_ready();
    wait_for_transfer(deadline_ms);
  });
}

void QuorumController::finish_stop() {
  finished_ = true;
  tick_timer_.cancel();
  for (auto& due : pending_.take_all())
    due();
  for (auto& deferred : commands_.close())
    deferred();  // they see stopping_ and fail
  fail_confirmations();
  for (auto& waiter : observers_.take_all()) {
    MetadataFetch fetch;
    fetch.error = ErrorCode::NOT_CONTROLLER;
    fetch.message = "the controller is shutting down";
    waiter.done(std::move(fetch));
  }
  leader_ = -1;
  io_.stop();
}

void QuorumController::receive(std::vector<raft::Message> messages) {
  post([this, messages = std::move(messages)] {
    if (finished_) return;
    for (const auto& m : messages) {
      Status stepped = node_->step(m);
      if (!stepped.ok()) {
        log().warn("[controller n={}] dropped a message from {}: {}", options_.node_id, m.from,
                   stepped.error().to_string());
      }
    }
    process_ready();
  });
}

void QuorumController::report_unreachable(NodeId to) {
  post([this, to] {
    if (!finished_) node_->report_unreachable(to);
  });
}

void QuorumController::report_snapshot(NodeId to, bool delivered) {
  post([this, to, delivered] {
    if (finished_) return;
    node_->report_snapshot(to, delivered);
    process_ready();
  });
}

void QuorumController::schedule_tick() {
  tick_timer_.expires_after(std::chrono::milliseconds(options_.tick_ms));
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    on_tick();
    schedule_tick();
  });
}

void QuorumController::on_tick() {
  const int64_t now = clock_.monotonic_ms();
  node_->tick();
  process_ready();
  if (commands_.open()) {
    quorum_status_.track(node_->status(), now);
    probe_quiet_brokers(now);
    fence_expired_brokers(now);
  }
  for (auto& due : pending_.expire(now))
    due();
  answer_fetch_waiters(true, now);
  process_ready();
}

// ---- The Ready loop -----------------------------------------------------------------------------

// The controller's side of raft::ReadyLoop: RocksDB persists inline (one write batch, fsynced
// when the Ready says so); a failure there stops the process, since going on could break Raft's
// safety.
struct QuorumController::LoopDriver final : raft::ReadyLoop::Driver {
  explicit LoopDriver(QuorumController& c) : c(c) {}
  void persist(raft::Ready& rd, std::function<void()> persisted) override {
    Status done = c.store_->persist(rd.snapshot, rd.entries, rd.hard_state, rd.must_sync);
    if (!done.ok()) {
      FERRY_PANIC("[controller n={}] persisting the Raft log failed, stopping: {}",
                  c.options_.node_id, done.error().to_string());
    }
    persisted();
  }
  void send(std::vector<raft::Message> messages) override {
    c.transport_.send(std::move(messages));
  }
  void apply(const raft::Ready& rd) override {
    if (rd.snapshot) c.apply_snapshot(*rd.snapshot);
    c.apply_entries(rd.committed_entries);
    c.serve_read_states(rd.read_states);
  }
  void advanced(const raft::Ready& rd) override {
    if (rd.soft_state) {
      c.leader_ = rd.soft_state->leader.value();
      log().info("[controller n={} t={}] role {} leader {}", c.options_.node_id, c.node_->term(),
                 raft::role_name(rd.soft_state->role), rd.soft_state->leader);
    }
    c.check_leadership();
  }
  QuorumController& c;
};

void QuorumController::process_ready() {
  ready_loop_->run();
  after_apply();
}

void QuorumController::apply_snapshot(const raft::Snapshot& snapshot) {
  proto::MetadataSnapshot parsed;
  if (!parsed.ParseFromArray(snapshot.data.data(), static_cast<int>(snapshot.data.size()))) {
    FERRY_PANIC("[controller n={}] the leader's snapshot at {} does not parse", options_.node_id,
                snapshot.metadata.index);
  }
  auto image = metadata::image_from_snapshot(parsed);
  if (!image.ok()) {
    FERRY_PANIC("[controller n={}] the leader's snapshot at {} is inconsistent: {}",
                options_.node_id, snapshot.metadata.index, image.error().to_string());
  }
  committed_ = metadata::MetadataBuilder(*image);
  (void)committed_.take_changes();
  Status saved = store_->replace_state(committed_.current());
  if (!saved.ok()) {
    FERRY_PANIC("[controller n={}] saving the snapshot state failed: {}", options_.node_id,
                saved.error().to_string());
  }
  bytes_since_snapshot_ = 0;
  committed_dirty_ = true;
  for (auto& due : pending_.passed_over(snapshot.metadata.index))
    due();
  log().info("[controller n={}] installed snapshot {} (term {})", options_.node_id,
             snapshot.metadata.index, snapshot.metadata.term);
}

void QuorumController::apply_entries(const std::vector<raft::Entry>& entries) {
  if (entries.empty()) return;
  for (const auto& e : entries) {
    if (e.index <= committed_.current().offset) continue;  // covered by an installed snapshot
    if (e.type == raft::EntryType::kNormal && !e.data.empty()) {
      auto batch = metadata::decode_batch(e.data);
      Status applied = batch.ok() ? committed_.apply(e.index, *batch) : Status(batch.error());
      if (!applied.ok()) {
        FERRY_PANIC("[controller n={}] committed entry {} cannot be applied: {}", options_.node_id,
                    e.index, applied.error().to_string());
      }
      bytes_since_snapshot_ += e.data.size();
    } else {
      committed_.advance_to(e.index);
    }
    for (auto& due : pending_.applied(e.index, e.term))
      due();
  }
  Status saved = store_->save_state(committed_.current(), committed_.take_changes());
  if (!saved.ok()) {
    FERRY_PANIC("[controller n={}] saving the metadata state failed: {}", options_.node_id,
                saved.error().to_string());
  }
  committed_dirty_ = true;
}

void QuorumController::after_apply() {
  if (!committed_dirty_) return;
  committed_dirty_ = false;
  metadata::MetadataImagePtr image = committed_.publish();
  std::vector<std::function<void(const metadata::MetadataImagePtr&)>> listeners;
  {
    std::lock_guard lock(image_mutex_);
    image_ = image;
    listeners = listeners_;
  }
  for (const auto& listener : listeners)
    listener(image);
  answer_fetch_waiters(false, clock_.monotonic_ms());
  maybe_snapshot();
}

void QuorumController::maybe_snapshot() {
  const LogIndex applied = committed_.current().offset;
  if (bytes_since_snapshot_ < options_.snapshot_after_bytes) return;
  if (applied <= store_->snapshot_index() || applied < store_->first_index()) return;
  auto meta = node_->snapshot_metadata(applied);
  if (!meta.ok()) return;  // the core has not seen this apply yet; next time
  const std::string data = metadata::make_snapshot(committed_.current()).SerializeAsString();
  raft::Snapshot snapshot{*meta, Bytes(data.begin(), data.end())};
  const LogIndex compact_to =
      std::max(store_->first_index() - 1, applied - options_.snapshot_keep_entries);
  Status saved = store_->save_snapshot(snapshot, compact_to);
  if (!saved.ok()) {
    log().error("[controller n={}] snapshot at {} failed: {}", options_.node_id, applied,
                saved.error().to_string());
    return;
  }
  bytes_since_snapshot_ = 0;
  log().info("[controller n={}] snapshot at {} ({} bytes), log now starts at {}", options_.node_id,
             applied, data.size(), store_->first_index());
}

// ---- Leadership ---------------------------------------------------------------------------------

void QuorumController::check_leadership() {
  const bool leading = node_->role() == raft::Role::kLeader;
  if (leading_term_ && (!leading || node_->term() != *leading_term_)) step_down();
  if (leading && !leading_term_) {
    leading_term_ = node_->term();
    term_start_index_ = node_->status().last_index;  // the leader no-op is the last entry
    log().info("[controller n={} t={}] became leader; active once {} is applied", options_.node_id,
               node_->term(), term_start_index_);
  }
  if (leading_term_ && !commands_.open() && committed_.current().offset >= term_start_index_) {
    become_active();
  }
}

void QuorumController::become_active() {
  auto deferred = commands_.open_at(committed_);
  const int64_t now = clock_.monotonic_ms();
  // Credit half the election timeout (see "Heartbeats and broker leases" in the header): the
  // whole of it would be safe, but brokers also need time to find the new controller.
  sessions_.reset(committed_.current(), now - options_.election_timeout_ms / 2);
  probe_started_ms_.clear();
  quorum_status_.reset();
  log().info("[controller n={} t={}] active controller at offset {} ({} brokers, {} topics)",
             options_.node_id, node_->term(), committed_.current().offset,
             committed_.current().brokers.size(), committed_.current().topics.size());
  if (committed_.current().cluster_id.empty()) propose_cluster_id();
  for (auto& d : deferred)
    d();
}

void QuorumController::step_down() {
  log().info("[controller n={} t={}] no longer the active controller", options_.node_id,
             node_->term());
  leading_term_.reset();
  auto deferred = commands_.close();
  fail_confirmations();
  // Proposals in flight stay pending: the log decides their fate when their index applies.
  for (auto& d : deferred)
    d();  // they now see that this voter is not the leader
}

void QuorumController::confirm_leadership(std::function<void(bool)> done) {
  if (!leading_term_ || stopping_) return done(false);
  const uint64_t id = next_confirmation_++;
  Bytes context(8);
  for (int i = 0; i < 8; ++i)
    context[static_cast<size_t>(i)] = static_cast<uint8_t>(id >> (8 * i));
  if (!node_->read_index(std::move(context)).ok()) return done(false);
  confirmations_.emplace(id, std::move(done));
  schedule_ready();
}

void QuorumController::serve_read_states(const std::vector<raft::ReadState>& states) {
  for (const auto& state : states) {
    if (state.request_context.size() != 8) continue;
    uint64_t id = 0;
    for (int i = 0; i < 8; ++i)
      id |= uint64_t(state.request_context[static_cast<size_t>(i)]) << (8 * i);
    const auto it = confirmations_.find(id);
    if (it == confirmations_.end()) continue;
    auto done = std::move(it->second);
    confirmations_.erase(it);
    done(true);
  }
}

void QuorumController::fail_confirmations() {
  auto pending = std::exchange(confirmations_, {});
  for (auto& [_, done] : pending)
    done(false);
}

}  // namespace ferry::controller
