// Test harness: N QuorumControllers in one process, each with its own RocksDB directory, joined
// by an in-memory network (LoopbackNetwork) that can cut a node off. Real clocks and real
// threads, short timeouts (tick 30 ms, election 300 ms); every wait is bounded.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "controller/quorum/quorum_controller.h"
#include "tests/support/temp_dir.h"

namespace ferry::controller::test {

// Polls `condition` every 5 ms until it holds or `timeout_ms` passes.
inline bool wait_until(const std::function<bool()>& condition, int64_t timeout_ms = 10000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

// Calls `start(callback)` and waits (bounded) for the callback's value.
template <typename T>
T await(const std::function<void(std::function<void(T)>)>& start, int64_t timeout_ms = 20000) {
  auto promise = std::make_shared<std::promise<T>>();
  auto future = promise->get_future();
  start([promise](T value) { promise->set_value(std::move(value)); });
  if (future.wait_for(std::chrono::milliseconds(timeout_ms)) != std::future_status::ready) {
    ADD_FAILURE() << "no answer within " << timeout_ms << " ms";
    std::abort();  // the callback may still fire later into freed state: stop here
  }
  return future.get();
}

class LoopbackNetwork {
 public:
  void attach(NodeId id, QuorumController* controller) {
    std::lock_guard lock(mutex_);
    nodes_[id] = controller;
  }
  void detach(NodeId id) {
    std::lock_guard lock(mutex_);
    nodes_.erase(id);
  }
  // A cut-off node neither sends nor receives.
  void cut(NodeId id) {
    std::lock_guard lock(mutex_);
    cut_.insert(id);
  }
  void heal(NodeId id) {
    std::lock_guard lock(mutex_);
    cut_.erase(id);
  }
  void deliver(std::vector<raft::Message> messages) {
    std::map<NodeId, std::vector<raft::Message>> by_target;
    std::lock_guard lock(mutex_);
    for (auto& m : messages) {
      if (cut_.contains(m.from) || cut_.contains(m.to) || !nodes_.contains(m.to)) continue;
      if (m.type == raft::MessageType::kInstallSnapshot && nodes_.contains(m.from)) {
        nodes_[m.from]->report_snapshot(m.to, true);
      }
      by_target[m.to].push_back(std::move(m));
    }
    for (auto& [to, batch] : by_target)
      nodes_[to]->receive(std::move(batch));
  }

 private:
  std::mutex mutex_;
  std::map<NodeId, QuorumController*> nodes_;
  std::set<NodeId> cut_;
};

class LoopbackTransport final : public RaftTransport {
 public:
  explicit LoopbackTransport(LoopbackNetwork& network) : network_(network) {}
  void send(std::vector<raft::Message> messages) override { network_.deliver(std::move(messages)); }

 private:
  LoopbackNetwork& network_;
};

class QuorumCluster;

// A ControllerApi for tests that always reaches the current leader: a call that answers
// NOT_CONTROLLER (this voter lost or never had leadership, so the change is known not to be in
// the log) is repeated at the leader of the moment, as LocalControllerApi forwards in ferryd.
// Blocking: the callback runs on the calling thread before the method returns.
class LeaderApi final : public ControllerApi {
 public:
  explicit LeaderApi(QuorumCluster& cluster) : cluster_(cluster) {}
  void create_topics(std::vector<CreateTopicSpec> topics, bool validate_only,
                     Callback<std::vector<CreateTopicResult>> done) override {
    route<std::vector<CreateTopicResult>>(
        [&](QuorumController& c, auto cb) { c.create_topics(topics, validate_only, cb); }, done);
  }
  void delete_topics(std::vector<DeleteTopicSpec> topics,
                     Callback<std::vector<DeleteTopicResult>> done) override {
    route<std::vector<DeleteTopicResult>>(
        [&](QuorumController& c, auto cb) { c.delete_topics(topics, cb); }, done);
  }
  void create_partitions(std::vector<CreatePartitionsSpec> topics, bool validate_only,
                         Callback<std::vector<CreatePartitionsResult>> done) override {
    route<std::vector<CreatePartitionsResult>>(
        [&](QuorumController& c, auto cb) { c.create_partitions(topics, validate_only, cb); },
        done);
  }
  void alter_configs(std::vector<AlterConfigsSpec> resources, bool validate_only,
                     Callback<std::vector<AlterConfigsResult>> done) override {
    route<std::vector<AlterConfigsResult>>(
        [&](QuorumController& c, auto cb) { c.alter_configs(resources, validate_only, cb); }, done);
  }
  void register_broker(BrokerRegistrationRequest request,
                       Callback<BrokerRegistrationReply> done) override {
    route<BrokerRegistrationReply>(
        [&](QuorumController& c, auto cb) { c.register_broker(request, cb); }, done);
  }
  void broker_heartbeat(BrokerHeartbeatRequest request,
                        Callback<BrokerHeartbeatReply> done) override {
    route<BrokerHeartbeatReply>(
        [&](QuorumController& c, auto cb) { c.broker_heartbeat(request, cb); }, done);
  }
  void alter_partition(AlterPartitionRequest request, Callback<AlterPartitionReply> done) override {
    route<AlterPartitionReply>(
        [&](QuorumController& c, auto cb) { c.alter_partition(request, cb); }, done);
  }
  NodeId active_controller() const override;

 private:
  template <typename Reply>
  static bool not_controller(const Reply& r) {
    if constexpr (requires { r.error; }) {
      return r.error == ErrorCode::NOT_CONTROLLER;
    } else {
      for (const auto& item : r) {
        if (item.error == ErrorCode::NOT_CONTROLLER) return true;
      }
      return false;
    }
  }
  template <typename Reply>
  void route(const std::function<void(QuorumController&, Callback<Reply>)>& call,
             const Callback<Reply>& done);

  QuorumCluster& cluster_;
};

class QuorumCluster {
 public:
  explicit QuorumCluster(int voters, std::function<void(QuorumOptions&)> tweak = {})
      : tweak_(std::move(tweak)), seed_(pick_seed()) {
    // Real threads and clocks make a run unrepeatable, but the seed still fixes each voter's
    // election timeouts and generated ids; FERRY_SEED=<n> sets it.
    std::fprintf(stderr, "QuorumCluster FERRY_SEED=%llu (voter n uses seed + n)\n",
                 static_cast<unsigned long long>(seed_));
    for (int i = 1; i <= voters; ++i) {
      voters_.push_back(VoterAddress{NodeId(i), "127.0.0.1", 20000 + i});
      dirs_.emplace(NodeId(i), std::make_unique<ferry::test::TempDir>());
    }
  }
  ~QuorumCluster() {
    for (auto& [id, node] : nodes_)
      stop_node(id, node);
  }

  void start(int id) {
    QuorumOptions o;
    o.node_id = NodeId(id);
    o.voters = voters_;
    o.metadata_dir = (dirs_.at(NodeId(id))->path() / "meta").string();
    o.tick_ms = 30;
    o.election_timeout_ticks = 10;
    o.election_timeout_ms = 300;
    o.request_timeout_ms = 10000;
    o.seed = seed_ + static_cast<uint64_t>(id);
    if (tweak_) tweak_(o);
    auto store = MetadataStore::open(o.metadata_dir, o.node_id);
    ASSERT_TRUE(store.ok()) << store.error().to_string();
    auto node = std::make_unique<Node>(network_);
    node->controller = std::make_unique<QuorumController>(o, std::move(store).value(),
                                                          node->transport, SystemClock::instance());
    network_.attach(NodeId(id), node->controller.get());
    ASSERT_TRUE(node->controller->start().ok());
    nodes_[NodeId(id)] = std::move(node);
  }
  void start_all() {
    for (const auto& v : voters_)
      start(v.id.value());
  }
  // Stops a node abruptly (no leadership transfer): like a crash, minus losing unsynced writes.
  void kill(int id) {
    auto it = nodes_.find(NodeId(id));
    ASSERT_NE(it, nodes_.end());
    stop_node(it->first, it->second);
    nodes_.erase(it);
  }
  // Stops a node as SIGTERM does: a leader first hands leadership over, still connected, so it
  // hears its successor. True when the hand-over happened.
  bool stop_gracefully(int id) {
    auto it = nodes_.find(NodeId(id));
    if (it == nodes_.end()) return false;
    const bool handed_over = it->second->controller->stop(/*transfer=*/true);
    stop_node(it->first, it->second);
    nodes_.erase(it);
    return handed_over;
  }
  void wipe(int id) { dirs_[NodeId(id)] = std::make_unique<ferry::test::TempDir>(); }
  QuorumController& node(int id) { return *nodes_.at(NodeId(id))->controller; }
  // Routes every call to the current leader (see LeaderApi).
  ControllerApi& leader_api() { return leader_api_; }
  bool running(int id) const { return nodes_.contains(NodeId(id)); }
  LoopbackNetwork& network() { return network_; }

  // The node that is the active controller (serves describe_quorum), waiting up to timeout.
  int wait_for_leader(int64_t timeout_ms = 10000) {
    int leader = -1;
    wait_until(
        [&] {
          for (auto& [id, n] : nodes_) {
            auto d = await<Result<QuorumDescription>>(
                [&](auto cb) { n->controller->describe_quorum(cb); });
            if (d.ok()) {
              leader = id.value();
              return true;
            }
          }
          return false;
        },
        timeout_ms);
    return leader;
  }

 private:
  struct Node {
    explicit Node(LoopbackNetwork& network) : transport(network) {}
    LoopbackTransport transport;
    std::unique_ptr<QuorumController> controller;
  };
  void stop_node(NodeId id, std::unique_ptr<Node>& node) {
    network_.detach(id);
    node->controller->stop(false);
  }

  static uint64_t pick_seed() {
    if (const char* env = std::getenv("FERRY_SEED"); env != nullptr && *env != '\0') {
      return std::strtoull(env, nullptr, 10);
    }
    std::random_device device;
    return (uint64_t{device()} << 32) ^ device();
  }

  std::function<void(QuorumOptions&)> tweak_;
  uint64_t seed_;
  std::vector<VoterAddress> voters_;
  std::map<NodeId, std::unique_ptr<ferry::test::TempDir>> dirs_;
  LoopbackNetwork network_;
  std::map<NodeId, std::unique_ptr<Node>> nodes_;
  LeaderApi leader_api_{*this};
};

template <typename Reply>
void LeaderApi::route(const std::function<void(QuorumController&, Callback<Reply>)>& call,
                      const Callback<Reply>& done) {
  Reply reply{};
  for (int attempt = 0; attempt < 20; ++attempt) {
    const int leader = cluster_.wait_for_leader();
    if (leader < 0) continue;
    reply = await<Reply>([&](auto cb) { call(cluster_.node(leader), cb); });
    if (!not_controller(reply)) break;
  }
  done(std::move(reply));
}

inline NodeId LeaderApi::active_controller() const {
  return NodeId(cluster_.wait_for_leader());
}

}  // namespace ferry::controller::test
