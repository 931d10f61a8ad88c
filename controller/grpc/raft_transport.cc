#include "controller/grpc/raft_transport.h"

#include <condition_variable>

#include "common/log.h"
#include "controller/grpc/convert.h"
#include "controller/grpc/grpc_util.h"
#include "proto/controller.grpc.pb.h"

namespace ferry::controller {

namespace {
constexpr size_t kMaxQueuedMessages = 4096;
constexpr size_t kMaxBatchBytes = 8 << 20;
}  // namespace

struct GrpcRaftTransport::Peer {
  NodeId id;
  std::string address;
  std::unique_ptr<proto::RaftService::Stub> stub;
  std::mutex mutex;
  std::condition_variable idle;
  std::deque<raft::Message> queue;
  bool in_flight = false;
  bool closed = false;
  uint64_t dropped = 0;
  uint64_t incarnation = 0;  // of the peer process, from its last ack (0: none yet)
};

GrpcRaftTransport::GrpcRaftTransport(NodeId self, const std::vector<VoterAddress>& voters,
                                     int64_t election_timeout_ms)
    : self_(self), call_timeout_ms_(std::max<int64_t>(3 * election_timeout_ms, 1000)) {
  for (const auto& v : voters) {
    if (v.id == self) continue;
    auto peer = std::make_shared<Peer>();
    peer->id = v.id;
    peer->address = v.address();
    peer->stub = proto::RaftService::NewStub(make_channel(peer->address));
    peers_.emplace(v.id, std::move(peer));
  }
}

GrpcRaftTransport::~GrpcRaftTransport() {
  shutdown();
}

void GrpcRaftTransport::shutdown() {
  for (auto& [id, peer] : peers_) {
    std::unique_lock lock(peer->mutex);
    peer->closed = true;
    peer->queue.clear();
    peer->idle.wait(lock, [&] { return !peer->in_flight; });
  }
}

void GrpcRaftTransport::send(std::vector<raft::Message> messages) {
  for (auto& m : messages) {
    auto it = peers_.find(m.to);
    if (it == peers_.end()) continue;  // not a voter we know: Raft never addresses one
    const auto& peer = it->second;
    std::lock_guard lock(peer->mutex);
    if (peer->closed) continue;
    peer->queue.push_back(std::move(m));
    while (peer->queue.size() > kMaxQueuedMessages) {
      peer->queue.pop_front();
      if (++peer->dropped % 1000 == 1) {
        logger("controller")
            ->warn("raft transport: dropping messages to {} (queue full)", peer->id);
      }
    }
    if (!peer->in_flight) start_call(peer);
  }
}

void GrpcRaftTransport::start_call(const std::shared_ptr<Peer>& peer) {
  struct Call {
    grpc::ClientContext context;
    proto::RaftMessages request;
    proto::RaftAck response;
    bool has_snapshot = false;
  };
  auto call = std::make_shared<Call>();
  size_t bytes = 0;
  while (!peer->queue.empty() && (bytes < kMaxBatchBytes || call->request.messages_size() == 0)) {
    raft::Message& m = peer->queue.front();
    call->has_snapshot = call->has_snapshot || m.snapshot.has_value();
    auto* pm = call->request.add_messages();
    grpc_convert::to_proto(m, pm);
    bytes += pm->ByteSizeLong();
    peer->queue.pop_front();
  }
  if (call->request.messages_size() == 0) return;
  peer->in_flight = true;
  call->context.set_deadline(std::chrono::system_clock::now() +
                             std::chrono::milliseconds(call_timeout_ms_));
  peer->stub->async()->Send(
      &call->context, &call->request, &call->response, [this, peer, call](grpc::Status status) {
        on_call_done(peer, call->response.incarnation(), call->has_snapshot, status.ok());
      });
}

void GrpcRaftTransport::on_call_done(const std::shared_ptr<Peer>& peer, uint64_t incarnation,
                                     bool had_snapshot, bool ok) {
  bool restarted = false;
  {
    std::lock_guard lock(peer->mutex);
    if (ok && incarnation != 0) {
      restarted = peer->incarnation != 0 && peer->incarnation != incarnation;
      peer->incarnation = incarnation;
    }
  }
  if (restarted) {
    logger("controller")
        ->info("raft transport: voter {} restarted; probing its log again", peer->id);
  }
  if (QuorumController* controller = controller_) {
    if (!ok || restarted) controller->report_unreachable(peer->id);
    if (had_snapshot) controller->report_snapshot(peer->id, ok);
  }
  std::lock_guard lock(peer->mutex);
  peer->in_flight = false;
  if (!peer->closed && !peer->queue.empty()) start_call(peer);
  if (!peer->in_flight) peer->idle.notify_all();
}

}  // namespace ferry::controller
