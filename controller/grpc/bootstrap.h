// Bootstrapping a voter that starts with an empty metadata directory: a new voter, or one whose
// directory was wiped (disk loss). Before its Raft node starts, it copies the active
// controller's persisted log (stored snapshot + the entries after it, RaftService.FetchLog) into
// its own store.
//
// Why: the leader remembers how far each voter's log matched its own (the match index) and, as
// in etcd-raft, never probes below it; a voter that comes back with less than it once
// acknowledged would otherwise be probed at the old position forever. With a copy of the
// leader's log the old match index is true again, and Raft carries on (the snapshot in the copy
// also rebuilds the metadata state).
//
// A brand-new cluster has no leader yet: every voter asks its peers once (bounded by
// `timeout_ms`), nobody answers as leader, and they start empty as usual.
//
// Caveat (as in Raft generally): a voter that lost its disk also lost its vote for the current
// term; pre-vote and check-quorum make a second vote in that term unlikely, not impossible.
#pragma once

#include "common/error.h"
#include "controller/quorum/options.h"
#include "controller/store/metadata_store.h"

namespace ferry::controller {

// Does nothing unless `store` is empty (no entries, snapshot or hard state) and there are other
// voters. Errors only when the copy cannot be stored.
Status bootstrap_empty_voter(MetadataStore& store, const QuorumOptions& options,
                             int64_t timeout_ms);

}  // namespace ferry::controller
