// GroupShard (group_shard.h): membership and the group state machine (Join, Sync, Heartbeat,
// Leave, rebalances, static membership) and List/Describe. The offsets (commit, fetch, delete,
// expiry) are group_offsets.cc; timers, append results and loading are group_lifecycle.cc; all
// three define GroupShard::Impl, declared in group_shard_impl.h. Section
// numbers refer to ../shared/design/GROUPS.md, which cites the Kafka sources each rule comes from.
#include "broker/group/group_shard.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "broker/group/group_shard_impl.h"
#include "common/assert.h"
#include "common/uuid.h"

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

std::string_view state_name(GroupState state) {
  switch (state) {
    case GroupState::kEmpty:
      return "Empty";
    case GroupState::kPreparingRebalance:
      return "PreparingRebalance";
    case GroupState::kCompletingRebalance:
      return "CompletingRebalance";
    case GroupState::kStable:
      return "Stable";
    case GroupState::kDead:
      return "Dead";
  }
  return "Dead";
}

namespace {

bool valid_transition(GroupState from, GroupState to) {
  using S = GroupState;
  switch (to) {
    case S::kEmpty:
      return from == S::kPreparingRebalance;
    case S::kPreparingRebalance:
      return from == S::kStable || from == S::kCompletingRebalance || from == S::kEmpty;
    case S::kCompletingRebalance:
      return from == S::kPreparingRebalance;
    case S::kStable:
      return from == S::kCompletingRebalance;
    case S::kDead:
      return true;
  }
  return false;
}

}  // namespace

namespace detail {

// The GROUPS.md 1.6 table.
ErrorCode map_store_error(ErrorCode append, bool offset_commit) {
  switch (append) {
    case ErrorCode::NONE:
      return ErrorCode::NONE;
    case ErrorCode::UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode::NOT_ENOUGH_REPLICAS:
    case ErrorCode::NOT_ENOUGH_REPLICAS_AFTER_APPEND:
      return ErrorCode::COORDINATOR_NOT_AVAILABLE;
    case ErrorCode::NOT_LEADER_OR_FOLLOWER:
    case ErrorCode::KAFKA_STORAGE_ERROR:
      return ErrorCode::NOT_COORDINATOR;
    case ErrorCode::REQUEST_TIMED_OUT:
      return offset_commit ? ErrorCode::REQUEST_TIMED_OUT : ErrorCode::REBALANCE_IN_PROGRESS;
    case ErrorCode::MESSAGE_TOO_LARGE:
    case ErrorCode::RECORD_LIST_TOO_LARGE:
    case ErrorCode::INVALID_FETCH_SIZE:
      return offset_commit ? ErrorCode::INVALID_COMMIT_OFFSET_SIZE
                           : ErrorCode::UNKNOWN_SERVER_ERROR;
    default:
      return ErrorCode::UNKNOWN_SERVER_ERROR;
  }
}

}  // namespace detail

GroupShard::Impl::Impl(GroupConfig c, Random& r) : config(c), random(r) {}

uint64_t GroupShard::Impl::append(std::vector<OffsetsRecord> records, Store store) {
  const uint64_t id = next_append++;
  appends.push_back(Append{id, std::move(records)});
  stores.emplace(id, std::move(store));
  return id;
}

Group* GroupShard::Impl::find(const std::string& id) {
  auto it = groups.find(id);
  return it == groups.end() ? nullptr : &it->second;
}

void GroupShard::Impl::transition(Group& g, GroupState to, int64_t now) {
  FERRY_ASSERT(valid_transition(g.state, to), "group {}: {} -> {} is not a transition", g.id,
               state_name(g.state), state_name(to));
  g.state = to;
  g.state_timestamp_ms = now;
}

std::string GroupShard::Impl::new_member_id(const JoinRequest& r) {
  return fmt::format("{}-{}", r.instance_id.value_or(r.client_id),
                     Uuid::random(random).to_string());
}

