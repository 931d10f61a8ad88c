// CommandPipeline: how the active controller orders commands. Pure (no threads, clocks or I/O).
//
// A command is planned against the *speculative* image: the committed image plus every entry
// this leader proposed and has not seen applied yet. Its records are proposed as one Raft entry
// and applied here at once, so the next command sees them (two CreateTopics for one name in a
// row: the second gets TOPIC_ALREADY_EXISTS without waiting for the first to commit). Kafka's
// QuorumController does the same with its "last written offset" snapshot registry.
//
// The pipeline opens only once the new leader has applied its own first entry of the term (the
// leader no-op): before that the committed image may lack entries of the previous leader that
// are already committed, and a plan on it could contradict them. Commands that arrive earlier
// wait here and run, in arrival order, when it opens; when leadership is lost first they are
// handed back to run against a closed pipeline (and answer NOT_CONTROLLER).
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "controller/metadata/records.h"
#include "controller/metadata/state_machine.h"

namespace ferry::controller {

class CommandPipeline {
 public:
  using Command = std::function<void()>;

  bool open() const { return speculative_.has_value(); }
  // The leader no-op was applied: the speculative image starts as a fork of `committed`.
  // Returns the commands that waited, to run in arrival order.
  std::vector<Command> open_at(metadata::MetadataBuilder& committed);
  // Leadership was lost: the speculative image is dropped (entries in flight are decided by
  // the log, see PendingProposals). Returns the commands that waited.
  std::vector<Command> close();
  // A command that arrived while leading but before the pipeline opened.
  void defer(Command command) { deferred_.push_back(std::move(command)); }

  // The speculative image (open only).
  const metadata::MetadataImage& image() const;
  // `records`, planned on image(), were proposed and landed at `index`: the next command sees
  // them. The index must follow image() and the records must apply: anything else means the
  // plan and the log disagree, which the controller cannot recover from (it asserts).
  void proposed(LogIndex index, const metadata::Records& records);
  // Whether everything image() reflects is committed: a command that proposes nothing (a
  // barrier) may reply only then, so no reply reports uncommitted state.
  bool settled(LogIndex committed) const { return image().offset <= committed; }

  size_t deferred() const { return deferred_.size(); }

 private:
  std::optional<metadata::MetadataBuilder> speculative_;
  std::vector<Command> deferred_;
};

}  // namespace ferry::controller
