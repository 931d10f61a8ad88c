#include "controller/grpc/remote_api.h"

#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/clock.h"
#include "controller/grpc/convert.h"
#include "controller/grpc/grpc_util.h"
#include "proto/controller.grpc.pb.h"

namespace ferry::controller {

namespace gc = grpc_convert;
using Stub = proto::ControllerService::Stub;

struct RemoteControllerApi::Impl {
  Impl(std::vector<VoterAddress> v, Options o)
      : voters(std::move(v)),
        options(o),
        clock(o.clock != nullptr ? *o.clock : SystemClock::instance()),
        work(boost::asio::make_work_guard(io)) {
    for (const auto& voter : voters)
      stubs.push_back(proto::ControllerService::NewStub(make_channel(voter.address())));
    thread = std::thread([this] { io.run(); });
  }

  std::vector<VoterAddress> voters;
  std::vector<std::unique_ptr<Stub>> stubs;
  Options options;
  Clock& clock;  // deadlines and backoffs (monotonic)
  std::atomic<int32_t> leader{-1};
  std::atomic<size_t> round_robin{0};

  boost::asio::io_context io;  // backoff timers
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work;
  std::thread thread;

  std::mutex mutex;
  std::condition_variable idle;
  bool closed = false;
  size_t outstanding = 0;
  std::set<grpc::ClientContext*> in_flight;

  // The voter to try next: the known leader, else the next one round robin.
  size_t pick() {
    const NodeId hint(leader.load());
    for (size_t i = 0; i < voters.size(); ++i) {
      if (voters[i].id == hint) return i;
    }
    return round_robin++ % voters.size();
  }
};

namespace {

// One logical call with its retries. Lives until its callback has run.
template <typename Req, typename Resp, typename Reply>
struct RemoteCall : std::enable_shared_from_this<RemoteCall<Req, Resp, Reply>> {
  using Invoke = std::function<void(Stub&, grpc::ClientContext*, const Req*, Resp*,
                                    std::function<void(grpc::Status)>)>;
  std::shared_ptr<RemoteControllerApi::Impl> impl;
  Req request;
  Invoke invoke;
  std::function<Reply(const Resp&)> decode;
  std::function<Reply(ErrorCode, const std::string&)> failure;
  Callback<Reply> done;
  int64_t timeout_ms = 0;  // the whole call, retries included
  int64_t deadline_ms = 0;
  int64_t backoff_ms = 0;
  Error last_error{ErrorCode::REQUEST_TIMED_OUT, "no active controller answered in time"};
  std::unique_ptr<grpc::ClientContext> context;
  Resp response;
  size_t target = 0;

  int64_t now_ms() const { return impl->clock.monotonic_ms(); }

  // Callbacks (done, finish) never run under impl->mutex: finish() takes it, and a callback may
  // start another call.
  void start() {
    bool closed = false;
    {
      std::lock_guard lock(impl->mutex);
      closed = impl->closed;
      if (!closed) ++impl->outstanding;
    }
    if (closed) return done(failure(ErrorCode::NOT_CONTROLLER, "the client is shut down"));
    deadline_ms = now_ms() + timeout_ms;
    backoff_ms = impl->options.min_backoff_ms;
    attempt();
  }

  void attempt() {
    auto self = this->shared_from_this();
    target = impl->pick();
    context = std::make_unique<grpc::ClientContext>();
    const int64_t left = std::max<int64_t>(1, deadline_ms - now_ms());
    context->set_deadline(
        std::chrono::system_clock::now() +
        std::chrono::milliseconds(std::min(left, impl->options.attempt_timeout_ms)));
    response.Clear();
    bool closed = false;
    {
      std::lock_guard lock(impl->mutex);
      closed = impl->closed;
      if (!closed) impl->in_flight.insert(context.get());
    }
    if (closed) return finish(failure(ErrorCode::NOT_CONTROLLER, "the client is shut down"));
    invoke(*impl->stubs[target], context.get(), &request, &response,
           [self](grpc::Status status) { self->on_done(std::move(status)); });
  }

  void on_done(grpc::Status status) {
    {
      std::lock_guard lock(impl->mutex);
      impl->in_flight.erase(context.get());
    }
    const VoterAddress& voter = impl->voters[target];
    if (!status.ok()) {
      if (impl->leader.load() == voter.id.value()) impl->leader = -1;
      last_error = grpc_error(status, voter.address());
      return retry_later();
    }
    if (gc::error_code(response.error()) == ErrorCode::NOT_CONTROLLER) {
      const int32_t hint = response.leader().leader_id();
      last_error = Error(ErrorCode::NOT_CONTROLLER, response.error().message());
      if (hint >= 0 && hint != voter.id.value()) {
        impl->leader = hint;
        return attempt();  // straight to the leader it named
      }
      impl->leader = -1;
      return retry_later();
    }
    impl->leader =
        response.leader().leader_id() >= 0 ? response.leader().leader_id() : voter.id.value();
    finish(decode(response));
  }

