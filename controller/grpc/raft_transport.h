// GrpcRaftTransport: sends Raft messages to the other voters over RaftService.Send.
//
// One queue per peer with at most one call in flight: messages queued while a call is out go
// in the next call, so a busy leader batches naturally and messages to one peer stay in order.
// Delivery is best effort (Raft resends on its own): a full queue drops its oldest messages; a
// failed call drops its batch and reports the peer unreachable, and a snapshot in it as not
// delivered, so the leader falls back to probing. Calls have a deadline of a few election
// timeouts (a snapshot may be large), so a dead peer never blocks its queue for long. Every ack
// carries the receiving process's incarnation; when it changes the peer restarted (possibly
// with a lost log) and is reported unreachable too, so the leader re-probes its log rather than
// trusting its old match index.
//
// Thread-safety: send() may be called from any thread (the driver calls it on its strand);
// completions run on gRPC's callback threads and only post feedback to the QuorumController.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "controller/quorum/options.h"
#include "controller/quorum/quorum_controller.h"

namespace ferry::controller {

class GrpcRaftTransport final : public RaftTransport {
 public:
  GrpcRaftTransport(NodeId self, const std::vector<VoterAddress>& voters,
                    int64_t election_timeout_ms);
  ~GrpcRaftTransport() override;

  // Where delivery feedback goes. Set once before the controller starts.
  void set_controller(QuorumController* controller) { controller_ = controller; }
  void send(std::vector<raft::Message> messages) override;
  // Drops queued messages and waits for calls in flight to finish. Idempotent.
  void shutdown();

 private:
  struct Peer;
  void start_call(const std::shared_ptr<Peer>& peer);  // with peer->mutex held
  void on_call_done(const std::shared_ptr<Peer>& peer, uint64_t incarnation, bool had_snapshot,
                    bool ok);

  NodeId self_;
  int64_t call_timeout_ms_;
  QuorumController* controller_ = nullptr;
  std::map<NodeId, std::shared_ptr<Peer>> peers_;
};

}  // namespace ferry::controller
