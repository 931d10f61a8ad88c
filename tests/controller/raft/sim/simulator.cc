#include "tests/controller/raft/sim/simulator.h"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <set>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/bytes.h"
#include "common/random.h"
#include "controller/raft/raw_node.h"
#include "controller/raft/ready_loop.h"
#include "tests/controller/raft/sim/checker.h"
#include "tests/controller/raft/sim/sim_disk.h"

namespace ferry::raft::sim {

std::string SimResult::summary() const {
  return fmt::format(
      "{} events, {} ms virtual, {} leaders, {} acked, {} reads, {} crashes ({} torn), {} "
      "snapshots installed, {} compactions, commit {}",
      events, virtual_ms, leaders_elected, proposals_acked, reads_served, crashes, torn_writes,
      snapshots_installed, compactions, final_commit);
}

namespace {

// --- State machine image (snapshot data)
// -----------------------------------------------------------

Bytes encode_state(const std::vector<AppliedRecord>& records) {
  Bytes out;
  ByteWriter w(out);
  w.u32(static_cast<uint32_t>(records.size()));
  for (const AppliedRecord& r : records) {
    w.i64(r.index.value());
    w.i64(r.term.value());
    w.u8(static_cast<uint8_t>(r.type));
    w.i64(static_cast<int64_t>(r.data_hash));
  }
  return out;
}

std::vector<AppliedRecord> decode_state(const Bytes& data) {
  std::vector<AppliedRecord> records;
  if (data.empty()) return records;
  ByteReader r{ByteSpan(data)};
  records.resize(r.u32());
  for (AppliedRecord& record : records) {
    record.index = LogIndex(r.i64());
    record.term = Term(r.i64());
    record.type = static_cast<EntryType>(r.u8());
    record.data_hash = static_cast<uint64_t>(r.i64());
  }
  FERRY_ASSERT(r.ok() && r.at_end(), "state machine image does not parse");
  return records;
}

// --- Network
// ---------------------------------------------------------------------------------------

// Which directed links are cut. Loss, duplication and delay are applied per message on top.
class SimNetwork {
 public:
  bool connected(NodeId from, NodeId to) const { return !cut_.count({from, to}); }
  void heal() { cut_.clear(); }
  void cut(NodeId from, NodeId to) { cut_.insert({from, to}); }
  // Symmetric partition into `side` and the rest.
  void split(const std::vector<NodeId>& all, const std::set<NodeId>& side) {
    for (NodeId a : all) {
      for (NodeId b : all) {
        if (side.count(a) != side.count(b)) cut(a, b);
      }
    }
  }
  std::string describe() const {
    std::vector<std::string> links;
    for (const auto& [from, to] : cut_)
      links.push_back(fmt::format("{}->{}", from, to));
    return links.empty() ? "healed" : fmt::format("cut {}", fmt::join(links, " "));
  }

 private:
  std::set<std::pair<NodeId, NodeId>> cut_;
};

// --- The simulator
// ---------------------------------------------------------------------------------

struct Proposal {
  Term term{0};
  uint64_t data_hash = 0;
  int64_t proposed_ms = 0;
};

struct PendingRead {
  LogIndex acked_at_issue{0};
  LogIndex index{0};
  bool answered = false;
};

struct SimNode {
  NodeId id;
  bool up = false;
  uint64_t incarnation = 0;
  SimDisk disk;
  std::unique_ptr<MemoryStorage> storage;
  std::unique_ptr<SeededRandom> random;
  std::unique_ptr<RawNode> raft;
  // The production Ready loop (controller/raft/ready_loop.h) with this node's simulated disk.
  std::unique_ptr<ReadyLoop::Driver> loop_driver;
  std::unique_ptr<ReadyLoop> loop;
  std::optional<Ready> in_flight;  // a copy of the Ready out for persistence (checker's view)
  std::function<void()> persisted;
  std::vector<AppliedRecord> state_machine;  // applied entries, index 1..n
  std::map<LogIndex, Proposal> proposals;    // pending client proposals by index
  std::map<Bytes, PendingRead> reads;        // pending reads by context
};

enum class EventKind : uint8_t {
  kTick,
  kDeliver,
  kPersistDone,
  kRestart,
  kPropose,
  kRead,
  kTransfer,
  kFault,
  kHeal,
};

// What the failure report shows: a line of text or a delivered message.
struct TraceItem {
  int64_t time_ms;
  std::string text;
  std::shared_ptr<const Message> message;
};

struct Event {
  int64_t time_ms;
  uint64_t seq;
  EventKind kind;
  NodeId node;
  uint64_t incarnation;
  std::shared_ptr<const Message> message;
  bool operator>(const Event& other) const {
    return time_ms != other.time_ms ? time_ms > other.time_ms : seq > other.seq;
  }
};

class Simulator {
 public:
  explicit Simulator(const SimOptions& options);
  SimResult run();