// `assignments`: the ones to record instead of the members' current ones (the leader's
// SyncGroup, written before memory takes it).
GroupValue GroupShard::Impl::group_value(const Group& g,
                                         const std::map<std::string, Bytes>* assignments) const {
  GroupValue v;
  v.protocol_type = g.protocol_type;
  v.generation = g.generation;
  v.protocol = g.protocol;
  v.leader = g.leader;
  v.current_state_timestamp_ms = g.state_timestamp_ms;
  if (g.state == GroupState::kEmpty || g.state == GroupState::kDead) {
    v.protocol.reset();
    v.leader.reset();
    return v;
  }
  for (const auto& [id, m] : g.members) {
    GroupMemberValue mv;
    mv.member_id = id;
    mv.instance_id = m.instance_id;
    mv.client_id = m.client_id;
    mv.client_host = m.client_host;
    mv.rebalance_timeout_ms = m.rebalance_timeout_ms;
    mv.session_timeout_ms = m.session_timeout_ms;
    if (g.protocol) {
      if (const Bytes* md = m.metadata_for(*g.protocol)) mv.subscription = *md;
    }
    if (assignments) {
      auto it = assignments->find(id);
      if (it != assignments->end()) mv.assignment = it->second;
    } else {
      mv.assignment = m.assignment;
    }
    v.members.push_back(std::move(mv));
  }
  return v;
}

OffsetsRecord GroupShard::Impl::group_record(
    const Group& g, const std::map<std::string, Bytes>* assignments) const {
  return OffsetsRecord{encode_key(GroupKey{g.id}), encode_value(group_value(g, assignments))};
}

// --- Members and rebalances (2.3, 2.4, 2.6) ------------------------------------------------------

JoinResponse GroupShard::Impl::join_answer(const Group& g, const Member& m,
                                           bool with_members) const {
  JoinResponse r;
  r.generation = g.generation;
  r.protocol_type = g.protocol_type;
  r.protocol_name = g.protocol;
  r.leader = g.leader.value_or("");
  r.member_id = m.id;
  if (with_members) {
    for (const auto& [id, other] : g.members) {
      const Bytes* md = g.protocol ? other.metadata_for(*g.protocol) : nullptr;
      r.members.push_back(JoinMember{id, other.instance_id, md ? *md : Bytes{}});
    }
  }
  return r;
}

JoinResponse GroupShard::Impl::join_error(ErrorCode code, std::string member_id) const {
  JoinResponse r;
  r.error = code;
  r.member_id = std::move(member_id);
  return r;
}

void GroupShard::Impl::arm_session(Member& m, int64_t now) {
  m.deadline_ms = now + (m.is_new ? config.new_member_join_timeout_ms : m.session_timeout_ms);
}

void GroupShard::Impl::prepare_rebalance(Group& g, int64_t now) {
  if (g.state == GroupState::kCompletingRebalance) reset_assignment_phase(g);
  g.sync_deadline_ms = kNever;
  const int32_t rebalance = g.rebalance_timeout_ms();
  if (g.state == GroupState::kEmpty) {
    // KIP-134: a join phase from Empty waits the initial delay, then more while members keep
    // joining, up to the rebalance timeout.
    g.initial_delay = true;
    g.initial_delay_remaining_ms =
        std::max<int64_t>(rebalance - config.initial_rebalance_delay_ms, 0);
    g.join_deadline_ms = now + config.initial_rebalance_delay_ms;
  } else {
    g.initial_delay = false;
    g.join_deadline_ms = now + rebalance;
  }
  transition(g, GroupState::kPreparingRebalance, now);
  // Kafka tries to complete the join phase at once (tryCompleteElseWatch): a group whose
  // members have all rejoined, or whose last member just left, does not wait the timeout.
  try_complete_join(g, now);
}

// From CompletingRebalance: parked SyncGroups get REBALANCE_IN_PROGRESS, assignments go.
void GroupShard::Impl::reset_assignment_phase(Group& g) {
  for (auto& [_, m] : g.members) {
    if (m.sync_ticket) {
      SyncResponse r;
      r.error = ErrorCode::REBALANCE_IN_PROGRESS;
      reply(*m.sync_ticket, r);
      m.sync_ticket.reset();
    }
    m.assignment.clear();
  }
  g.storing_assignment.reset();
}

