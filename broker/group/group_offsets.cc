// GroupShard (group_shard.h), its offsets: OffsetCommit, OffsetFetch, DeleteGroups, OffsetDelete
// and offset expiry (GROUPS.md 3.1-3.4; section numbers refer to ../shared/design/GROUPS.md,
// which cites the Kafka sources each rule comes from). Membership and the group state machine
// are group_shard.cc; both define GroupShard::Impl, declared in group_shard_impl.h.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "broker/group/group_shard.h"
#include "broker/group/group_shard_impl.h"

namespace ferry::broker::group {

using detail::Group;
using detail::map_store_error;
using detail::StoreCommit;
using detail::StoreDelete;
using detail::StoreLog;
using detail::StoreOffsetDelete;

// --- Offsets (3.1-3.4) ---------------------------------------------------------------------------

void GroupShard::Impl::commit(Ticket t, const CommitRequest& r, int64_t now) {
  CommitResponse resp;
  auto all = [&](ErrorCode code) {
    resp.partitions.assign(r.partitions.size(), code);
    reply(t, resp);
  };
  Group* g = find(r.group_id);
  if (!g) {
    if (r.generation >= 0) return all(ErrorCode::ILLEGAL_GENERATION);
    Group simple;
    simple.id = r.group_id;
    simple.state_timestamp_ms = now;
    g = &groups.emplace(r.group_id, std::move(simple)).first->second;
  } else if (g->state == GroupState::kDead) {
    return all(ErrorCode::COORDINATOR_NOT_AVAILABLE);
  } else if (r.generation < 0 && g->state == GroupState::kEmpty) {
    // a simple consumer or an admin tool
  } else if (r.generation >= 0 || !r.member_id.empty() || r.instance_id) {
    const ErrorCode valid = validate_member(*g, r.member_id, r.instance_id);
    if (valid != ErrorCode::NONE) return all(valid);
    if (r.generation != g->generation) return all(ErrorCode::ILLEGAL_GENERATION);
    if (g->state == GroupState::kCompletingRebalance) return all(ErrorCode::REBALANCE_IN_PROGRESS);
    arm_session(g->members.at(r.member_id), now);
  } else {
    return all(ErrorCode::UNKNOWN_MEMBER_ID);
  }
  StoreCommit store{t, g->id, {}, {}, {}};
  std::vector<OffsetsRecord> records;
  resp.partitions.assign(r.partitions.size(), ErrorCode::NONE);
  for (size_t i = 0; i < r.partitions.size(); ++i) {
    const CommitPartition& p = r.partitions[i];
    const std::string metadata = p.metadata.value_or("");
    if (metadata.size() > static_cast<size_t>(config.offset_metadata_max_bytes)) {
      resp.partitions[i] = ErrorCode::OFFSET_METADATA_TOO_LARGE;
      continue;
    }
    OffsetValue v;
    v.offset = p.offset;
    v.leader_epoch = p.leader_epoch;
    v.metadata = metadata;
    v.commit_timestamp_ms = p.commit_timestamp_ms >= 0 ? p.commit_timestamp_ms : now;
    if (r.retention_ms >= 0) v.expire_timestamp_ms = now + r.retention_ms;
    records.push_back(
        OffsetsRecord{encode_key(OffsetKey{g->id, p.tp.topic, p.tp.partition}), encode_value(v)});
    store.offsets.emplace_back(p.tp, v);
    store.written_index.push_back(i);
    ++g->pending_commits[p.tp];
  }
  store.response = resp;
  if (records.empty()) return reply(t, resp);
  append(std::move(records), std::move(store));
}

void GroupShard::Impl::commit_stored(StoreCommit& s, ErrorCode error) {
  Group* g = find(s.group);
  if (g) {
    for (const auto& [tp, v] : s.offsets) {
      auto it = g->pending_commits.find(tp);
      if (it != g->pending_commits.end() && --it->second == 0) g->pending_commits.erase(it);
      if (error == ErrorCode::NONE) g->offsets[tp] = v;
    }
  }
  if (error != ErrorCode::NONE) {
    const ErrorCode mapped = map_store_error(error, true);
    for (const size_t i : s.written_index)
      s.response.partitions[i] = mapped;
  }
  reply(s.ticket, s.response);
}

std::vector<FetchedOffset> GroupShard::Impl::fetch_offsets(
    const std::string& group_id, const std::optional<std::vector<TopicPartitionRef>>& tps,
    bool require_stable) const {
  std::vector<FetchedOffset> out;
  auto it = groups.find(group_id);
  const Group* g =
      it == groups.end() || it->second.state == GroupState::kDead ? nullptr : &it->second;
  auto fetched = [&](const TopicPartitionRef& tp) {
    FetchedOffset f;
    f.tp = tp;
    if (!g) return f;
    if (require_stable && g->pending_commits.count(tp)) {
      f.error = ErrorCode::UNSTABLE_OFFSET_COMMIT;
      return f;
    }
    auto o = g->offsets.find(tp);
    if (o != g->offsets.end()) {
      f.offset = o->second.offset;
      f.leader_epoch = o->second.leader_epoch;
      f.metadata = o->second.metadata;
    }
    return f;
  };
  if (tps) {
    for (const auto& tp : *tps)
      out.push_back(fetched(tp));
  } else if (g) {
    for (const auto& [tp, _] : g->offsets)
      out.push_back(fetched(tp));
  }
  return out;
}

// Subscribed topics of a Stable/Completing consumer group: the v0 prefix of each member's
// ConsumerProtocolSubscription (int16 version, then a string array). nullopt: unknown.
std::optional<std::set<std::string>> GroupShard::Impl::subscribed_topics(const Group& g) const {
  if (g.protocol_type != "consumer" || !g.protocol) return std::nullopt;
  std::set<std::string> topics;
  for (const auto& [_, m] : g.members) {
    const Bytes* md = m.metadata_for(*g.protocol);
    if (!md) return std::nullopt;
    ByteReader r{ByteSpan(*md)};
    (void)r.i16();
    const int32_t n = r.i32();
    if (n < 0 || !r.ok()) return std::nullopt;
    for (int32_t i = 0; i < n; ++i) {
      const int16_t len = r.i16();
      if (len < 0) return std::nullopt;
      topics.emplace(as_string_view(r.bytes(static_cast<size_t>(len))));
    }
    if (!r.ok()) return std::nullopt;
  }
  return topics;
}

void GroupShard::Impl::delete_offsets(Ticket t, const std::string& group_id,
                                      const std::vector<TopicPartitionRef>& tps, int64_t) {
  OffsetDeleteResponse resp;
  Group* g = find(group_id);
  if (!g || g->state == GroupState::kDead) {
    resp.error = ErrorCode::GROUP_ID_NOT_FOUND;
    return reply(t, resp);
  }
  std::optional<std::set<std::string>> subscribed;
  if (g->state != GroupState::kEmpty) {
    if (g->protocol_type != "consumer") {
      resp.error = ErrorCode::NON_EMPTY_GROUP;
      return reply(t, resp);
    }
    subscribed = subscribed_topics(*g);
  }
  StoreOffsetDelete store{t, g->id, {}, {}};
  std::vector<OffsetsRecord> records;
  for (const auto& tp : tps) {
    const bool blocked =
        g->state != GroupState::kEmpty && (!subscribed || subscribed->count(tp.topic) > 0);
    if (blocked) {
      resp.partitions.push_back(ErrorCode::GROUP_SUBSCRIBED_TO_TOPIC);
      continue;
    }
    resp.partitions.push_back(ErrorCode::NONE);
    if (!g->offsets.count(tp)) continue;
    records.push_back(
        OffsetsRecord{encode_key(OffsetKey{g->id, tp.topic, tp.partition}), std::nullopt});
    store.removed.push_back(tp);
  }
  store.response = resp;
  if (records.empty()) return reply(t, resp);
  append(std::move(records), std::move(store));
}

void GroupShard::Impl::offsets_deleted(StoreOffsetDelete& s, ErrorCode error) {
  if (error != ErrorCode::NONE) {
    s.response.error = map_store_error(error, true);
    return reply(s.ticket, s.response);
  }
  if (Group* g = find(s.group)) {
    for (const auto& tp : s.removed)
      g->offsets.erase(tp);
  }
  reply(s.ticket, s.response);
}

void GroupShard::Impl::delete_group(Ticket t, const std::string& group_id, int64_t now) {
  Group* g = find(group_id);
  if (!g || g->state == GroupState::kDead) return reply(t, ErrorCode::GROUP_ID_NOT_FOUND);
  if (g->state != GroupState::kEmpty) return reply(t, ErrorCode::NON_EMPTY_GROUP);
  std::vector<OffsetsRecord> records;
  for (const auto& [tp, _] : g->offsets) {
    records.push_back(
        OffsetsRecord{encode_key(OffsetKey{g->id, tp.topic, tp.partition}), std::nullopt});
  }
  records.push_back(OffsetsRecord{encode_key(GroupKey{g->id}), std::nullopt});
  transition(*g, GroupState::kDead, now);
  groups.erase(group_id);
  append(std::move(records), StoreDelete{t});
}

// --- Expiry (3.3), run by advance() in group_shard.cc --------------------------------------------

// GROUPS.md 3.3 (KIP-211): which offsets may expire depends on the group's state; an offset
// with an explicit expire timestamp (a v2-4 commit) expires then instead. Memory forgets them
// at once and tombstones follow (as Kafka 3.x: a lost tombstone only brings an expired offset
// back until the next scan after a reload).
void GroupShard::Impl::expire_offsets(int64_t now) {
  std::vector<OffsetsRecord> records;
  std::vector<std::string> dead;
  for (auto& [id, g] : groups) {
    const bool empty_typed = !g.protocol_type.empty() && g.state == GroupState::kEmpty;
    const bool simple = g.protocol_type.empty() && g.members.empty();
    std::optional<std::set<std::string>> subscribed;
    if (g.protocol_type == "consumer" && g.state == GroupState::kStable) {
      subscribed = subscribed_topics(g);
    }
    if (!empty_typed && !simple && !subscribed) continue;  // rebalancing: nothing (KAFKA-13636)
    for (auto it = g.offsets.begin(); it != g.offsets.end();) {
      const auto& [tp, v] = *it;
      bool expired = false;
      if (g.pending_commits.count(tp) || (subscribed && subscribed->count(tp.topic))) {
        expired = false;
      } else if (v.expire_timestamp_ms >= 0) {
        expired = now >= v.expire_timestamp_ms;
      } else {
        const int64_t from =
            empty_typed && g.state_timestamp_ms >= 0 ? g.state_timestamp_ms : v.commit_timestamp_ms;
        expired = now - from >= config.offsets_retention_ms;
      }
      if (!expired) {
        ++it;
        continue;
      }
      records.push_back(
          OffsetsRecord{encode_key(OffsetKey{g.id, tp.topic, tp.partition}), std::nullopt});
      it = g.offsets.erase(it);
    }
    if (g.state == GroupState::kEmpty && g.offsets.empty() && g.pending_commits.empty() &&
        g.members.empty() && !g.storing_assignment) {
      records.push_back(OffsetsRecord{encode_key(GroupKey{g.id}), std::nullopt});
      dead.push_back(id);
    }
  }
  for (const auto& id : dead) {
    transition(groups.at(id), GroupState::kDead, now);
    groups.erase(id);
  }
  if (!records.empty()) append(std::move(records), StoreLog{"expired offsets"});
}

void GroupShard::commit(Ticket t, const CommitRequest& r, int64_t now) {
  impl_->commit(t, r, now);
}
void GroupShard::delete_group(Ticket t, const std::string& g, int64_t now) {
  impl_->delete_group(t, g, now);
}
void GroupShard::delete_offsets(Ticket t, const std::string& g,
                                const std::vector<TopicPartitionRef>& tps, int64_t now) {
  impl_->delete_offsets(t, g, tps, now);
}
std::vector<FetchedOffset> GroupShard::fetch_offsets(
    const std::string& g, const std::optional<std::vector<TopicPartitionRef>>& tps,
    bool require_stable) const {
  return impl_->fetch_offsets(g, tps, require_stable);
}

}  // namespace ferry::broker::group
