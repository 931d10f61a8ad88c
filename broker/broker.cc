#include "broker/broker.h"

#include <algorithm>
#include <future>

#include "broker/cluster_assignment.h"
#include "broker/group_coordinator.h"
#include "broker/replica_links.h"
#include "common/executor.h"
#include "common/log.h"
#include "common/random.h"
#include "replication/replica_manager.h"

namespace ferry::broker {

namespace {
constexpr int64_t kRegistrationRetryMs = 500;
constexpr int64_t kShutdownHeartbeatTimeoutMs = 3000;
}  // namespace

struct Broker::MetadataWaiter {
  LogIndex offset;
  std::function<void(bool)> done;
  std::shared_ptr<TimerHandle> timer;
  std::atomic<bool> finished{false};
  // Runs `done` once, from whichever of image arrival and timeout comes first.
  void finish(bool reached) {
    if (finished.exchange(true)) return;
    if (timer) timer->cancel();
    done(reached);
  }
};

Result<ListenerAddress> parse_listener(std::string_view text) {
  const size_t scheme = text.find("://");
  const size_t colon = text.rfind(':');
  if (scheme == std::string_view::npos || colon == std::string_view::npos || colon < scheme + 3) {
    return Error(ErrorCode::INVALID_CONFIG,
                 fmt::format("listener '{}' is not of the form NAME://host:port", text));
  }
  ListenerAddress out;
  out.name = std::string(text.substr(0, scheme));
  out.host = std::string(text.substr(scheme + 3, colon - scheme - 3));
  if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']') {
    out.host = out.host.substr(1, out.host.size() - 2);
  }
  const std::string port(text.substr(colon + 1));
  char* end = nullptr;
  const long value = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || value < 0 || value > 65535 || out.name.empty()) {
    return Error(ErrorCode::INVALID_CONFIG,
                 fmt::format("listener '{}' has an invalid name or port", text));
  }
  out.port = static_cast<int32_t>(value);
  return out;
}

Broker::Broker(const config::BrokerConfig& config, controller::ControllerApi& controller,
               controller::MetadataSource& metadata, Executor& executor, Clock& clock,
               replication::ReplicaFetchClientFactory& fetch_clients, Options options)
    : config_(config),
      controller_(controller),
      metadata_(metadata),
      executor_(executor),
      clock_(clock),
      node_id_(config.get_int("node.id")),
      isr_channel_(std::make_unique<ControllerIsrChannel>(controller, node_id_,
                                                          [this] { return broker_epoch(); })),
      partitions_(std::make_unique<replication::ReplicaManager>(
          config, node_id_, executor, clock,
          replication::ReplicaManagerDeps{fetch_clients, *isr_channel_,
                                          [this] { return broker_epoch(); },
                                          options.flusher_threads})),
      image_(std::make_shared<controller::metadata::MetadataImage>()) {
  SeededRandom rng(static_cast<uint64_t>(clock.wall_ms()) ^ (uint64_t(node_id_.value()) << 40) ^
                   reinterpret_cast<uintptr_t>(this));
  incarnation_id_ = Uuid::random(rng);
  groups_ = std::make_unique<GroupCoordinator>(*this);
}

Broker::~Broker() {
  shutdown();
}