void GroupShard::Impl::maybe_rebalance(Group& g, int64_t now) {
  if (g.state == GroupState::kStable || g.state == GroupState::kCompletingRebalance ||
      g.state == GroupState::kEmpty) {
    prepare_rebalance(g, now);
  }
}

void GroupShard::Impl::add_member(Group& g, Member m, Ticket ticket, bool skip_ok, int64_t now) {
  m.is_new = true;
  m.join_ticket = ticket;
  m.join_skip_assignment = skip_ok;
  if (m.instance_id) g.static_members[*m.instance_id] = m.id;
  if (!g.leader) g.leader = m.id;
  if (g.state == GroupState::kPreparingRebalance && g.generation == 0) g.new_member_added = true;
  arm_session(m, now);
  g.members.emplace(m.id, std::move(m));
  maybe_rebalance(g, now);
}

void GroupShard::Impl::remove_member(Group& g, const std::string& id, int64_t now) {
  auto it = g.members.find(id);
  if (it == g.members.end()) return;
  if (it->second.join_ticket)
    reply(*it->second.join_ticket, join_error(ErrorCode::UNKNOWN_MEMBER_ID, id));
  if (it->second.sync_ticket) {
    SyncResponse r;
    r.error = ErrorCode::UNKNOWN_MEMBER_ID;
    reply(*it->second.sync_ticket, r);
  }
  if (it->second.instance_id) g.static_members.erase(*it->second.instance_id);
  g.members.erase(it);
  g.pending_sync.erase(id);
  if (g.leader == id) {
    g.leader.reset();
    if (!g.members.empty()) g.leader = g.members.begin()->first;
  }
  if (g.state == GroupState::kStable || g.state == GroupState::kCompletingRebalance) {
    prepare_rebalance(g, now);
  } else if (g.state == GroupState::kPreparingRebalance) {
    try_complete_join(g, now);
  }
}

bool GroupShard::Impl::all_joined(const Group& g) const {
  return g.pending_members.empty() && g.awaiting_join() == g.members.size();
}

void GroupShard::Impl::try_complete_join(Group& g, int64_t now) {
  if (g.state != GroupState::kPreparingRebalance || g.initial_delay) return;
  if (all_joined(g)) complete_join(g, now);
}

// 2.4: the join phase ends (every member rejoined, or the timeout).
void GroupShard::Impl::complete_join(Group& g, int64_t now) {
  // Dynamic members that did not rejoin are removed; static ones stay.
  std::vector<std::string> gone;
  for (const auto& [id, m] : g.members) {
    if (!m.join_ticket && !m.instance_id) gone.push_back(id);
  }
  for (const auto& id : gone) {
    auto it = g.members.find(id);
    g.members.erase(it);
    g.pending_sync.erase(id);
  }
  if (g.leader && !g.has(*g.leader)) g.leader.reset();
  if (!g.leader || !g.members.at(*g.leader).join_ticket) {
    g.leader.reset();
    for (const auto& [id, m] : g.members) {
      if (m.join_ticket) {
        g.leader = id;
        break;
      }
    }
  }
  if (!g.leader && !g.members.empty()) {
    // Only static members that did not rejoin remain: another join phase.
    g.join_deadline_ms = now + g.rebalance_timeout_ms();
    return;
  }
  g.join_deadline_ms = kNever;
  g.initial_delay = false;
  g.new_member_added = false;
  g.generation += 1;
  if (g.members.empty()) {
    g.protocol.reset();
    transition(g, GroupState::kEmpty, now);
    append({group_record(g)}, StoreLog{fmt::format("group {} is empty", g.id)});
    return;
  }
  g.protocol = select_protocol(g);
  transition(g, GroupState::kCompletingRebalance, now);
  for (auto& [id, m] : g.members) {
    if (!m.join_ticket) continue;
    const bool is_leader = id == *g.leader;
    reply(*m.join_ticket, join_answer(g, m, is_leader));
    m.join_ticket.reset();
    m.is_new = false;
    arm_session(m, now);
    g.pending_sync.insert(id);
  }
  // KAFKA-12890: members that never send SyncGroup must not hold the group for ever.
  g.sync_deadline_ms = now + g.rebalance_timeout_ms();
}

