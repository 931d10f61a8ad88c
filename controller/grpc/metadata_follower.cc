#include "controller/grpc/metadata_follower.h"

#include "common/log.h"
#include "controller/grpc/convert.h"
#include "controller/grpc/grpc_util.h"
#include "controller/metadata/state_machine.h"
#include "proto/controller.grpc.pb.h"

namespace ferry::controller {

namespace {
spdlog::logger& log() {
  static const std::shared_ptr<spdlog::logger> logger = ferry::logger("controller");
  return *logger;
}
}  // namespace

struct MetadataFollower::State {
  std::vector<std::unique_ptr<proto::ControllerService::Stub>> stubs;
  metadata::MetadataBuilder builder;
};

MetadataFollower::MetadataFollower(std::vector<VoterAddress> voters, NodeId observer_id,
                                   int64_t max_wait_ms)
    : voters_(std::move(voters)),
      observer_id_(observer_id),
      max_wait_ms_(max_wait_ms),
      state_(std::make_unique<State>()),
      image_(std::make_shared<const metadata::MetadataImage>()) {
  for (const auto& v : voters_) {
    state_->stubs.push_back(proto::ControllerService::NewStub(make_channel(v.address())));
  }
}

MetadataFollower::~MetadataFollower() {
  stop();
}

void MetadataFollower::start() {
  thread_ = std::thread([this] { run(); });
}

void MetadataFollower::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    if (in_flight_ != nullptr) in_flight_->TryCancel();
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

metadata::MetadataImagePtr MetadataFollower::image() const {
  std::lock_guard lock(mutex_);
  return image_;
}

void MetadataFollower::subscribe(std::function<void(const metadata::MetadataImagePtr&)> listener) {
  std::lock_guard lock(mutex_);
  listeners_.push_back(std::move(listener));
}

void MetadataFollower::run() {
  size_t target = 0;
  int64_t backoff_ms = 50;
  while (true) {
    proto::FetchMetadataRequest request;
    request.set_fetch_offset(state_->builder.current().offset.value() + 1);
    request.set_max_wait_ms(static_cast<int32_t>(max_wait_ms_));
    if (observer_id_ != kNoNode) request.set_observer_id(observer_id_.value());
    proto::FetchMetadataResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::milliseconds(max_wait_ms_ + 5000));
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      in_flight_ = &context;
    }
    const grpc::Status status = state_->stubs[target]->FetchMetadata(&context, request, &response);
    {
      std::lock_guard lock(mutex_);
      in_flight_ = nullptr;
      if (stopping_) return;
    }
    const bool ok = status.ok() && grpc_convert::error_code(response.error()) == ErrorCode::NONE;
    if (!ok) {
      target = (target + 1) % voters_.size();
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, std::chrono::milliseconds(backoff_ms), [this] { return stopping_; });
      backoff_ms = std::min<int64_t>(backoff_ms * 2, 1000);
      continue;
    }
    backoff_ms = 50;
    const int32_t leader = response.leader().leader_id();
    leader_ = leader;
    for (size_t i = 0; i < voters_.size(); ++i) {
      if (voters_[i].id == NodeId(leader)) target = i;  // follow the active controller
    }
    if (!response.has_snapshot() && response.entries().empty()) continue;
    if (response.has_snapshot()) {
      auto image = metadata::image_from_snapshot(response.snapshot());
      if (!image.ok()) {
        FERRY_PANIC("metadata snapshot at {} from voter {} is inconsistent: {}",
                    response.snapshot().offset(), voters_[target].id, image.error().to_string());
      }
      state_->builder = metadata::MetadataBuilder(*image);
    }
    for (const auto& entry : response.entries()) {
      const LogIndex offset(entry.offset());
      if (offset <= state_->builder.current().offset) continue;
      if (offset != state_->builder.current().offset + 1) {
        log().warn("metadata follower: voter {} skipped from {} to {}; fetching again",
                   voters_[target].id, state_->builder.current().offset, offset);
        break;
      }
      if (entry.batch().empty()) {
        state_->builder.advance_to(offset);
        continue;
      }
      auto batch = metadata::decode_batch(as_bytes(entry.batch()));
      Status applied = batch.ok() ? state_->builder.apply(offset, *batch) : Status(batch.error());
      if (!applied.ok()) {
        FERRY_PANIC("metadata entry {} cannot be applied: {}", offset, applied.error().to_string());
      }
    }
    (void)state_->builder.take_changes();
    metadata::MetadataImagePtr image = state_->builder.publish();
    std::vector<std::function<void(const metadata::MetadataImagePtr&)>> listeners;
    {
      std::lock_guard lock(mutex_);
      image_ = image;
      listeners = listeners_;
    }
    log().debug("metadata follower: image at offset {} (leader {})", image->offset, leader);
    for (const auto& listener : listeners)
      listener(image);
  }
}

}  // namespace ferry::controller
