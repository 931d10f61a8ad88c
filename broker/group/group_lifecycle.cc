// GroupShard (group_shard.h), its clocks and its storage: timers (sessions, join and sync
// deadlines, pending members, offset expiry via advance()), the results of appends to
// __consumer_offsets, and loading a partition's groups from its records (GROUPS.md 2.6, 1.5,
// 4.3; section numbers refer to ../shared/design/GROUPS.md). Membership is group_shard.cc and
// offsets group_offsets.cc; all three define GroupShard::Impl, declared in group_shard_impl.h.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "broker/group/group_shard.h"
#include "broker/group/group_shard_impl.h"
#include "broker/group/offsets_records.h"

namespace ferry::broker::group {

using detail::Group;
using detail::kNever;
using detail::map_store_error;
using detail::Member;
using detail::Store;
using detail::StoreAssignment;
using detail::StoreCommit;
using detail::StoreDelete;
using detail::StoreLog;
using detail::StoreOffsetDelete;
using detail::StoreStaticRejoin;

// --- Time ----------------------------------------------------------------------------------------

void GroupShard::Impl::advance(int64_t now) {
  if (next_expiry_check_ms < 0)
    next_expiry_check_ms = now + config.offsets_retention_check_interval_ms;
  if (now >= next_expiry_check_ms) {
    next_expiry_check_ms = now + config.offsets_retention_check_interval_ms;
    expire_offsets(now);
  }
  std::vector<std::string> ids;
  for (const auto& [id, _] : groups)
    ids.push_back(id);
  for (const auto& id : ids) {
    Group* g = find(id);
    if (!g) continue;
    expire_pending_members(*g, now);
    expire_sessions(*g, now);
    if (g->state == GroupState::kPreparingRebalance && now >= g->join_deadline_ms) {
      join_deadline_passed(*g, now);
    }
    if ((g->state == GroupState::kCompletingRebalance || g->state == GroupState::kStable) &&
        now >= g->sync_deadline_ms) {
      sync_deadline_passed(*g, now);
    }
  }
}

void GroupShard::Impl::expire_pending_members(Group& g, int64_t now) {
  bool dropped = false;
  for (auto it = g.pending_members.begin(); it != g.pending_members.end();) {
    if (now >= it->second) {
      it = g.pending_members.erase(it);
      dropped = true;
    } else {
      ++it;
    }
  }
  if (dropped) try_complete_join(g, now);
}

void GroupShard::Impl::expire_sessions(Group& g, int64_t now) {
  std::vector<std::string> expired;
  for (const auto& [id, m] : g.members) {
    if (now < m.deadline_ms) continue;
    // Members awaiting a join or sync satisfy their heartbeat, except new members (whose
    // deadline is the new-member join timeout).
    if (!m.is_new && (m.join_ticket || m.sync_ticket)) continue;
    expired.push_back(id);
  }
  for (const auto& id : expired)
    remove_member(g, id, now);
}

void GroupShard::Impl::join_deadline_passed(Group& g, int64_t now) {
  if (g.initial_delay) {
    if (g.new_member_added && g.initial_delay_remaining_ms > 0) {
      const int64_t wait =
          std::min<int64_t>(config.initial_rebalance_delay_ms, g.initial_delay_remaining_ms);
      g.initial_delay_remaining_ms -= wait;
      g.new_member_added = false;
      g.join_deadline_ms = now + wait;
      return;
    }
    g.initial_delay = false;
  }
  complete_join(g, now);
}

void GroupShard::Impl::sync_deadline_passed(Group& g, int64_t now) {
  g.sync_deadline_ms = kNever;
  if (g.pending_sync.empty()) return;
  const std::vector<std::string> missing(g.pending_sync.begin(), g.pending_sync.end());
  for (const auto& id : missing) {
    auto it = g.members.find(id);
    if (it == g.members.end()) continue;
    if (it->second.instance_id) g.static_members.erase(*it->second.instance_id);
    g.members.erase(it);
    if (g.leader == id) g.leader.reset();
  }
  g.pending_sync.clear();
  if (!g.leader && !g.members.empty()) g.leader = g.members.begin()->first;
  prepare_rebalance(g, now);
}

std::optional<int64_t> GroupShard::Impl::next_deadline() const {
  int64_t next = kNever;
  for (const auto& [_, g] : groups) {
    next = std::min({next, g.join_deadline_ms, g.sync_deadline_ms});
    for (const auto& [__, m] : g.members)
      next = std::min(next, m.deadline_ms);
    for (const auto& [__, d] : g.pending_members)
      next = std::min(next, d);
  }
  if (next == kNever) return std::nullopt;
  return next;
}

void GroupShard::Impl::appended(uint64_t id, ErrorCode error, int64_t now) {
  auto it = stores.find(id);
  if (it == stores.end()) return;
  Store store = std::move(it->second);
  stores.erase(it);
  std::visit(
      [&](auto& s) {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, StoreAssignment>) {
          assignment_stored(s, error, id, now);
        } else if constexpr (std::is_same_v<T, StoreCommit>) {
          commit_stored(s, error);
        } else if constexpr (std::is_same_v<T, StoreStaticRejoin>) {
          static_rejoin_stored(s, error, now);
        } else if constexpr (std::is_same_v<T, StoreDelete>) {
          reply(s.ticket, map_store_error(error, true));
        } else if constexpr (std::is_same_v<T, StoreOffsetDelete>) {
          offsets_deleted(s, error);
        } else {
          (void)s;  // a log-only record (a group gone Empty): a lost one is harmless
        }
      },
      store);
}

