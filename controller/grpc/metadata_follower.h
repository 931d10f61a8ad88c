// MetadataFollower: a pure broker's view of the metadata log. It follows the committed log as an
// observer with long-poll FetchMetadata calls (from its image offset + 1), applies the records
// with the same state machine the voters use, and publishes a new MetadataImage per fetched
// batch. When the answering voter has compacted the entries it needs, the answer carries the
// snapshot first, which replaces the image.
//
// It prefers the active controller (freshest data; every answer names the leader) and moves to
// the next voter when one does not answer, with a backoff of 50 ms doubling to 1 s.
//
// Threading: one thread of its own runs the fetch loop; listeners run on it, in offset order,
// and must not block. image() and subscribe() are thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "controller/controller_api.h"
#include "controller/quorum/options.h"

namespace grpc {
class ClientContext;
}

namespace ferry::controller {

class MetadataFollower final : public MetadataSource {
 public:
  // `observer_id`: this broker's node id, reported to the leader for describe-quorum (kNoNode
  // for none).
  explicit MetadataFollower(std::vector<VoterAddress> voters, NodeId observer_id = kNoNode,
                            int64_t max_wait_ms = 500);
  ~MetadataFollower() override;

  void start();
  // Ends the fetch loop (cancelling a poll in flight). Idempotent.
  void stop();

  metadata::MetadataImagePtr image() const override;
  void subscribe(std::function<void(const metadata::MetadataImagePtr&)> listener) override;
  // The active controller as the last answer named it (kNoNode when unknown).
  NodeId leader_hint() const { return NodeId(leader_.load()); }

 private:
  struct State;
  void run();

  std::vector<VoterAddress> voters_;
  NodeId observer_id_;
  int64_t max_wait_ms_;
  std::unique_ptr<State> state_;
  std::atomic<int32_t> leader_{-1};
  std::thread thread_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  grpc::ClientContext* in_flight_ = nullptr;
  metadata::MetadataImagePtr image_;
  std::vector<std::function<void(const metadata::MetadataImagePtr&)>> listeners_;
};

}  // namespace ferry::controller
