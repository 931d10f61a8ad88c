#include "controller/grpc/bootstrap.h"

#include "common/log.h"
#include "controller/grpc/convert.h"
#include "controller/grpc/grpc_util.h"
#include "proto/controller.grpc.pb.h"

namespace ferry::controller {

namespace {

bool is_empty(MetadataStore& store) {
  auto initial = store.initial_state();
  return initial.ok() && initial->hard_state.empty() && store.last_index() == LogIndex(0) &&
         store.snapshot_index() == LogIndex(0);
}

// Asks `voter` for its log; on NOT_CONTROLLER follows the hint once.
std::optional<proto::FetchLogResponse> ask(const QuorumOptions& options, const VoterAddress& voter,
                                           int64_t timeout_ms, bool follow_hint) {
  auto stub = proto::RaftService::NewStub(make_channel(voter.address()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
  proto::FetchLogRequest request;
  request.set_voter_id(options.node_id.value());
  proto::FetchLogResponse response;
  if (!stub->FetchLog(&context, request, &response).ok()) return std::nullopt;
  if (grpc_convert::error_code(response.error()) == ErrorCode::NONE) return response;
  const VoterAddress* leader = options.voter(NodeId(response.leader().leader_id()));
  if (!follow_hint || leader == nullptr || leader->id == voter.id ||
      leader->id == options.node_id) {
    return std::nullopt;
  }
  return ask(options, *leader, timeout_ms, false);
}

}  // namespace

Status bootstrap_empty_voter(MetadataStore& store, const QuorumOptions& options,
                             int64_t timeout_ms) {
  if (options.voters.size() < 2 || !is_empty(store)) return ok_status();
  const int64_t per_voter =
      std::max<int64_t>(100, timeout_ms / static_cast<int64_t>(options.voters.size()));
  for (const auto& voter : options.voters) {
    if (voter.id == options.node_id) continue;
    auto response = ask(options, voter, per_voter, true);
    if (!response) continue;
    std::optional<raft::Snapshot> snapshot;
    if (response->has_snapshot()) snapshot = grpc_convert::from_proto(response->snapshot());
    std::vector<raft::Entry> entries;
    for (const auto& e : response->entries())
      entries.push_back(grpc_convert::from_proto(e));
    const LogIndex expected = snapshot ? snapshot->metadata.index + 1 : LogIndex(1);
    if (!entries.empty() && entries.front().index != expected) {
      logger("controller")
          ->warn("bootstrap: the leader's log copy starts at {}, not {}; ignored",
                 entries.front().index, expected);
      return ok_status();
    }
    FERRY_TRY(store.persist(snapshot, entries, std::nullopt, true));
    logger("controller")
        ->info(
            "[controller n={}] empty metadata directory: copied the active controller's log "
            "(snapshot {}, log now [{}, {}])",
            options.node_id, snapshot ? snapshot->metadata.index : LogIndex(0), store.first_index(),
            store.last_index());
    return ok_status();
  }
  return ok_status();  // no leader answered: a new cluster, start empty
}

}  // namespace ferry::controller
