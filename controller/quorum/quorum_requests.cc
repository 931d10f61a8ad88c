// The request half of QuorumController: commands against the speculative image, proposals
// waiting for commit, metadata fetches for observers, describe-quorum (see
// quorum_controller.h).
#include <algorithm>

#include <fmt/format.h>
#include <boost/asio/post.hpp>

#include "common/log.h"
#include "controller/quorum/liveness_probe.h"
#include "controller/quorum/quorum_controller.h"

namespace ferry::controller {

namespace {

spdlog::logger& log() {
  static const std::shared_ptr<spdlog::logger> logger = ferry::logger("controller");
  return *logger;
}

template <typename Result, typename Spec>
void fail_all(std::vector<Result>& results, const std::vector<Spec>& specs, ErrorCode code,
              const std::string& message) {
  results.clear();
  for (const auto& spec : specs) {
    Result r;
    if constexpr (requires { spec.name; }) {
      if constexpr (std::is_same_v<decltype(spec.name), std::optional<std::string>>) {
        r.name = spec.name.value_or("");
      } else {
        r.name = spec.name;
      }
    }
    if constexpr (requires { r.type; }) r.type = spec.type;
    if constexpr (requires {
                    r.topic_id;
                    spec.id;
                  })
      r.topic_id = spec.id.value_or(Uuid{});
    r.error = code;
    r.message = message;
    results.push_back(std::move(r));
  }
}

template <typename Result>
void stamp_all(std::vector<Result>& results, LogIndex offset) {
  for (auto& r : results)
    r.committed_offset = offset;
}

}  // namespace

// ---- Running commands ---------------------------------------------------------------------------

// One attempt at a command, on the strand. Copyable: a new leader that is not caught up yet
// waits as is in the command pipeline and runs once it opens (or fails it when it steps down).
template <typename Reply>
struct QuorumController::Attempt {
  QuorumController* self;
  std::function<metadata::Planned<Reply>(const metadata::MetadataImage&)> plan;
  std::function<void(Reply&, ErrorCode, const std::string&)> fail;
  std::function<void(Reply&, LogIndex)> stamp;
  Callback<Reply> done;

  void reply_error(ErrorCode code, const std::string& message) const {
    Reply reply;
    fail(reply, code, message);
    done(std::move(reply));
  }