// Candidates are the protocols every member supports; each member votes for its first
// candidate; most votes wins. Ties go to the earliest in the leader's list (Kafka leaves
// them to hash-map order).
std::string GroupShard::Impl::select_protocol(const Group& g) const {
  const Member& leader = g.members.at(*g.leader);
  std::vector<std::string> candidates;
  for (const auto& p : leader.protocols) {
    bool all = true;
    for (const auto& [_, m] : g.members)
      all = all && m.metadata_for(p.name) != nullptr;
    if (all) candidates.push_back(p.name);
  }
  FERRY_ASSERT(!candidates.empty(), "group {} has no common protocol", g.id);
  std::map<std::string, int> votes;
  for (const auto& [_, m] : g.members) {
    for (const auto& p : m.protocols) {
      if (std::find(candidates.begin(), candidates.end(), p.name) != candidates.end()) {
        ++votes[p.name];
        break;
      }
    }
  }
  std::string best = candidates.front();
  for (const auto& c : candidates) {
    if (votes[c] > votes[best]) best = c;
  }
  return best;
}

// 2.3 step 4.
bool GroupShard::Impl::protocols_compatible(const Group& g, const JoinRequest& r) const {
  if (r.protocol_type.empty() || r.protocols.empty()) return false;
  if (g.state == GroupState::kEmpty && g.members.empty()) return true;
  if (r.protocol_type != g.protocol_type) return false;
  for (const auto& p : r.protocols) {
    bool all = true;
    for (const auto& [_, m] : g.members)
      all = all && m.metadata_for(p.name) != nullptr;
    if (all) return true;
  }
  return false;
}

// Member validation shared by Sync, Heartbeat, Commit, Leave and Join (FENCED_INSTANCE_ID
// before UNKNOWN_MEMBER_ID).
ErrorCode GroupShard::Impl::validate_member(const Group& g, const std::string& member_id,
                                            const std::optional<std::string>& instance_id) const {
  if (instance_id) {
    auto it = g.static_members.find(*instance_id);
    if (it != g.static_members.end() && it->second != member_id)
      return ErrorCode::FENCED_INSTANCE_ID;
    if (it == g.static_members.end()) return ErrorCode::UNKNOWN_MEMBER_ID;
  }
  if (!g.has(member_id)) return ErrorCode::UNKNOWN_MEMBER_ID;
  return ErrorCode::NONE;
}

bool GroupShard::Impl::accepts_new_member(const Group& g, const std::string& member_id) const {
  const auto max = static_cast<size_t>(config.max_size);
  switch (g.state) {
    case GroupState::kEmpty:
    case GroupState::kDead:
      return true;
    case GroupState::kPreparingRebalance: {
      auto it = g.members.find(member_id);
      if (it != g.members.end() && it->second.join_ticket) return true;
      return g.awaiting_join() < max;
    }
    default:
      return g.has(member_id) || g.members.size() < max;
  }
}