 private:
  struct LoopDriver;
  // Scheduling.
  void schedule(int64_t delay_ms, EventKind kind, NodeId node = kNoNode,
                std::shared_ptr<const Message> message = nullptr);
  void dispatch(const Event& event);
  void trace(std::string line);
  void remember(TraceItem item);
  std::string describe_recent() const;
  void fail(std::string message);

  // Nodes and their drivers.
  Config node_config(NodeId id) const;
  void start_node(SimNode& node);
  void crash_node(SimNode& node);
  void drive(SimNode& node);
  void persist(SimNode& node, Ready& ready, std::function<void()> persisted);
  void persist_done(SimNode& node);
  void apply_ready(SimNode& node, const Ready& ready);
  void apply_entry(SimNode& node, const Entry& entry);
  void serve_reads(SimNode& node);
  void maybe_compact(SimNode& node);
  void send(const std::vector<Message>& messages);
  void deliver(const Message& message);
  NodeView view(const SimNode& node, bool with_in_flight = true) const;

  // Workload and faults.
  SimNode* random_up_node();
  SimNode* leader_node();
  void propose();
  void read();
  void transfer();
  void inject_fault();
  void heal();
  bool liveness_reached() const;
  void check_after_event();
  void mix_event_hash(const Event& event);
  void final_checks();

