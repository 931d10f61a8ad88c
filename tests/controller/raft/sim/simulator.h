// A deterministic, event-driven simulation of a Raft controller quorum (TigerBeetle VOPR /
// Kafka RaftEventSimulationTest style). Everything comes from one seed: N RawNodes, each with a
// driver that follows the raw_node.h contract over a SimDisk, a network with delay, loss,
// duplication, reordering and (a)symmetric partitions, crashes and restarts (from disk, losing
// unsynced writes or tearing the last one), log compaction and snapshot catch-up, leadership
// transfers, client proposals and linearizable reads. InvariantChecker runs after every event.
//
// A run has two phases: `chaos_ms` of virtual time with faults, then everything heals (all nodes
// up, no loss) and the cluster must elect a leader and commit a new proposal on every node
// within `heal_timeout_ms`. Replaying a seed replays the run exactly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ferry::raft::sim {

// Deliberate bugs, so that a test can show the checker catches them.
enum class SimBug : uint8_t {
  kNone,
  // The driver persists hard states without the vote (one vote per term is lost on restart).
  kForgetVote,
  // The driver sends a Ready's messages before persisting it.
  kSendBeforePersist,
  // The client treats a proposal as acknowledged as soon as the leader appended it.
  kAckBeforeCommit,
};

struct SimOptions {
  uint64_t seed = 1;
  int nodes = 3;
  int64_t chaos_ms = 3000;
  int64_t heal_timeout_ms = 10000;
  int64_t tick_ms = 10;
  // Network: per-message delay in [min, max] ms, sometimes slow (reordering); loss; duplicates.
  int64_t min_delay_ms = 1;
  int64_t max_delay_ms = 12;
  double slow_chance = 0.03;
  int64_t slow_delay_ms = 150;
  double loss = 0.05;
  double duplicate = 0.03;
  // Disk: a Ready is persisted within [0, disk_max_ms], sometimes (slow fsync) within
  // [disk_max_ms, disk_slow_ms]: slower than a network round trip.
  int64_t disk_max_ms = 4;
  double disk_slow_chance = 0.1;
  int64_t disk_slow_ms = 60;
  // Faults (chaos phase only): a partition change or a crash about every fault_every_ms.
  int64_t fault_every_ms = 250;
  double crash_share = 0.35;
  int64_t max_down_ms = 500;
  double torn_chance = 0.3;
  // Clients.
  int64_t propose_every_ms = 15;
  int64_t read_every_ms = 60;
  int64_t transfer_every_ms = 900;
  // Compaction: snapshot + compact when this many applied entries are in the log.
  int64_t compact_after_entries = 25;
  // Draw loss, delays and the fault rate per seed around the values above (heavier or lighter
  // weather); the drawn values are part of what the seed replays.
  bool vary_per_seed = true;
  SimBug bug = SimBug::kNone;
  // Raft features; unset = chosen per seed (each on with probability 3/4).
  std::optional<bool> pre_vote;
  std::optional<bool> check_quorum;
  // Print every event to stderr.
  bool trace = false;
};

struct SimResult {
  bool ok = true;
  // The violation or liveness failure, with the last events before it.
  std::string failure;
  uint64_t events = 0;
  int64_t virtual_ms = 0;
  size_t leaders_elected = 0;
  size_t proposals_acked = 0;
  size_t reads_served = 0;
  size_t crashes = 0;
  size_t torn_writes = 0;
  size_t snapshots_installed = 0;
  size_t compactions = 0;
  int64_t final_commit = 0;
  // A hash over every dispatched event (time, kind, node, message identity): equal for two runs
  // iff they went event for event the same way (up to hash collisions).
  uint64_t event_hash = 0;
  // One line for logs.
  std::string summary() const;
};

SimResult run_simulation(const SimOptions& options);

}  // namespace ferry::raft::sim