void GroupShard::Impl::join(Ticket t, const JoinRequest& r, int64_t now) {
  if (r.session_timeout_ms < config.min_session_timeout_ms ||
      r.session_timeout_ms > config.max_session_timeout_ms) {
    return reply(t, join_error(ErrorCode::INVALID_SESSION_TIMEOUT, r.member_id));
  }
  Group* g = find(r.group_id);
  bool created = false;
  if (!g) {
    if (!r.member_id.empty()) {
      return reply(t, join_error(ErrorCode::UNKNOWN_MEMBER_ID, r.member_id));
    }
    Group fresh;
    fresh.id = r.group_id;
    fresh.state_timestamp_ms = now;
    g = &groups.emplace(r.group_id, std::move(fresh)).first->second;
    created = true;
  }
  auto refuse = [&](ErrorCode code, std::string member_id) {
    if (created) groups.erase(r.group_id);  // a refused first join leaves no group behind
    reply(t, join_error(code, std::move(member_id)));
  };
  if (!accepts_new_member(*g, r.member_id)) {
    if (g->has(r.member_id)) remove_member(*g, r.member_id, now);
    return refuse(ErrorCode::GROUP_MAX_SIZE_REACHED, "");
  }
  if (g->state == GroupState::kDead) {
    return refuse(ErrorCode::COORDINATOR_NOT_AVAILABLE, r.member_id);
  }
  if (!protocols_compatible(*g, r)) {
    return refuse(ErrorCode::INCONSISTENT_GROUP_PROTOCOL, r.member_id);
  }
  if (g->members.empty()) g->protocol_type = r.protocol_type;  // set by the first member
  if (r.member_id.empty()) {
    join_new_member(*g, t, r, now);
  } else {
    join_known_member(*g, t, r, now);
  }
  try_complete_join(*g, now);
}

Member GroupShard::Impl::member_from(const JoinRequest& r, std::string id) const {
  Member m;
  m.id = std::move(id);
  m.instance_id = r.instance_id;
  m.client_id = r.client_id;
  m.client_host = r.client_host;
  m.session_timeout_ms = r.session_timeout_ms;
  m.rebalance_timeout_ms = r.rebalance_timeout_ms;
  m.protocols = r.protocols;
  return m;
}

void GroupShard::Impl::join_new_member(Group& g, Ticket t, const JoinRequest& r, int64_t now) {
  const std::string id = new_member_id(r);
  if (r.instance_id) {
    auto known = g.static_members.find(*r.instance_id);
    if (known != g.static_members.end()) return static_rejoin(g, t, r, known->second, id, now);
    return add_member(g, member_from(r, id), t, r.supports_skip_assignment, now);
  }
  if (r.require_known_member_id) {
    // KIP-394: the id is handed out first; the member joins again with it.
    g.pending_members[id] = now + r.session_timeout_ms;
    return reply(t, join_error(ErrorCode::MEMBER_ID_REQUIRED, id));
  }
  add_member(g, member_from(r, id), t, r.supports_skip_assignment, now);
}

void GroupShard::Impl::update_member(Member& m, const JoinRequest& r) {
  m.protocols = r.protocols;
  m.session_timeout_ms = r.session_timeout_ms;
  m.rebalance_timeout_ms = r.rebalance_timeout_ms;
  m.client_id = r.client_id;
  m.client_host = r.client_host;
}

// 2.8: a known instance joining with an empty member id is a restart.
void GroupShard::Impl::static_rejoin(Group& g, Ticket t, const JoinRequest& r,
                                     const std::string& old_id, const std::string& new_id,
                                     int64_t now) {
  auto node = g.members.extract(old_id);
  FERRY_ASSERT(!node.empty(), "static member {} maps to missing member {}", *r.instance_id, old_id);
  Member previous = node.mapped();
  Member& m = node.mapped();
  if (m.join_ticket) reply(*m.join_ticket, join_error(ErrorCode::FENCED_INSTANCE_ID, old_id));
  if (m.sync_ticket) {
    SyncResponse sr;
    sr.error = ErrorCode::FENCED_INSTANCE_ID;
    reply(*m.sync_ticket, sr);
  }
  m.join_ticket.reset();
  m.sync_ticket.reset();
  const Bytes* old_md = g.protocol ? previous.metadata_for(*g.protocol) : nullptr;
  const Bytes old_selected = old_md ? *old_md : Bytes{};
  node.key() = new_id;
  m.id = new_id;
  update_member(m, r);
  g.members.insert(std::move(node));
  g.static_members[*r.instance_id] = new_id;
  const bool was_leader = g.leader == old_id;
  if (was_leader) g.leader = new_id;
  if (g.pending_sync.erase(old_id) > 0) g.pending_sync.insert(new_id);
  Member& current = g.members.at(new_id);
  arm_session(current, now);
  switch (g.state) {
    case GroupState::kStable: {
      const Bytes* new_md = g.protocol ? current.metadata_for(*g.protocol) : nullptr;
      if (new_md && *new_md == old_selected) {
        // Unchanged: no rebalance. Persist the new id, then answer with the generation.
        JoinResponse resp = join_answer(g, current, false);
        if (was_leader && r.supports_skip_assignment) {
          resp = join_answer(g, current, true);
          resp.skip_assignment = true;
        } else if (was_leader) {
          resp.leader = old_id;  // a returning leader must not run the assignor (pre-KIP-814)
        }
        append({group_record(g)},
               StoreStaticRejoin{t, g.id, old_id, new_id, std::move(previous), std::move(resp)});
        return;
      }
      current.join_ticket = t;
      current.join_skip_assignment = r.supports_skip_assignment;
      prepare_rebalance(g, now);
      return;
    }
    case GroupState::kCompletingRebalance:
      current.join_ticket = t;
      current.join_skip_assignment = r.supports_skip_assignment;
      prepare_rebalance(g, now);  // KAFKA-9801: the old id may be in the assignment
      return;
    default:
      current.join_ticket = t;
      current.join_skip_assignment = r.supports_skip_assignment;
      return;
  }
}

