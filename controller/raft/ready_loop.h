// The driver's half of the RawNode contract (raw_node.h), written once: take a Ready, have it
// persisted, then send its messages, apply it and advance, in that order and one Ready at a
// time. The controller (QuorumController: RocksDB, persisted inline) and the Raft simulation
// (tests/controller/raft/sim: a simulated disk that completes later, crashes, slow fsyncs) both
// drive their RawNode through this loop, so the ordering that Raft's safety rests on is the code
// the simulation checks, not a copy of it.
//
// Pure: no I/O, clock or thread of its own; everything goes through the Driver interface.
// Not thread-safe: the owner's single driver thread (or the simulation) calls it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "controller/raft/raw_node.h"

namespace ferry::raft {

class ReadyLoop {
 public:
  class Driver {
   public:
    virtual ~Driver() = default;
    // Makes the Ready's snapshot, entries and hard state durable (fsynced when must_sync), then
    // calls `persisted`, inline or later. Nothing of this Ready is sent before that. The Ready
    // may be modified (the simulation injects bugs this way).
    virtual void persist(Ready& ready, std::function<void()> persisted) = 0;
    // Step 2: the messages, which may depend on anything persisted so far.
    virtual void send(std::vector<Message> messages) = 0;
    // Step 3: the snapshot, the committed entries and the read states.
    virtual void apply(const Ready& ready) = 0;
    // After advance(): role changes, compaction, the next work.
    virtual void advanced(const Ready& ready) { (void)ready; }
  };

  ReadyLoop(RawNode& node, Driver& driver) : node_(node), driver_(driver) {}
  // With a Ready still out (a crashed simulated node), a later completion is ignored.
  ~ReadyLoop() {
    if (token_) token_->cancelled = true;
  }
  ReadyLoop(const ReadyLoop&) = delete;
  ReadyLoop& operator=(const ReadyLoop&) = delete;

  // Handles Readies until there is none left or one is being persisted asynchronously (the loop
  // resumes by itself when that one is persisted).
  void run();
  // A Ready is out for persistence.
  bool busy() const { return in_flight_.has_value(); }

 private:
  struct Token {
    bool inside = true;  // persist() has not returned yet
    bool done = false;   // persisted inline
    bool cancelled = false;
  };
  void finish();

  RawNode& node_;
  Driver& driver_;
  std::optional<Ready> in_flight_;
  std::shared_ptr<Token> token_;
  bool running_ = false;
};

}  // namespace ferry::raft