Status Broker::start(std::vector<ListenerAddress> client_listeners) {
  const auto advertised = config_.get_list("advertised.listeners");
  if (!advertised.empty()) {
    for (const auto& text : advertised) {
      FERRY_ASSIGN_OR_RETURN(auto l, parse_listener(text));
      advertised_.push_back({l.name, l.host, l.port, "PLAINTEXT"});
    }
  } else {
    for (const auto& l : client_listeners) {
      const std::string host = (l.host.empty() || l.host == "0.0.0.0") ? "127.0.0.1" : l.host;
      advertised_.push_back({l.name, host, l.port, "PLAINTEXT"});
    }
  }
  inter_broker_listener_ = config_.get("inter.broker.listener.name");
  if (inter_broker_listener_.empty() && !advertised_.empty()) {
    inter_broker_listener_ = advertised_.front().listener;
  }
  const bool known = std::any_of(advertised_.begin(), advertised_.end(), [&](const auto& e) {
    return e.listener == inter_broker_listener_;
  });
  if (!known) {
    return Error(ErrorCode::INVALID_CONFIG,
                 fmt::format("inter.broker.listener.name '{}' is not one of this broker's "
                             "listeners",
                             inter_broker_listener_));
  }
  partitions_->set_lease(false);  // no leading before the controller says we may (THE LEASE)
  FERRY_TRY(partitions_->open());
  metadata_.subscribe([this](const controller::metadata::MetadataImagePtr& image) {
    executor_.post([this, image] { on_image(image); });
  });
  executor_.post([this, image = metadata_.image()] { on_image(image); });
  register_with_controller();
  return ok_status();
}

void Broker::controlled_shutdown() {
  controller::BrokerHeartbeatRequest request;
  {
    std::lock_guard lock(mutex_);
    if (!registered_ || stopping_ || shutdown_announced_) return;
    shutdown_announced_ = true;
    request.broker_id = node_id_;
    request.broker_epoch = broker_epoch_;
    request.current_metadata_offset = image_->offset;
    request.want_shutdown = true;
  }
  // The controller fences this broker and moves its leaderships, so the next start registers at
  // once instead of waiting out this session.
  const int64_t deadline = clock_.monotonic_ms() + kShutdownHeartbeatTimeoutMs;
  auto replied = std::make_shared<std::promise<LogIndex>>();
  auto reply_future = replied->get_future();
  controller_.broker_heartbeat(request, [replied](controller::BrokerHeartbeatReply reply) {
    replied->set_value(reply.error == ErrorCode::NONE ? reply.metadata_offset : LogIndex(-1));
  });
  if (reply_future.wait_for(std::chrono::milliseconds(kShutdownHeartbeatTimeoutMs)) !=
      std::future_status::ready) {
    logger("broker")->warn("[node {}] the controller did not confirm the controlled shutdown",
                           node_id_);
    return;
  }
  const LogIndex offset = reply_future.get();
  if (offset < LogIndex(0)) return;
  // Serve on until the partitions have seen their leadership move: clients still connected are
  // then told NOT_LEADER_OR_FOLLOWER and find the new leaders before the listeners close.
  auto caught_up = std::make_shared<std::promise<bool>>();
  auto caught_up_future = caught_up->get_future();
  wait_for_metadata(offset, std::max<int64_t>(deadline - clock_.monotonic_ms(), 0),
                    [caught_up](bool ok) { caught_up->set_value(ok); });
  if (caught_up_future.wait_for(std::chrono::milliseconds(kShutdownHeartbeatTimeoutMs + 1000)) !=
          std::future_status::ready ||
      !caught_up_future.get()) {
    logger("broker")->warn("[node {}] controlled shutdown: metadata offset {} not reached",
                           node_id_, offset);
  }
}

void Broker::shutdown() {
  controlled_shutdown();
  std::shared_ptr<TimerHandle> timer, lease_timer;
  std::vector<std::shared_ptr<MetadataWaiter>> waiters;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    timer = heartbeat_timer_;
    lease_timer = lease_timer_;
    waiters.swap(metadata_waiters_);
    update_lease_locked(clock_.monotonic_ms());
  }
  apply_lease();  // stopping: lead nothing more (the controller moved our leaderships)
  groups_->shutdown();
  if (timer) timer->cancel();
  if (lease_timer) lease_timer->cancel();
  for (auto& w : waiters)
    w->finish(false);
  partitions_->shutdown();
}

controller::metadata::MetadataImagePtr Broker::image() const {
  std::lock_guard lock(mutex_);
  return image_;
}