void GroupShard::Impl::join_known_member(Group& g, Ticket t, const JoinRequest& r, int64_t now) {
  auto pending = g.pending_members.find(r.member_id);
  if (pending != g.pending_members.end()) {
    g.pending_members.erase(pending);
    return add_member(g, member_from(r, r.member_id), t, r.supports_skip_assignment, now);
  }
  const ErrorCode valid = validate_member(g, r.member_id, r.instance_id);
  if (valid != ErrorCode::NONE) return reply(t, join_error(valid, r.member_id));
  Member& m = g.members.at(r.member_id);
  switch (g.state) {
    case GroupState::kPreparingRebalance:
      update_member(m, r);
      if (m.join_ticket && *m.join_ticket != t) {
        // A retried JoinGroup replaces the one parked before (its answer would be lost).
        reply(*m.join_ticket, join_error(ErrorCode::REBALANCE_IN_PROGRESS, m.id));
      }
      m.join_ticket = t;
      m.join_skip_assignment = r.supports_skip_assignment;
      return;
    case GroupState::kCompletingRebalance:
      if (m.protocols == r.protocols) {
        arm_session(m, now);
        return reply(t, join_answer(g, m, g.leader == m.id));
      }
      update_member(m, r);
      m.join_ticket = t;
      m.join_skip_assignment = r.supports_skip_assignment;
      prepare_rebalance(g, now);
      return;
    case GroupState::kStable:
      if (g.leader == m.id || m.protocols != r.protocols) {
        update_member(m, r);
        m.join_ticket = t;
        m.join_skip_assignment = r.supports_skip_assignment;
        prepare_rebalance(g, now);
        return;
      }
      arm_session(m, now);
      return reply(t, join_answer(g, m, false));
    default:
      return reply(t, join_error(ErrorCode::UNKNOWN_MEMBER_ID, r.member_id));
  }
}

// --- SyncGroup (2.5) -----------------------------------------------------------------------------

SyncResponse GroupShard::Impl::sync_error(ErrorCode code) const {
  SyncResponse r;
  r.error = code;
  return r;
}