  void operator()() const {
    QuorumController& c = *self;
    const bool leading = !c.stopping_ && c.node_ && c.node_->role() == raft::Role::kLeader &&
                         c.leading_term_ && c.node_->term() == *c.leading_term_;
    if (!leading) return reply_error(ErrorCode::NOT_CONTROLLER, c.not_controller_message());
    if (!c.commands_.open()) return c.commands_.defer(*this);
    metadata::Planned<Reply> planned = plan(c.commands_.image());
    auto resolve = [fail = fail, stamp = stamp, done = done, reply = std::move(planned.reply)](
                       ErrorCode code, LogIndex offset) mutable {
      if (code == ErrorCode::NONE) {
        stamp(reply, offset);
      } else {
        fail(reply, code,
             code == ErrorCode::NOT_CONTROLLER
                 ? "The controller lost leadership before the change was committed."
                 : "The outcome of the change is not known (no quorum, or shutting down).");
      }
      done(std::move(reply));
    };
    if (planned.records.empty()) {  // a barrier: reply once what the plan saw is committed
      const LogIndex observed = c.commands_.image().offset;
      if (c.commands_.settled(c.committed_.current().offset))
        return resolve(ErrorCode::NONE, observed);
      return c.wait_for(observed, *c.leading_term_, std::move(resolve));
    }
    auto proposed = c.node_->propose(metadata::encode_batch(planned.records));
    if (!proposed.ok()) return reply_error(ErrorCode::NOT_CONTROLLER, proposed.error().message());
    c.commands_.proposed(proposed->index, planned.records);
    c.wait_for(proposed->index, proposed->term, std::move(resolve));
    c.schedule_ready();
  }
};

template <typename Reply>
void QuorumController::run_command(
    std::function<metadata::Planned<Reply>(const metadata::MetadataImage&)> plan,
    std::function<void(Reply&, ErrorCode, const std::string&)> fail,
    std::function<void(Reply&, LogIndex)> stamp, Callback<Reply> done) {
  Attempt<Reply> attempt{this, std::move(plan), std::move(fail), std::move(stamp), std::move(done)};
  if (!post(attempt))
    attempt.reply_error(ErrorCode::NOT_CONTROLLER, "the controller is shutting down");
}

void QuorumController::schedule_ready() {
  // Commands queued on the strand behind this one share one Ready: one synced write for all.
  if (ready_scheduled_) return;
  ready_scheduled_ = true;
  boost::asio::post(strand_, [this] {
    ready_scheduled_ = false;
    if (!finished_) process_ready();
  });
}

void QuorumController::propose_internal(metadata::Records records, std::string what) {
  auto proposed = node_->propose(metadata::encode_batch(records));
  if (!proposed.ok()) {
    log().warn("[controller n={}] could not propose {}: {}", options_.node_id, what,
               proposed.error().to_string());
    return;
  }
  commands_.proposed(proposed->index, records);
  wait_for(proposed->index, proposed->term, [this, what](ErrorCode code, LogIndex offset) {
    if (code == ErrorCode::NONE) {
      log().info("[controller n={}] committed {} at {}", options_.node_id, what, offset);
    }
  });
  schedule_ready();
}

void QuorumController::wait_for(LogIndex index, Term term,
                                std::function<void(ErrorCode, LogIndex)> resolve) {
  pending_.add(index, term, clock_.monotonic_ms() + options_.request_timeout_ms,
               std::move(resolve));
}

std::string QuorumController::not_controller_message() const {
  const NodeId leader = active_controller();
  if (leader == kNoNode || leader == options_.node_id) {
    return "This is not the correct controller for this cluster. No active controller is known "
           "yet.";
  }
  const VoterAddress* v = options_.voter(leader);
  return fmt::format(
      "This is not the correct controller for this cluster. The active controller is node {} "
      "({}).",
      leader, v ? v->address() : std::string("unknown address"));
}

std::string QuorumController::leader_address() const {
  const VoterAddress* v = options_.voter(active_controller());
  return v ? v->address() : std::string();
}

// ---- Background decisions of the active controller ----------------------------------------------

void QuorumController::fence_expired_brokers(int64_t now_ms) {
  const auto& image = commands_.image();
  const auto expired = sessions_.first_expired(image, now_ms);
  if (!expired) return;
  if (sessions_.proven_gone(*expired)) {
    log().info(
        "[controller n={}] fencing broker {}: every listener it registered refused a "
        "connection (its process is gone)",
        options_.node_id, *expired);
  } else {
    log().info("[controller n={}] fencing broker {}: no heartbeat for {} ms", options_.node_id,
               *expired, sessions_.session_timeout_ms());
  }
  metadata::Records records = metadata::plan_fence_broker(image, *expired, options_.commands);
  if (!records.empty())
    propose_internal(std::move(records), fmt::format("fence broker {}", *expired));
}

void QuorumController::probe_quiet_brokers(int64_t now_ms) {
  const int64_t after = options_.commands.broker_probe_after_ms;
  if (after <= 0) return;
  // A probe of a dead process ends in well under a millisecond (a refused connect); one that
  // times out proves nothing. Bounding it by the probe delay keeps one probe per broker at a time.
  const int64_t timeout_ms = std::min<int64_t>(after, 1000);
  const auto& image = commands_.image();
  for (const NodeId id : sessions_.quiet(image, now_ms, after)) {
    auto [it, fresh] = probe_started_ms_.try_emplace(id, now_ms);
    if (!fresh) {
      if (now_ms - it->second < after) continue;
      it->second = now_ms;
    }
    const metadata::BrokerRegistration* broker = image.broker(id);
    if (broker == nullptr) continue;
    probe_endpoints(strand_, broker->endpoints, timeout_ms,
                    [this, id, started = now_ms, term = leading_term_](ProbeVerdict verdict) {
                      if (verdict != ProbeVerdict::kGone) return;
                      if (stopping_ || !commands_.open() || leading_term_ != term) return;
                      sessions_.mark_gone(id, started);
                      fence_expired_brokers(clock_.monotonic_ms());
                      process_ready();
                    });
  }
}

void QuorumController::propose_cluster_id() {
  const std::string id = Uuid::random(random_).to_string();
  propose_internal({metadata::make_cluster_id(id)}, "cluster id " + id);
}

// ---- ControllerApi ------------------------------------------------------------------------------

void QuorumController::create_topics(std::vector<CreateTopicSpec> topics, bool validate_only,
                                     Callback<std::vector<CreateTopicResult>> done) {
  using Reply = std::vector<CreateTopicResult>;
  run_command<Reply>(
      [this, topics, validate_only](const metadata::MetadataImage& image) {
        return metadata::plan_create_topics(image, topics, validate_only, options_.commands,
                                            random_);
      },
      [topics](Reply& r, ErrorCode code, const std::string& m) { fail_all(r, topics, code, m); },
      stamp_all<CreateTopicResult>, std::move(done));
}

void QuorumController::delete_topics(std::vector<DeleteTopicSpec> topics,
                                     Callback<std::vector<DeleteTopicResult>> done) {
  using Reply = std::vector<DeleteTopicResult>;
  run_command<Reply>(
      [this, topics](const metadata::MetadataImage& image) {
        return metadata::plan_delete_topics(image, topics, options_.commands);
      },
      [topics](Reply& r, ErrorCode code, const std::string& m) { fail_all(r, topics, code, m); },
      stamp_all<DeleteTopicResult>, std::move(done));
}

void QuorumController::create_partitions(std::vector<CreatePartitionsSpec> topics,
                                         bool validate_only,
                                         Callback<std::vector<CreatePartitionsResult>> done) {
  using Reply = std::vector<CreatePartitionsResult>;
  run_command<Reply>(
      [this, topics, validate_only](const metadata::MetadataImage& image) {
        return metadata::plan_create_partitions(image, topics, validate_only, options_.commands,
                                                random_);
      },
      [topics](Reply& r, ErrorCode code, const std::string& m) { fail_all(r, topics, code, m); },
      stamp_all<CreatePartitionsResult>, std::move(done));
}

void QuorumController::alter_configs(std::vector<AlterConfigsSpec> resources, bool validate_only,
                                     Callback<std::vector<AlterConfigsResult>> done) {
  using Reply = std::vector<AlterConfigsResult>;
  run_command<Reply>(
      [resources, validate_only](const metadata::MetadataImage& image) {
        return metadata::plan_alter_configs(image, resources, validate_only);
      },
      [resources](Reply& r, ErrorCode code, const std::string& m) {
        fail_all(r, resources, code, m);
      },
      stamp_all<AlterConfigsResult>, std::move(done));
}

namespace {
template <typename Reply>
void fail_one(Reply& r, ErrorCode code, const std::string& message) {
  r.error = code;
  r.message = message;
}
}  // namespace

void QuorumController::register_broker(BrokerRegistrationRequest request,
                                       Callback<BrokerRegistrationReply> done) {
  run_command<BrokerRegistrationReply>(
      [this, request](const metadata::MetadataImage& image) {
        return metadata::plan_register_broker(image, request, image.offset + 1, options_.commands,
                                              sessions_, clock_.monotonic_ms());
      },
      fail_one<BrokerRegistrationReply>,
      [](BrokerRegistrationReply& r, LogIndex offset) { r.committed_offset = offset; },
      std::move(done));
}

void QuorumController::broker_heartbeat(BrokerHeartbeatRequest request,
                                        Callback<BrokerHeartbeatReply> done) {
  // Confirm leadership first (see "Heartbeats and broker leases" in the header), then plan.
  const bool posted = post([this, request, done]() mutable {
    confirm_leadership([this, request, done = std::move(done)](bool leading) mutable {
      if (!leading) {
        BrokerHeartbeatReply reply;
        fail_one(reply, ErrorCode::NOT_CONTROLLER, not_controller_message());
        return done(std::move(reply));
      }
      run_heartbeat(std::move(request), std::move(done));
    });
  });
  if (!posted) {
    BrokerHeartbeatReply reply;
    fail_one(reply, ErrorCode::NOT_CONTROLLER, "the controller is shutting down");
    done(std::move(reply));
  }
}

void QuorumController::run_heartbeat(BrokerHeartbeatRequest request,
                                     Callback<BrokerHeartbeatReply> done) {
  run_command<BrokerHeartbeatReply>(
      [this, request](const metadata::MetadataImage& image) {
        return metadata::plan_broker_heartbeat(image, request, options_.commands, sessions_,
                                               clock_.monotonic_ms());
      },
      fail_one<BrokerHeartbeatReply>,
      [](BrokerHeartbeatReply& reply, LogIndex offset) { reply.metadata_offset = offset; },
      std::move(done));
}

void QuorumController::alter_partition(AlterPartitionRequest request,
                                       Callback<AlterPartitionReply> done) {
  run_command<AlterPartitionReply>(
      [request](const metadata::MetadataImage& image) {
        return metadata::plan_alter_partition(image, request);
      },
      fail_one<AlterPartitionReply>,
      [](AlterPartitionReply& r, LogIndex offset) { r.committed_offset = offset; },
      std::move(done));
}

void QuorumController::allocate_producer_ids(NodeId broker_id, BrokerEpoch broker_epoch,
                                             Callback<AllocateProducerIdsReply> done) {
  run_command<AllocateProducerIdsReply>(
      [this, broker_id, broker_epoch](const metadata::MetadataImage& image) {
        return metadata::plan_allocate_producer_ids(image, broker_id, broker_epoch,
                                                    options_.commands);
      },
      [](AllocateProducerIdsReply& r, ErrorCode code, const std::string& m) {
        r.error = code;
        r.message = m;
        r.first_producer_id = -1;
        r.count = 0;
      },
      [](AllocateProducerIdsReply& r, LogIndex offset) { r.committed_offset = offset; },
      std::move(done));
}

// ---- MetadataSource -----------------------------------------------------------------------------

metadata::MetadataImagePtr QuorumController::image() const {
  std::lock_guard lock(image_mutex_);
  return image_;
}

void QuorumController::subscribe(std::function<void(const metadata::MetadataImagePtr&)> listener) {
  std::lock_guard lock(image_mutex_);
  listeners_.push_back(std::move(listener));
}

// ---- Observers ----------------------------------------------------------------------------------

MetadataFetch QuorumController::read_committed(LogIndex fetch_offset, uint64_t max_bytes) {
  MetadataFetch fetch;
  const LogIndex applied = committed_.current().offset;
  fetch.high_watermark = applied;
  LogIndex next = std::max(fetch_offset, LogIndex(1));
  if (next < store_->first_index()) {
    auto snapshot = store_->snapshot();
    if (!snapshot.ok() || snapshot->empty()) {
      fetch.error = ErrorCode::KAFKA_STORAGE_ERROR;
      fetch.message =
          snapshot.ok() ? "no snapshot covers the compacted log" : snapshot.error().message();
      return fetch;
    }
    fetch.snapshot = std::move(snapshot->data);
    next = snapshot->metadata.index + 1;
  }
  if (next > applied) return fetch;
  auto entries = store_->entries(next, applied + 1, max_bytes);
  if (!entries.ok()) {
    fetch.error = entries.code();
    fetch.message = entries.error().message();
    return fetch;
  }
  for (auto& e : *entries) {
    fetch.entries.emplace_back(e.index,
                               e.type == raft::EntryType::kNormal ? std::move(e.data) : Bytes());
  }
  return fetch;
}

void QuorumController::fetch_metadata(LogIndex fetch_offset, int64_t max_wait_ms,
                                      uint64_t max_bytes, Callback<MetadataFetch> done,
                                      NodeId observer) {
  auto shared_done = std::make_shared<Callback<MetadataFetch>>(std::move(done));
  const bool posted = post([this, fetch_offset, max_wait_ms, max_bytes, shared_done, observer] {
    auto& done = *shared_done;
    if (observer != kNoNode) {
      observers_.note_fetch(observer, fetch_offset - 1, committed_.current().offset,
                            clock_.monotonic_ms());
    }
    if (stopping_ || fetch_offset <= committed_.current().offset || max_wait_ms <= 0) {
      done(read_committed(fetch_offset, max_bytes));
      return;
    }
    observers_.park(
        {fetch_offset, max_bytes, clock_.monotonic_ms() + max_wait_ms, std::move(done)});
  });
  if (!posted) {
    MetadataFetch fetch;
    fetch.error = ErrorCode::NOT_CONTROLLER;
    fetch.message = "the controller is shutting down";
    (*shared_done)(std::move(fetch));
  }
}

void QuorumController::answer_fetch_waiters(bool expired_only, int64_t now_ms) {
  for (auto& w : observers_.take_due(committed_.current().offset, expired_only, now_ms))
    w.done(read_committed(w.fetch_offset, w.max_bytes));
}

// ---- Describe quorum ----------------------------------------------------------------------------

QuorumDescription QuorumController::describe_now(int64_t now_ms) const {
  const raft::NodeStatus raft = node_->status();
  return quorum_status_.describe({raft, options_.voters, observers_.observers(),
                                  committed_.current().cluster_id, store_->first_index().value()},
                                 now_ms);
}

void QuorumController::describe_quorum(Callback<Result<QuorumDescription>> done) {
  auto shared_done = std::make_shared<Callback<Result<QuorumDescription>>>(std::move(done));
  const bool posted = post([this, shared_done] {
    if (stopping_ || !commands_.open()) {
      (*shared_done)(Error(ErrorCode::NOT_CONTROLLER, not_controller_message()));
      return;
    }
    (*shared_done)(describe_now(clock_.monotonic_ms()));
  });
  if (!posted) (*shared_done)(Error(ErrorCode::NOT_CONTROLLER, "the controller is shutting down"));
}

// ---- Log copy for an empty voter ---------------------------------------------------------------

void QuorumController::copy_log(Callback<Result<LogCopy>> done) {
  auto shared_done = std::make_shared<Callback<Result<LogCopy>>>(std::move(done));
  const bool posted = post([this, shared_done] {
    if (stopping_ || node_->role() != raft::Role::kLeader) {
      (*shared_done)(Error(ErrorCode::NOT_CONTROLLER, not_controller_message()));
      return;
    }
    LogCopy copy;
    auto snapshot = store_->snapshot();
    if (!snapshot.ok()) return (*shared_done)(snapshot.error());
    copy.snapshot = std::move(*snapshot);
    const LogIndex from = std::max(store_->first_index(), copy.snapshot.metadata.index + 1);
    auto entries = store_->entries(from, store_->last_index() + 1, UINT64_MAX);
    if (!entries.ok()) return (*shared_done)(entries.error());
    copy.entries = std::move(*entries);
    log().info("[controller n={}] copying the log ({} entries after snapshot {}) to an empty voter",
               options_.node_id, copy.entries.size(), copy.snapshot.metadata.index);
    (*shared_done)(std::move(copy));
  });
  if (!posted) (*shared_done)(Error(ErrorCode::NOT_CONTROLLER, "the controller is shutting down"));
}

}  // namespace ferry::controller