void Broker::on_image(const controller::metadata::MetadataImagePtr& image) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || image->offset < image_->offset) return;  // stale or late delivery
  }
  // The partitions first, then the image that Metadata answers from: a client told that this
  // broker leads a partition then finds it leading. (Clients treat NOT_LEADER_OR_FOLLOWER as
  // retriable, but some give up after a few quick retries, and a restarted broker takes a few
  // milliseconds per partition to become leader.)
  partitions_->apply(cluster_assignment(*image, node_id_, inter_broker_listener_));
  std::vector<std::shared_ptr<MetadataWaiter>> ready;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || image->offset < image_->offset) return;  // a newer one was published
    image_ = image;
    auto it = std::partition(metadata_waiters_.begin(), metadata_waiters_.end(),
                             [&](const auto& w) { return w->offset > image->offset; });
    ready.assign(it, metadata_waiters_.end());
    metadata_waiters_.erase(it, metadata_waiters_.end());
    update_lease_locked(clock_.monotonic_ms());
  }
  apply_lease();
  // Group coordinators follow the leaderships of __consumer_offsets just applied.
  groups_->on_image(image);
  for (auto& w : ready)
    w->finish(true);
}

void Broker::wait_for_metadata(LogIndex offset, int64_t timeout_ms,
                               std::function<void(bool)> done) {
  auto waiter = std::make_shared<MetadataWaiter>();
  waiter->offset = offset;
  waiter->done = std::move(done);
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || image_->offset >= offset) {
      const bool reached = image_->offset >= offset;
      executor_.post([waiter, reached] { waiter->finish(reached); });
      return;
    }
    // The timer is set before the waiter is published: on_image may finish it (and read
    // `timer`) on another thread as soon as it is in the list.
    waiter->timer = executor_.schedule_after(timeout_ms, [this, waiter] {
      {
        std::lock_guard lock(mutex_);
        std::erase(metadata_waiters_, waiter);
      }
      waiter->finish(false);
    });
    metadata_waiters_.push_back(waiter);
  }
}

bool Broker::wait_until_ready(int64_t timeout_ms) {
  std::unique_lock lock(mutex_);
  return ready_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
    return ready_ || stopping_;
  }) && ready_;
}

bool Broker::is_registered() const {
  std::lock_guard lock(mutex_);
  return registered_;
}

BrokerEpoch Broker::broker_epoch() const {
  std::lock_guard lock(mutex_);
  return broker_epoch_;
}

void Broker::register_with_controller() {
  controller::BrokerRegistrationRequest request;
  request.broker_id = node_id_;
  request.incarnation_id = incarnation_id_;
  request.endpoints = advertised_;
  if (const auto& rack = config_.get("broker.rack"); !rack.empty()) request.rack = rack;
  controller_.register_broker(request, [this](controller::BrokerRegistrationReply reply) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    if (reply.error != ErrorCode::NONE) {
      logger("broker")->warn("[node {}] registration failed: {} {}; retrying", node_id_,
                             error_name(reply.error), reply.message);
      std::lock_guard lock(mutex_);
      heartbeat_timer_ =
          executor_.schedule_after(kRegistrationRetryMs, [this] { register_with_controller(); });
      return;
    }
    logger("broker")->info("[node {}] registered with broker epoch {}", node_id_,
                           reply.broker_epoch);
    {
      std::lock_guard lock(mutex_);
      broker_epoch_ = reply.broker_epoch;
      registered_ = true;
    }
    schedule_heartbeat(0);
  });
}

bool Broker::has_lease() const {
  std::lock_guard lock(mutex_);
  return lease_valid_;
}

void Broker::update_lease_locked(int64_t now_ms) {
  const bool before = lease_valid_;
  if (stopping_ || now_ms >= lease_deadline_ms_) {
    lease_valid_ = false;
  } else if (!lease_valid_) {
    // Regained only once our image holds whatever the controller had decided when it answered.
    lease_valid_ = image_->offset >= lease_metadata_offset_;
  }
  if (before && !lease_valid_ && !stopping_) {
    logger("broker")->warn(
        "[node {}] controller lease expired: no successful heartbeat for "
        "broker.session.timeout.ms; no longer leading",
        node_id_);
  } else if (!before && lease_valid_) {
    logger("broker")->info("[node {}] controller lease held (image at metadata offset {})",
                           node_id_, image_->offset);
  }
}

