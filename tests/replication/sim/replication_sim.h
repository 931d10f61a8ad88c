// A seeded, deterministic simulation of replication: several real brokers (broker::Broker with
// its lease and heartbeats, replication::ReplicaManager, ReplicaFetcher, Partition and
// storage::PartitionLog on tmpfs) hosting replicas of one partition, a model controller that
// runs the controller's real metadata commands (registration, heartbeats, fencing and election,
// AlterPartition with compare-and-set, controller failovers that credit the election timeout),
// a simulated network (delay, loss, reordering, a broker cut off from everyone or from the
// controller only), disks whose unsynced writes are lost when a broker crashes, and producers
// (acks=all and acks=1) and consumers.
//
// Everything comes from one seed; virtual time only (tests/support/sim_scheduler.h). After
// every event the checker verifies:
//  * an offset never holds two records: every replica's log below its own HW agrees with every
//    other replica's (the first record seen committed at an offset is the only one allowed);
//  * a record acknowledged to an acks=all producer is committed at its acknowledged offset, and
//    is in the final leader's log at the end;
//  * the high watermark a serving leader exposes never goes backwards (within and across
//    leaders; KIP-207: a new leader does not serve a lagging HW);
//  * consumers never read at or above the HW, nor a record that was not committed;
//  * at most one broker acts as leader at any time (the broker lease);
//  * leaders come only from the ISR (the controller's elections, unless unclean is enabled).
// Then everything heals and the cluster must bring every replica back into the ISR and commit a
// new acks=all write within `heal_timeout_ms`.
#pragma once

#include <cstdint>
#include <string>

namespace ferry::replication::sim {

// Deliberate bugs, so that a test can show the checker catches them.
enum class SimBug : uint8_t {
  kNone,
  // The controller elects the first live replica as leader, in or out of the ISR.
  kElectOutsideIsr,
  // The producer counts acks=1 answers as acknowledged (committed) writes.
  kTrustAcksOne,
};

struct SimOptions {
  uint64_t seed = 1;
  int brokers = 3;
  int64_t chaos_ms = 8000;
  int64_t heal_timeout_ms = 20000;
  // Network: per-message delay in [min, max] ms, sometimes much slower (reordering); loss.
  int64_t min_delay_ms = 1;
  int64_t max_delay_ms = 8;
  double slow_chance = 0.03;
  int64_t slow_delay_ms = 300;
  double loss = 0.02;
  // Disks: queued fsyncs run within [0, disk_max_ms], sometimes after disk_slow_ms.
  int64_t disk_max_ms = 5;
  double disk_slow_chance = 0.005;
  int64_t disk_slow_ms = 150;
  // Faults during chaos: about one every fault_every_ms.
  int64_t fault_every_ms = 700;
  int64_t max_down_ms = 3000;
  // Clients.
  int64_t produce_every_ms = 15;
  double acks_one_share = 0.2;
  // Draw the weather, min.insync.replicas and log.flush.mode per seed (part of the replay).
  bool vary_per_seed = true;
  SimBug bug = SimBug::kNone;
  bool trace = false;
};

struct SimResult {
  bool ok = true;
  std::string failure;  // the violation, with the last events before it
  uint64_t events = 0;
  int64_t virtual_ms = 0;
  size_t produced = 0;
  size_t acked = 0;
  size_t leader_changes = 0;
  size_t crashes = 0;
  size_t isolations = 0;
  size_t truncations = 0;
  std::string summary() const;
};

SimResult run_simulation(const SimOptions& options);

}  // namespace ferry::replication::sim