void GroupShard::Impl::sync(Ticket t, const SyncRequest& r, int64_t now) {
  Group* g = find(r.group_id);
  if (!g) return reply(t, sync_error(ErrorCode::UNKNOWN_MEMBER_ID));
  if (g->state == GroupState::kDead)
    return reply(t, sync_error(ErrorCode::COORDINATOR_NOT_AVAILABLE));
  const ErrorCode valid = validate_member(*g, r.member_id, r.instance_id);
  if (valid != ErrorCode::NONE) return reply(t, sync_error(valid));
  if (r.generation != g->generation) return reply(t, sync_error(ErrorCode::ILLEGAL_GENERATION));
  if ((r.protocol_type && *r.protocol_type != g->protocol_type) ||
      (r.protocol_name && r.protocol_name != g->protocol)) {
    return reply(t, sync_error(ErrorCode::INCONSISTENT_GROUP_PROTOCOL));
  }
  Member& m = g->members.at(r.member_id);
  switch (g->state) {
    case GroupState::kEmpty:
      return reply(t, sync_error(ErrorCode::UNKNOWN_MEMBER_ID));
    case GroupState::kPreparingRebalance:
      return reply(t, sync_error(ErrorCode::REBALANCE_IN_PROGRESS));
    case GroupState::kStable: {
      arm_session(m, now);
      SyncResponse ok;
      ok.protocol_type = g->protocol_type;
      ok.protocol_name = g->protocol;
      ok.assignment = m.assignment;
      return reply(t, ok);
    }
    case GroupState::kCompletingRebalance:
      break;
    case GroupState::kDead:
      return;
  }
  if (m.sync_ticket && *m.sync_ticket != t)
    reply(*m.sync_ticket, sync_error(ErrorCode::REBALANCE_IN_PROGRESS));
  m.sync_ticket = t;
  g->pending_sync.erase(m.id);
  if (g->leader != m.id || g->storing_assignment) return;
  StoreAssignment store{g->id, g->generation, {}};
  for (const auto& [id, _] : g->members)
    store.assignments[id] = {};
  for (const auto& [id, bytes] : r.assignments) {
    if (store.assignments.count(id)) store.assignments[id] = bytes;
  }
  // The record holds the assignment; memory takes it once the record is appended.
  OffsetsRecord record = group_record(*g, &store.assignments);
  g->storing_assignment = append({std::move(record)}, std::move(store));
}

void GroupShard::Impl::assignment_stored(const StoreAssignment& s, ErrorCode error, uint64_t id,
                                         int64_t now) {
  Group* g = find(s.group);
  if (!g || g->storing_assignment != id) return;
  g->storing_assignment.reset();
  if (g->state != GroupState::kCompletingRebalance || g->generation != s.generation) return;
  if (error != ErrorCode::NONE) {
    const ErrorCode mapped = map_store_error(error, false);
    for (auto& [_, m] : g->members) {
      if (m.sync_ticket) reply(*m.sync_ticket, sync_error(mapped));
      m.sync_ticket.reset();
    }
    prepare_rebalance(*g, now);
    return;
  }
  for (auto& [mid, m] : g->members) {
    auto it = s.assignments.find(mid);
    m.assignment = it == s.assignments.end() ? Bytes{} : it->second;
  }
  // The pending-sync timer stays armed: a follower that never syncs is removed even now.
  transition(*g, GroupState::kStable, now);
  for (auto& [_, m] : g->members) {
    if (!m.sync_ticket) continue;
    SyncResponse ok;
    ok.protocol_type = g->protocol_type;
    ok.protocol_name = g->protocol;
    ok.assignment = m.assignment;
    reply(*m.sync_ticket, ok);
    m.sync_ticket.reset();
    arm_session(m, now);
  }
}

// --- Heartbeat and LeaveGroup (2.6, 2.7) ---------------------------------------------------------

ErrorCode GroupShard::Impl::heartbeat(const HeartbeatRequest& r, int64_t now) {
  Group* g = find(r.group_id);
  if (!g) return ErrorCode::UNKNOWN_MEMBER_ID;
  if (g->state == GroupState::kDead) return ErrorCode::COORDINATOR_NOT_AVAILABLE;
  const ErrorCode valid = validate_member(*g, r.member_id, r.instance_id);
  if (valid != ErrorCode::NONE) return valid;
  if (r.generation != g->generation) return ErrorCode::ILLEGAL_GENERATION;
  Member& m = g->members.at(r.member_id);
  switch (g->state) {
    case GroupState::kEmpty:
      return ErrorCode::UNKNOWN_MEMBER_ID;
    case GroupState::kPreparingRebalance:
      arm_session(m, now);
      return ErrorCode::REBALANCE_IN_PROGRESS;
    default:
      arm_session(m, now);
      return ErrorCode::NONE;
  }
}