void Broker::apply_lease() {
  // Serialised and re-read, so the partitions always end up with the latest value.
  std::lock_guard apply(lease_apply_mutex_);
  bool valid = false;
  {
    std::lock_guard lock(mutex_);
    valid = lease_valid_;
  }
  partitions_->set_lease(valid);
}

void Broker::schedule_lease_check(int64_t delay_ms) {
  std::lock_guard lock(mutex_);
  if (stopping_) return;
  if (lease_timer_) lease_timer_->cancel();
  lease_timer_ = executor_.schedule_after(std::max<int64_t>(delay_ms, 0), [this] {
    {
      std::lock_guard lock(mutex_);
      update_lease_locked(clock_.monotonic_ms());
    }
    apply_lease();
  });
}

void Broker::on_heartbeat_reply(const controller::BrokerHeartbeatReply& reply, int64_t sent_ms) {
  const bool ready = !reply.is_fenced && reply.is_caught_up;
  const int64_t session_ms = config_.get_int("broker.session.timeout.ms");
  bool changed = false;
  int64_t expires_in_ms = 0;
  {
    std::lock_guard lock(mutex_);
    changed = ready != ready_;
    ready_ = ready;
    if (reply.is_fenced) {
      lease_deadline_ms_ = INT64_MIN;
    } else {
      lease_deadline_ms_ = std::max(lease_deadline_ms_, sent_ms + session_ms);
      lease_metadata_offset_ = reply.metadata_offset;
    }
    const int64_t now = clock_.monotonic_ms();
    update_lease_locked(now);
    expires_in_ms = lease_deadline_ms_ == INT64_MIN ? -1 : lease_deadline_ms_ - now;
  }
  apply_lease();
  if (expires_in_ms >= 0) schedule_lease_check(expires_in_ms);
  if (!changed) return;
  if (ready) {
    logger("broker")->info("[node {}] unfenced and caught up with the metadata log", node_id_);
    ready_cv_.notify_all();
    partitions_->set_metadata_caught_up(true);
  } else {
    logger("broker")->warn("[node {}] fenced by the controller quorum", node_id_);
  }
}

void Broker::schedule_heartbeat(int64_t delay_ms) {
  std::lock_guard lock(mutex_);
  if (stopping_) return;
  heartbeat_timer_ = executor_.schedule_after(delay_ms, [this] { heartbeat(); });
}

void Broker::heartbeat() {
  controller::BrokerHeartbeatRequest request;
  const int64_t sent_ms = clock_.monotonic_ms();
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    request.broker_id = node_id_;
    request.broker_epoch = broker_epoch_;
    request.current_metadata_offset = image_->offset;
    // Never wait past the lease (a late answer could not extend it anyway), nor past one
    // session when there is none.
    const int64_t session_ms = config_.get_int("broker.session.timeout.ms");
    request.timeout_ms = lease_deadline_ms_ > sent_ms
                             ? std::max<int64_t>(lease_deadline_ms_ - sent_ms, 100)
                             : session_ms;
  }
  controller_.broker_heartbeat(request, [this, sent_ms](controller::BrokerHeartbeatReply reply) {
    const int64_t interval = config_.get_int("broker.heartbeat.interval.ms");
    if (reply.error == ErrorCode::STALE_BROKER_EPOCH ||
        reply.error == ErrorCode::BROKER_ID_NOT_REGISTERED) {
      logger("broker")->warn("[node {}] heartbeat refused ({}): registering again", node_id_,
                             error_name(reply.error));
      {
        std::lock_guard lock(mutex_);
        registered_ = false;
      }
      return register_with_controller();
    }
    if (reply.error != ErrorCode::NONE) {
      logger("broker")->debug("[node {}] heartbeat failed: {} {}", node_id_,
                              error_name(reply.error), reply.message);
    } else {
      on_heartbeat_reply(reply, sent_ms);
    }
    schedule_heartbeat(interval);
  });
}

}  // namespace ferry::broker