  void retry_later() {
    if (now_ms() + backoff_ms >= deadline_ms) {
      return finish(failure(last_error.code() == ErrorCode::NOT_CONTROLLER
                                ? ErrorCode::REQUEST_TIMED_OUT
                                : last_error.code(),
                            fmt::format("no active controller answered within {} ms: {}",
                                        timeout_ms, last_error.message())));
    }
    auto timer = std::make_shared<boost::asio::steady_timer>(impl->io);
    timer->expires_after(std::chrono::milliseconds(backoff_ms));
    backoff_ms = std::min<int64_t>(backoff_ms * 2, impl->options.max_backoff_ms);
    auto self = this->shared_from_this();
    timer->async_wait([self, timer](const boost::system::error_code&) { self->attempt(); });
  }

  void finish(Reply reply) {
    done(std::move(reply));
    std::lock_guard lock(impl->mutex);
    if (--impl->outstanding == 0) impl->idle.notify_all();
  }
};

template <typename Req, typename Resp, typename Reply>
void call(const std::shared_ptr<RemoteControllerApi::Impl>& impl, Req request,
          typename RemoteCall<Req, Resp, Reply>::Invoke invoke,
          std::function<Reply(const Resp&)> decode,
          std::function<Reply(ErrorCode, const std::string&)> failure, Callback<Reply> done,
          int64_t timeout_ms = 0) {
  auto c = std::make_shared<RemoteCall<Req, Resp, Reply>>();
  c->impl = impl;
  c->timeout_ms = timeout_ms > 0 ? timeout_ms : impl->options.request_timeout_ms;
  c->request = std::move(request);
  c->invoke = std::move(invoke);
  c->decode = std::move(decode);
  c->failure = std::move(failure);
  c->done = std::move(done);
  c->start();
}

// Failure replies for list results: one per requested item, all with the same error.
template <typename Result, typename Spec>
std::vector<Result> fail_each(const std::vector<Spec>& specs, ErrorCode code,
                              const std::string& message) {
  std::vector<Result> out;
  for (const auto& spec : specs) {
    Result r;
    if constexpr (std::is_same_v<decltype(spec.name), std::optional<std::string>>) {
      r.name = spec.name.value_or("");
      if (spec.id) r.topic_id = *spec.id;
    } else {
      r.name = spec.name;
    }
    if constexpr (requires { r.type; }) r.type = spec.type;
    r.error = code;
    r.message = message;
    out.push_back(std::move(r));
  }
  return out;
}

template <typename Reply>
Reply fail_one(ErrorCode code, const std::string& message) {
  Reply r;
  r.error = code;
  r.message = message;
  return r;
}

}  // namespace

RemoteControllerApi::RemoteControllerApi(std::vector<VoterAddress> voters, Options options)
    : impl_(std::make_shared<Impl>(std::move(voters), options)) {}

RemoteControllerApi::~RemoteControllerApi() {
  shutdown();
}

void RemoteControllerApi::shutdown() {
  {
    std::unique_lock lock(impl_->mutex);
    if (impl_->closed && !impl_->thread.joinable()) return;
    impl_->closed = true;
    for (auto* context : impl_->in_flight)
      context->TryCancel();
    impl_->idle.wait(lock, [&] { return impl_->outstanding == 0; });
  }
  impl_->work.reset();
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

NodeId RemoteControllerApi::active_controller() const {
  return NodeId(impl_->leader.load());
}

void RemoteControllerApi::create_topics(std::vector<CreateTopicSpec> topics, bool validate_only,
                                        Callback<std::vector<CreateTopicResult>> done) {
  using Reply = std::vector<CreateTopicResult>;
  auto request = gc::to_proto(topics, validate_only);
  call<proto::CreateTopicsRequest, proto::CreateTopicsResponse, Reply>(
      impl_, std::move(request),
      [](Stub& s, auto* ctx, auto* req, auto* resp, auto cb) {
        s.async()->CreateTopics(ctx, req, resp, std::move(cb));
      },
      [](const proto::CreateTopicsResponse& r) { return gc::from_proto(r); },
      [topics](ErrorCode code, const std::string& m) {
        return fail_each<CreateTopicResult>(topics, code, m);
      },
      std::move(done));
}

void RemoteControllerApi::delete_topics(std::vector<DeleteTopicSpec> topics,
                                        Callback<std::vector<DeleteTopicResult>> done) {
  using Reply = std::vector<DeleteTopicResult>;
  auto request = gc::to_proto(topics);
  call<proto::DeleteTopicsRequest, proto::DeleteTopicsResponse, Reply>(
      impl_, std::move(request),
      [](Stub& s, auto* ctx, auto* req, auto* resp, auto cb) {
        s.async()->DeleteTopics(ctx, req, resp, std::move(cb));
      },
      [](const proto::DeleteTopicsResponse& r) { return gc::from_proto(r); },
      [topics](ErrorCode code, const std::string& m) {
        return fail_each<DeleteTopicResult>(topics, code, m);
      },
      std::move(done));
}

void RemoteControllerApi::create_partitions(std::vector<CreatePartitionsSpec> topics,
                                            bool validate_only,
                                            Callback<std::vector<CreatePartitionsResult>> done) {
  using Reply = std::vector<CreatePartitionsResult>;
  auto request = gc::to_proto(topics, validate_only);
  call<proto::CreatePartitionsRequest, proto::CreatePartitionsResponse, Reply>(
      impl_, std::move(request),
      [](Stub& s, auto* ctx, auto* req, auto* resp, auto cb) {
        s.async()->CreatePartitions(ctx, req, resp, std::move(cb));
      },
      [](const proto::CreatePartitionsResponse& r) { return gc::from_proto(r); },
      [topics](ErrorCode code, const std::string& m) {
        return fail_each<CreatePartitionsResult>(topics, code, m);
      },
      std::move(done));
}

void RemoteControllerApi::alter_configs(std::vector<AlterConfigsSpec> resources, bool validate_only,
                                        Callback<std::vector<AlterConfigsResult>> done) {
  using Reply = std::vector<AlterConfigsResult>;
  auto request = gc::to_proto(resources, validate_only);
  call<proto::AlterConfigsRequest, proto::AlterConfigsResponse, Reply>(
      impl_, std::move(request),
      [](Stub& s, auto* ctx, auto* req, auto* resp, auto cb) {
        s.async()->AlterConfigs(ctx, req, resp, std::move(cb));
      },
      [](const proto::AlterConfigsResponse& r) { return gc::from_proto(r); },
      [resources](ErrorCode code, const std::string& m) {
        return fail_each<AlterConfigsResult>(resources, code, m);
      },
      std::move(done));
}

void RemoteControllerApi::register_broker(BrokerRegistrationRequest request,
                                          Callback<BrokerRegistrationReply> done) {
  call<proto::RegisterBrokerRequest, proto::RegisterBrokerResponse, BrokerRegistrationReply>(
      impl_, gc::to_proto(request),
      [](Stub& s, auto* ctx, auto* req, auto* resp, auto cb) {
        s.async()->RegisterBroker(ctx, req, resp, std::move(cb));
      },
      [](const proto::RegisterBrokerResponse& r) { return gc::from_proto(r); },
      fail_one<BrokerRegistrationReply>, std::move(done));
}

void RemoteControllerApi::broker_heartbeat(BrokerHeartbeatRequest request,
                                           Callback<BrokerHeartbeatReply> done) {
  // A heartbeat is worth nothing after its broker's lease ran out: it carries its own timeout.
  const int64_t timeout_ms = request.timeout_ms;
  call<proto::BrokerHeartbeatRequest, proto::BrokerHeartbeatResponse, BrokerHeartbeatReply>(
      impl_, gc::to_proto(request),
      [](Stub& s, auto* ctx, auto* req, auto* resp, auto cb) {
        s.async()->BrokerHeartbeat(ctx, req, resp, std::move(cb));
      },
      [](const proto::BrokerHeartbeatResponse& r) { return gc::from_proto(r); },
      fail_one<BrokerHeartbeatReply>, std::move(done), timeout_ms);
}

void RemoteControllerApi::alter_partition(AlterPartitionRequest request,
                                          Callback<AlterPartitionReply> done) {
  call<proto::AlterPartitionRequest, proto::AlterPartitionResponse, AlterPartitionReply>(
      impl_, gc::to_proto(request),
      [](Stub& s, auto* ctx, auto* req, auto* resp, auto cb) {
        s.async()->AlterPartition(ctx, req, resp, std::move(cb));
      },
      [](const proto::AlterPartitionResponse& r) { return gc::from_proto(r); },
      fail_one<AlterPartitionReply>, std::move(done));
}

void RemoteControllerApi::allocate_producer_ids(NodeId broker_id, BrokerEpoch broker_epoch,
                                                Callback<AllocateProducerIdsReply> done) {
  proto::AllocateProducerIdsRequest request;
  request.set_broker_id(broker_id.value());
  request.set_broker_epoch(broker_epoch.value());
  call<proto::AllocateProducerIdsRequest, proto::AllocateProducerIdsResponse,
       AllocateProducerIdsReply>(
      impl_, std::move(request),
      [](Stub& s, auto* ctx, auto* req, auto* resp, auto cb) {
        s.async()->AllocateProducerIds(ctx, req, resp, std::move(cb));
      },
      [](const proto::AllocateProducerIdsResponse& r) { return gc::from_proto(r); },
      fail_one<AllocateProducerIdsReply>, std::move(done));
}

void RemoteControllerApi::describe_quorum(Callback<Result<QuorumDescription>> done) {
  using Reply = Result<QuorumDescription>;
  call<proto::DescribeQuorumRequest, proto::DescribeQuorumResponse, Reply>(
      impl_, proto::DescribeQuorumRequest(),
      [](Stub& s, auto* ctx, auto* req, auto* resp, auto cb) {
        s.async()->DescribeQuorum(ctx, req, resp, std::move(cb));
      },
      [](const proto::DescribeQuorumResponse& r) -> Reply {
        if (gc::error_code(r.error()) != ErrorCode::NONE) {
          return Error(gc::error_code(r.error()), r.error().message());
        }
        return gc::from_proto(r);
      },
      [](ErrorCode code, const std::string& m) -> Reply { return Error(code, m); },
      std::move(done));
}

}  // namespace ferry::controller