void GroupShard::Impl::static_rejoin_stored(StoreStaticRejoin& s, ErrorCode error, int64_t) {
  Group* g = find(s.group);
  if (error == ErrorCode::NONE || !g) {
    if (error != ErrorCode::NONE) s.response = join_error(map_store_error(error, false));
    return reply(s.ticket, s.response);
  }
  // Undo the swap: the old id is the member again.
  auto node = g->members.extract(s.new_id);
  if (!node.empty()) {
    g->members.emplace(s.old_id, s.previous);
    if (s.previous.instance_id) g->static_members[*s.previous.instance_id] = s.old_id;
    if (g->leader == s.new_id) g->leader = s.old_id;
  }
  reply(s.ticket, join_error(map_store_error(error, false)));
}

// --- Loading (4.3) -------------------------------------------------------------------------------

Status GroupShard::Impl::replay(ByteSpan key, std::optional<ByteSpan> value) {
  FERRY_ASSIGN_OR_RETURN(RecordKey k, decode_key(key));
  if (auto* ok = std::get_if<OffsetKey>(&k)) {
    const TopicPartitionRef tp{ok->topic, ok->partition};
    if (!value) {
      auto it = loaded_offsets.find(ok->group);
      if (it != loaded_offsets.end()) it->second.erase(tp);
      return ok_status();
    }
    FERRY_ASSIGN_OR_RETURN(OffsetValue v, decode_offset_value(*value));
    loaded_offsets[ok->group][tp] = v;
  } else if (auto* gk = std::get_if<GroupKey>(&k)) {
    if (!value) {
      loaded_groups.erase(gk->group);
      return ok_status();
    }
    FERRY_ASSIGN_OR_RETURN(GroupValue v, decode_group_value(*value));
    loaded_groups[gk->group] = std::move(v);
  }
  return ok_status();
}

void GroupShard::Impl::loaded(int64_t now) {
  for (auto& [id, v] : loaded_groups) {
    Group g;
    g.id = id;
    g.protocol_type = v.protocol_type;
    g.generation = v.generation;
    g.protocol = v.protocol;
    g.leader = v.leader;
    g.state_timestamp_ms = v.current_state_timestamp_ms;
    g.state = v.members.empty() ? GroupState::kEmpty : GroupState::kStable;
    if (v.members.empty()) {
      g.protocol.reset();
      g.leader.reset();
    }
    for (auto& mv : v.members) {
      Member m;
      m.id = mv.member_id;
      m.instance_id = mv.instance_id;
      m.client_id = mv.client_id;
      m.client_host = mv.client_host;
      m.session_timeout_ms = mv.session_timeout_ms;
      m.rebalance_timeout_ms =
          mv.rebalance_timeout_ms < 0 ? mv.session_timeout_ms : mv.rebalance_timeout_ms;
      if (v.protocol) m.protocols.push_back(Protocol{*v.protocol, mv.subscription});
      m.assignment = mv.assignment;
      arm_session(m, now);
      if (m.instance_id) g.static_members[*m.instance_id] = m.id;
      g.members.emplace(m.id, std::move(m));
    }
    Group& placed = groups.emplace(id, std::move(g)).first->second;
    // GROUPS.md 1.5: a group above group.max.size (lowered since it was written) rebalances at
    // once; the join phase's capacity check then turns the extra members away.
    if (placed.members.size() > static_cast<size_t>(config.max_size)) {
      prepare_rebalance(placed, now);
    }
  }
  for (auto& [id, offsets] : loaded_offsets) {
    auto [it, fresh] = groups.try_emplace(id);
    if (fresh) {
      it->second.id = id;
      it->second.state_timestamp_ms = now;
    }
    it->second.offsets = std::move(offsets);
  }
  loaded_groups.clear();
  loaded_offsets.clear();
}

void GroupShard::Impl::unload() {
  for (auto& [_, g] : groups) {
    for (auto& [__, m] : g.members) {
      if (m.join_ticket) reply(*m.join_ticket, join_error(ErrorCode::NOT_COORDINATOR, m.id));
      if (m.sync_ticket) reply(*m.sync_ticket, sync_error(ErrorCode::NOT_COORDINATOR));
    }
  }
  groups.clear();
  // Appends in flight are answered by the driver's appended() (the log decides); their
  // groups are gone, so only the request tickets get answers.
}

GroupShard::GroupShard(GroupConfig config, Random& random)
    : impl_(std::make_unique<Impl>(config, random)) {}
GroupShard::~GroupShard() = default;

void GroupShard::advance(int64_t now) {
  impl_->advance(now);
}
std::optional<int64_t> GroupShard::next_deadline() const {
  return impl_->next_deadline();
}
void GroupShard::appended(uint64_t id, ErrorCode e, int64_t now) {
  impl_->appended(id, e, now);
}
Status GroupShard::replay(ByteSpan key, std::optional<ByteSpan> value) {
  return impl_->replay(key, value);
}
void GroupShard::loaded(int64_t now) {
  impl_->loaded(now);
}
void GroupShard::unload() {
  impl_->unload();
}

}  // namespace ferry::broker::group
