#include "controller/quorum/command_pipeline.h"

#include <utility>

#include "common/assert.h"

namespace ferry::controller {

std::vector<CommandPipeline::Command> CommandPipeline::open_at(
    metadata::MetadataBuilder& committed) {
  speculative_.emplace(committed.fork());
  return std::exchange(deferred_, {});
}

std::vector<CommandPipeline::Command> CommandPipeline::close() {
  speculative_.reset();
  return std::exchange(deferred_, {});
}

const metadata::MetadataImage& CommandPipeline::image() const {
  FERRY_ASSERT(speculative_.has_value(), "the command pipeline is closed");
  return speculative_->current();
}

void CommandPipeline::proposed(LogIndex index, const metadata::Records& records) {
  FERRY_ASSERT(speculative_.has_value(), "a proposal while the command pipeline is closed");
  const LogIndex at = speculative_->current().offset;
  FERRY_ASSERT(index == at + 1, "proposal landed at {} but the speculative image is at {}", index,
               at);
  const Status applied = speculative_->apply(index, records);
  FERRY_ASSERT(applied.ok(), "a planned batch does not apply to the image it was planned on: {}",
               applied.error().to_string());
}

}  // namespace ferry::controller