  SimOptions options_;
  SeededRandom rng_;
  std::vector<NodeId> ids_;
  std::map<NodeId, SimNode> nodes_;
  SimNetwork network_;
  InvariantChecker checker_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> queue_;
  int64_t now_ms_ = 0;
  uint64_t seq_ = 0;
  uint64_t proposal_seq_ = 0;
  std::optional<int64_t> healed_at_ms_;
  Config base_config_;
  std::deque<TraceItem> recent_;
  std::optional<LogIndex> heal_ack_index_;
  std::optional<std::string> failure_;
  SimResult result_;
};

Simulator::Simulator(const SimOptions& options) : options_(options), rng_(options.seed) {
  for (int i = 1; i <= options_.nodes; ++i)
    ids_.push_back(NodeId(i));
  base_config_.voters = ids_;
  base_config_.election_timeout_ticks = 10;
  base_config_.heartbeat_ticks = rng_.range(1, 3);
  base_config_.pre_vote = rng_.chance(0.75);
  base_config_.check_quorum = rng_.chance(0.75);
  if (options_.vary_per_seed) {
    const double weather[] = {0.0, 0.5, 1.0, 1.0, 2.0, 3.0};
    const double w = weather[rng_.uniform(6)];
    options_.loss *= w;
    options_.duplicate *= w;
    options_.max_delay_ms = std::max<int64_t>(options_.min_delay_ms + 1,
                                              static_cast<int64_t>(options_.max_delay_ms * w));
    options_.fault_every_ms = rng_.range(options_.fault_every_ms / 2, 2 * options_.fault_every_ms);
  }
  if (options_.pre_vote) base_config_.pre_vote = *options_.pre_vote;
  if (options_.check_quorum) base_config_.check_quorum = *options_.check_quorum;
  base_config_.max_append_entries = static_cast<size_t>(rng_.range(1, 16));
  base_config_.max_inflight_appends = static_cast<size_t>(rng_.range(1, 8));
  base_config_.install_snapshot_timeout_ticks = 30;
  trace(
      fmt::format("config: nodes={} heartbeat={} pre_vote={} check_quorum={} max_entries={} "
                  "max_inflight={} loss={:.3f} dup={:.3f} delay<={}ms faults/{}ms bug={}",
                  options_.nodes, base_config_.heartbeat_ticks, base_config_.pre_vote,
                  base_config_.check_quorum, base_config_.max_append_entries,
                  base_config_.max_inflight_appends, options_.loss, options_.duplicate,
                  options_.max_delay_ms, options_.fault_every_ms, static_cast<int>(options_.bug)));
}

Config Simulator::node_config(NodeId id) const {
  Config config = base_config_;
  config.id = id;
  return config;
}

void Simulator::schedule(int64_t delay_ms, EventKind kind, NodeId node,
                         std::shared_ptr<const Message> message) {
  const uint64_t incarnation = node == kNoNode ? 0 : nodes_.at(node).incarnation;
  queue_.push(Event{now_ms_ + delay_ms, seq_++, kind, node, incarnation, std::move(message)});
}

void Simulator::trace(std::string line) {
  if (options_.trace)
    std::fprintf(stderr, "[%6lld ms] %s\n", static_cast<long long>(now_ms_), line.c_str());
  remember(TraceItem{now_ms_, std::move(line), nullptr});
}

void Simulator::remember(TraceItem item) {
  if (options_.trace && item.message) {
    std::fprintf(stderr, "[%6lld ms] deliver %s\n", static_cast<long long>(item.time_ms),
                 describe(*item.message).c_str());
  }
  recent_.push_back(std::move(item));
  if (recent_.size() > 300) recent_.pop_front();
}

void Simulator::fail(std::string message) {
  if (!failure_) failure_ = std::move(message);
}

// The production ReadyLoop's driver over this simulator's disk, network and state machine.
struct Simulator::LoopDriver final : ReadyLoop::Driver {
  LoopDriver(Simulator& sim, SimNode& node) : sim(sim), node(node) {}
  void persist(Ready& ready, std::function<void()> persisted) override {
    sim.persist(node, ready, std::move(persisted));
  }
  void send(std::vector<Message> messages) override { sim.send(messages); }
  void apply(const Ready& ready) override { sim.apply_ready(node, ready); }
  void advanced(const Ready&) override { sim.maybe_compact(node); }
  Simulator& sim;
  SimNode& node;
};

// --- Node lifecycle
// --------------------------------------------------------------------------------

void Simulator::start_node(SimNode& node) {
  node.storage = node.disk.recover();
  node.random = std::make_unique<SeededRandom>(options_.seed * 7919 + node.id.value() * 104729 +
                                               node.incarnation);
  Result<Snapshot> snapshot = node.storage->snapshot();
  node.state_machine = decode_state(snapshot.ok() ? snapshot->data : Bytes());
  checker_.on_restore(node.id, node.state_machine);
  auto created = RawNode::create(node_config(node.id), *node.storage, *node.random);
  if (!created.ok()) {
    fail(fmt::format("node {} cannot restart: {}", node.id, created.error().to_string()));
    return;
  }
  node.raft = std::move(created).value();
  node.loop_driver = std::make_unique<LoopDriver>(*this, node);
  node.loop = std::make_unique<ReadyLoop>(*node.raft, *node.loop_driver);
  node.up = true;
  checker_.on_restart(node.id, node.raft->status().commit);
  trace(fmt::format("n{} started (incarnation {}): term {} commit {} log [{}, {}]", node.id,
                    node.incarnation, node.raft->term(), node.raft->status().commit,
                    node.storage->first_index(), node.storage->last_index()));
  schedule(rng_.range(1, options_.tick_ms), EventKind::kTick, node.id);
}

void Simulator::crash_node(SimNode& node) {
  const LogIndex synced_commit = node.disk.synced_commit();
  const CrashReport report = node.disk.crash(rng_, options_.torn_chance);
  node.up = false;
  ++node.incarnation;
  node.loop.reset();
  node.loop_driver.reset();
  node.raft.reset();
  node.in_flight.reset();
  node.persisted = nullptr;
  node.proposals.clear();
  node.reads.clear();
  checker_.on_crash(node.id, synced_commit);
  ++result_.crashes;
  if (report.torn) ++result_.torn_writes;
  trace(fmt::format("n{} CRASHED: lost {} unsynced records{}", node.id, report.unsynced_lost,
                    report.torn ? ", tore the last kept one" : ""));
  schedule(rng_.range(20, options_.max_down_ms), EventKind::kRestart, node.id);
}

// --- The driver: the production ReadyLoop over a simulated disk
// ----------------------------------------------

void Simulator::drive(SimNode& node) {
  if (node.up) node.loop->run();
}

// The disk takes the Ready now and finishes within its latency (kPersistDone); the loop sends,
// applies and advances only then.
void Simulator::persist(SimNode& node, Ready& ready, std::function<void()> persisted) {
  checker_.on_ready(view(node, false), ready);
  std::optional<HardState> hard_state = ready.hard_state;
  if (options_.bug == SimBug::kForgetVote && hard_state) hard_state->vote = kNoNode;
  node.disk.write_ready(ready, hard_state);
  if (options_.bug == SimBug::kSendBeforePersist) {
    send(ready.messages);
    ready.messages.clear();
  }
  if (ready.hard_state) ready.hard_state = hard_state;
  node.in_flight = ready;
  node.persisted = std::move(persisted);
  const int64_t latency = rng_.chance(options_.disk_slow_chance)
                              ? rng_.range(options_.disk_max_ms, options_.disk_slow_ms)
                              : rng_.range(0, options_.disk_max_ms);
  schedule(latency, EventKind::kPersistDone, node.id);
}

void Simulator::persist_done(SimNode& node) {
  const Ready& ready = *node.in_flight;
  if (ready.must_sync) node.disk.sync();
  // The driver's view of stable storage now holds this Ready.
  if (ready.snapshot) {
    Status status = node.storage->apply_snapshot(*ready.snapshot);
    if (!status.ok()) fail("storage refused a snapshot: " + status.error().to_string());
  }
  Status appended = node.storage->append(ready.entries);
  if (!appended.ok()) fail("storage refused entries: " + appended.error().to_string());
  if (ready.hard_state) node.storage->set_hard_state(*ready.hard_state);
  node.in_flight.reset();
  auto persisted = std::move(node.persisted);
  node.persisted = nullptr;
  persisted();  // send -> apply -> advance, then the loop goes on
}

void Simulator::apply_ready(SimNode& node, const Ready& ready) {
  if (ready.snapshot) {
    node.state_machine = decode_state(ready.snapshot->data);
    checker_.on_restore(node.id, node.state_machine);
    ++result_.snapshots_installed;
    trace(fmt::format("n{} installed snapshot at {}", node.id, ready.snapshot->metadata.index));
    // Proposals covered by the snapshot can no longer be confirmed here.
    node.proposals.erase(node.proposals.begin(),
                         node.proposals.upper_bound(ready.snapshot->metadata.index));
  }
  for (const Entry& entry : ready.committed_entries)
    apply_entry(node, entry);
  for (const ReadState& rs : ready.read_states) {
    auto it = node.reads.find(rs.request_context);
    if (it == node.reads.end()) continue;
    it->second.index = rs.index;
    it->second.answered = true;
  }
  serve_reads(node);
}

void Simulator::apply_entry(SimNode& node, const Entry& entry) {
  node.state_machine.push_back(applied_record(entry));
  checker_.on_apply(node.id, node.raft->term(), entry);
  auto it = node.proposals.find(entry.index);
  if (it == node.proposals.end()) return;
  if (it->second.term == entry.term) {
    checker_.on_acknowledged(entry.id(), it->second.data_hash);
    ++result_.proposals_acked;
    if (healed_at_ms_ && it->second.proposed_ms >= *healed_at_ms_ && !heal_ack_index_) {
      heal_ack_index_ = entry.index;
    }
  }
  node.proposals.erase(it);
}

void Simulator::serve_reads(SimNode& node) {
  const LogIndex applied(static_cast<int64_t>(node.state_machine.size()));
  for (auto it = node.reads.begin(); it != node.reads.end();) {
    if (it->second.answered && it->second.index <= applied) {
      checker_.on_read_served(node.id, it->second.index, it->second.acked_at_issue);
      ++result_.reads_served;
      it = node.reads.erase(it);
    } else {
      ++it;
    }
  }
}

void Simulator::maybe_compact(SimNode& node) {
  const LogIndex applied(static_cast<int64_t>(node.state_machine.size()));
  if (applied - (node.storage->first_index() - 1) < options_.compact_after_entries) return;
  Result<SnapshotMetadata> meta = node.raft->snapshot_metadata(applied);
  if (meta.code() == kCompactedError) return;  // a leader's snapshot is about to replace the log
  if (!meta.ok()) {
    fail(fmt::format("n{}: no snapshot metadata at applied {}: {}", node.id, applied,
                     meta.error().to_string()));
    return;
  }
  Result<Snapshot> snapshot =
      node.storage->create_snapshot(applied, meta->conf_state, encode_state(node.state_machine));
  if (!snapshot.ok()) return;  // the snapshot is already at this index
  // Keep a few entries so that slightly lagging followers catch up from the log.
  const LogIndex compact_index = applied - rng_.range(0, 5);
  if (!node.storage->compact(compact_index).ok()) fail("compaction refused");
  node.disk.write_compaction(*snapshot, compact_index);
  ++result_.compactions;
  trace(fmt::format("n{} snapshot at {}, log now starts at {}", node.id, applied,
                    node.storage->first_index()));
}

NodeView Simulator::view(const SimNode& node, bool with_in_flight) const {
  NodeView v;
  v.id = node.id;
  v.role = node.raft->role();
  v.term = node.raft->term();
  v.commit = node.raft->status().commit;
  v.storage = node.storage.get();
  v.in_flight = with_in_flight && node.in_flight ? &*node.in_flight : nullptr;
  return v;
}

// --- Network
// ---------------------------------------------------------------------------------------

void Simulator::send(const std::vector<Message>& messages) {
  for (const Message& m : messages) {
    if (!network_.connected(m.from, m.to) || rng_.chance(options_.loss)) continue;
    const int copies = rng_.chance(options_.duplicate) ? 2 : 1;
    auto shared = std::make_shared<const Message>(m);
    for (int c = 0; c < copies; ++c) {
      const int64_t delay = rng_.chance(options_.slow_chance)
                                ? rng_.range(options_.max_delay_ms, options_.slow_delay_ms)
                                : rng_.range(options_.min_delay_ms, options_.max_delay_ms);
      schedule(delay, EventKind::kDeliver, kNoNode, shared);
    }
  }
}

void Simulator::deliver(const Message& m) {
  SimNode& node = nodes_.at(m.to);
  if (!node.up || !network_.connected(m.from, m.to)) return;
  Status status = node.raft->step(m);
  if (!status.ok()) {
    fail(fmt::format("n{} refused a message from a correct peer ({}): {}", node.id, describe(m),
                     status.error().to_string()));
  }
  drive(node);
}

// --- Workload and faults
// ---------------------------------------------------------------------------

SimNode* Simulator::random_up_node() {
  std::vector<SimNode*> up;
  for (auto& [id, node] : nodes_) {
    if (node.up) up.push_back(&node);
  }
  return up.empty() ? nullptr : up[rng_.uniform(up.size())];
}

SimNode* Simulator::leader_node() {
  SimNode* best = nullptr;
  for (auto& [id, node] : nodes_) {
    if (node.up && node.raft->role() == Role::kLeader &&
        (best == nullptr || node.raft->term() > best->raft->term())) {
      best = &node;
    }
  }
  return best;
}

void Simulator::propose() {
  schedule(rng_.range(1, 2 * options_.propose_every_ms), EventKind::kPropose);
  SimNode* node = random_up_node();
  if (node == nullptr) return;
  const std::string text = fmt::format("p{}", ++proposal_seq_);
  const Bytes data(text.begin(), text.end());
  Result<EntryId> id = node->raft->propose(data);
  if (!id.ok() && node->raft->leader() != kNoNode && node->raft->leader() != node->id) {
    SimNode& leader = nodes_.at(node->raft->leader());  // the client follows the redirect
    if (!leader.up) return;
    node = &leader;
    id = node->raft->propose(data);
  }
  if (!id.ok()) return;
  const Proposal proposal{id->term, hash_bytes(data), now_ms_};
  if (options_.bug == SimBug::kAckBeforeCommit) {
    checker_.on_acknowledged(*id, proposal.data_hash);
    ++result_.proposals_acked;
  } else {
    node->proposals[id->index] = proposal;
  }
  trace(fmt::format("n{} proposed {} at (t={} i={})", node->id, text, id->term, id->index));
  drive(*node);
}

void Simulator::read() {
  schedule(rng_.range(1, 2 * options_.read_every_ms), EventKind::kRead);
  SimNode* node = random_up_node();
  if (node == nullptr) return;
  const std::string text = fmt::format("r{}", ++proposal_seq_);
  Bytes context(text.begin(), text.end());
  if (!node->raft->read_index(context).ok()) return;
  node->reads[context] = PendingRead{checker_.max_acknowledged_index(), LogIndex(0), false};
  drive(*node);
}

void Simulator::transfer() {
  schedule(rng_.range(1, 2 * options_.transfer_every_ms), EventKind::kTransfer);
  SimNode* leader = leader_node();
  if (leader == nullptr || healed_at_ms_) return;
  const NodeId target = ids_[rng_.uniform(ids_.size())];
  trace(fmt::format("n{} asked to transfer leadership to n{}", leader->id, target));
  ignore_error(leader->raft->transfer_leadership(target));
  drive(*leader);
}

void Simulator::inject_fault() {
  if (healed_at_ms_) return;
  schedule(rng_.range(options_.fault_every_ms / 2, 3 * options_.fault_every_ms / 2),
           EventKind::kFault);
  // Half of the targeted faults hit the leader (Jepsen's "kill / partition the primary"): that
  // is what leaves divergent uncommitted tails behind.
  SimNode* leader = leader_node();
  const bool at_leader = leader != nullptr && rng_.chance(0.5);
  if (rng_.chance(options_.crash_share)) {
    if (SimNode* node = at_leader ? leader : random_up_node()) crash_node(*node);
    return;
  }
  const double pick = rng_.next_double();
  network_.heal();
  if (pick < 0.25) {
    // stays healed
  } else if (pick < 0.5) {
    std::set<NodeId> side;
    for (NodeId id : ids_) {
      if (rng_.chance(0.5)) side.insert(id);
    }
    network_.split(ids_, side);
  } else if (pick < 0.8) {
    network_.split(ids_, {at_leader ? leader->id : ids_[rng_.uniform(ids_.size())]});
  } else {
    for (int64_t k = rng_.range(1, 3); k > 0; --k) {  // asymmetric: one-way links
      const NodeId from = ids_[rng_.uniform(ids_.size())];
      const NodeId to = ids_[rng_.uniform(ids_.size())];
      if (from != to) network_.cut(from, to);
    }
  }
  trace("network " + network_.describe());
}

void Simulator::heal() {
  healed_at_ms_ = now_ms_;
  network_.heal();
  options_.loss = 0;
  options_.duplicate = 0;
  options_.slow_chance = 0;
  trace("HEAL: network healed, crashed nodes restart");
  for (auto& [id, node] : nodes_) {
    if (!node.up) start_node(node);
  }
}

bool Simulator::liveness_reached() const {
  // A proposal made after the heal was acknowledged, and every node has applied it.
  if (!heal_ack_index_) return false;
  for (const auto& [id, node] : nodes_) {
    if (!node.up || LogIndex(static_cast<int64_t>(node.state_machine.size())) < *heal_ack_index_) {
      return false;
    }
  }
  return true;
}

// --- Main loop
// -------------------------------------------------------------------------------------

void Simulator::dispatch(const Event& event) {
  SimNode* node = event.node == kNoNode ? nullptr : &nodes_.at(event.node);
  const bool current = node != nullptr && node->up && node->incarnation == event.incarnation;
  switch (event.kind) {
    case EventKind::kTick:
      if (!current) return;
      node->raft->tick();
      drive(*node);
      schedule(options_.tick_ms, EventKind::kTick, node->id);
      return;
    case EventKind::kDeliver:
      deliver(*event.message);
      return;
    case EventKind::kPersistDone:
      if (current && node->in_flight) persist_done(*node);
      return;
    case EventKind::kRestart:
      if (!node->up) start_node(*node);
      return;
    case EventKind::kPropose:
      propose();
      return;
    case EventKind::kRead:
      read();
      return;
    case EventKind::kTransfer:
      transfer();
      return;
    case EventKind::kFault:
      inject_fault();
      return;
    case EventKind::kHeal:
      heal();
      return;
  }
}

void Simulator::mix_event_hash(const Event& event) {
  auto mix = [this](int64_t value) {
    result_.event_hash = (result_.event_hash ^ static_cast<uint64_t>(value)) * 0x100000001b3ULL;
  };
  mix(event.time_ms);
  mix(static_cast<int64_t>(event.kind));
  mix(event.node.value());
  if (const Message* m = event.message.get()) {
    mix(static_cast<int64_t>(m->type));
    mix(m->from.value());
    mix(m->to.value());
    mix(m->term.value());
    mix(m->index.value());
    mix(static_cast<int64_t>(m->entries.size()));
  }
}

void Simulator::check_after_event() {
  std::vector<NodeView> views;
  for (const auto& [id, node] : nodes_) {
    if (node.up) views.push_back(view(node));
  }
  checker_.after_event(views);
  if (result_.events % 97 == 0) checker_.check_logs(views);
}

void Simulator::final_checks() {
  std::vector<NodeView> views;
  for (const auto& [id, node] : nodes_)
    views.push_back(view(node));
  checker_.check_logs(views);
  checker_.check_acknowledged_durable(*heal_ack_index_);
}

std::string Simulator::describe_recent() const {
  std::string out;
  for (const TraceItem& item : recent_) {
    out += fmt::format("  [{:>6}ms] ", item.time_ms);
    if (item.message) {
      out += "deliver " + describe(*item.message);
    } else {
      out += item.text;
    }
    out += "\n";
  }
  return out;
}

SimResult Simulator::run() {
  for (NodeId id : ids_)
    nodes_[id].id = id;
  for (auto& [id, node] : nodes_)
    start_node(node);
  schedule(0, EventKind::kPropose);
  schedule(0, EventKind::kRead);
  schedule(options_.transfer_every_ms, EventKind::kTransfer);
  schedule(options_.fault_every_ms, EventKind::kFault);
  schedule(options_.chaos_ms, EventKind::kHeal);
  while (!queue_.empty() && !failure_ && checker_.ok()) {
    const Event event = queue_.top();
    queue_.pop();
    now_ms_ = event.time_ms;
    ++result_.events;
    mix_event_hash(event);
    if (event.kind == EventKind::kDeliver) {
      remember(TraceItem{now_ms_, {}, event.message});
    }
    dispatch(event);
    check_after_event();
    if (healed_at_ms_ && checker_.ok() && !failure_ && liveness_reached()) {
      final_checks();
      break;
    }
    if (healed_at_ms_ && now_ms_ > *healed_at_ms_ + options_.heal_timeout_ms) {
      fail(
          fmt::format("liveness: {} ms after the heal there is no leader that committed a new "
                      "proposal on every node (leader: {})",
                      options_.heal_timeout_ms,
                      leader_node() ? fmt::format("n{}", leader_node()->id) : "none"));
    }
  }
  if (!checker_.ok()) fail(checker_.violation());
  result_.virtual_ms = now_ms_;
  result_.leaders_elected = checker_.leaders_elected();
  result_.final_commit = checker_.highest_committed().value();
  if (failure_) {
    result_.ok = false;
    result_.failure = *failure_ + "\nlast events:\n" + describe_recent();
  }
  return result_;
}

}  // namespace

SimResult run_simulation(const SimOptions& options) {
  return Simulator(options).run();
}

}  // namespace ferry::raft::sim