LeaveResponse GroupShard::Impl::leave(const std::string& group_id,
                                      const std::vector<LeaveMember>& members, int64_t now) {
  LeaveResponse out;
  Group* g = find(group_id);
  if (!g) {
    out.members.assign(members.size(), ErrorCode::UNKNOWN_MEMBER_ID);
    return out;
  }
  if (g->state == GroupState::kDead) {
    out.error = ErrorCode::COORDINATOR_NOT_AVAILABLE;
    out.members.assign(members.size(), ErrorCode::NONE);
    return out;
  }
  for (const auto& lm : members) {
    if (lm.member_id.empty() && lm.instance_id) {  // admin removal of a static member
      auto it = g->static_members.find(*lm.instance_id);
      if (it == g->static_members.end()) {
        out.members.push_back(ErrorCode::UNKNOWN_MEMBER_ID);
        continue;
      }
      const std::string id = it->second;
      remove_member(*g, id, now);
      out.members.push_back(ErrorCode::NONE);
      continue;
    }
    if (g->pending_members.erase(lm.member_id) > 0) {
      out.members.push_back(ErrorCode::NONE);
      try_complete_join(*g, now);
      continue;
    }
    const ErrorCode valid = validate_member(*g, lm.member_id, lm.instance_id);
    if (valid != ErrorCode::NONE) {
      out.members.push_back(valid);
      continue;
    }
    remove_member(*g, lm.member_id, now);
    out.members.push_back(ErrorCode::NONE);
  }
  return out;
}

void GroupShard::join(Ticket t, const JoinRequest& r, int64_t now) {
  impl_->join(t, r, now);
}
void GroupShard::sync(Ticket t, const SyncRequest& r, int64_t now) {
  impl_->sync(t, r, now);
}
ErrorCode GroupShard::heartbeat(const HeartbeatRequest& r, int64_t now) {
  return impl_->heartbeat(r, now);
}
LeaveResponse GroupShard::leave(const std::string& g, const std::vector<LeaveMember>& m,
                                int64_t now) {
  return impl_->leave(g, m, now);
}
std::vector<ListedGroup> GroupShard::list_groups() const {
  std::vector<ListedGroup> out;
  for (const auto& [id, g] : impl_->groups)
    out.push_back(ListedGroup{id, g.protocol_type, g.state});
  return out;
}
DescribedGroup GroupShard::describe(const std::string& group_id) const {
  DescribedGroup d;
  d.group_id = group_id;
  auto it = impl_->groups.find(group_id);
  if (it == impl_->groups.end()) {
    d.state = "Dead";
    return d;
  }
  const Group& g = it->second;
  d.state = std::string(state_name(g.state));
  d.protocol_type = g.protocol_type;
  const bool stable = g.state == GroupState::kStable;
  if (stable && g.protocol) d.protocol_data = *g.protocol;
  for (const auto& [id, m] : g.members) {
    DescribedMember dm{id, m.instance_id, m.client_id, m.client_host, {}, m.assignment};
    if (stable && g.protocol) {
      if (const Bytes* md = m.metadata_for(*g.protocol)) dm.metadata = *md;
    }
    d.members.push_back(std::move(dm));
  }
  return d;
}
std::vector<Reply> GroupShard::take_replies() {
  return std::exchange(impl_->replies, {});
}
std::vector<Append> GroupShard::take_appends() {
  return std::exchange(impl_->appends, {});
}
size_t GroupShard::group_count() const {
  return impl_->groups.size();
}
std::optional<GroupState> GroupShard::state_of(const std::string& id) const {
  auto it = impl_->groups.find(id);
  if (it == impl_->groups.end()) return std::nullopt;
  return it->second.state;
}
int32_t GroupShard::generation_of(const std::string& id) const {
  auto it = impl_->groups.find(id);
  return it == impl_->groups.end() ? -1 : it->second.generation;
}

}  // namespace ferry::broker::group
