#include "controller/raft/message.h"

#include <fmt/format.h>

namespace ferry::raft {

std::string_view message_type_name(MessageType type) {
  switch (type) {
    case MessageType::kPreVote:
      return "PreVote";
    case MessageType::kPreVoteResponse:
      return "PreVoteResponse";
    case MessageType::kVote:
      return "Vote";
    case MessageType::kVoteResponse:
      return "VoteResponse";
    case MessageType::kAppend:
      return "Append";
    case MessageType::kAppendResponse:
      return "AppendResponse";
    case MessageType::kHeartbeat:
      return "Heartbeat";
    case MessageType::kHeartbeatResponse:
      return "HeartbeatResponse";
    case MessageType::kInstallSnapshot:
      return "InstallSnapshot";
    case MessageType::kInstallSnapshotResponse:
      return "InstallSnapshotResponse";
    case MessageType::kTimeoutNow:
      return "TimeoutNow";
    case MessageType::kReadIndex:
      return "ReadIndex";
    case MessageType::kReadIndexResponse:
      return "ReadIndexResponse";
  }
  return "Unknown";
}

bool is_response(MessageType type) {
  switch (type) {
    case MessageType::kPreVoteResponse:
    case MessageType::kVoteResponse:
    case MessageType::kAppendResponse:
    case MessageType::kHeartbeatResponse:
    case MessageType::kInstallSnapshotResponse:
    case MessageType::kReadIndexResponse:
      return true;
    default:
      return false;
  }
}

namespace {

Error invalid(const Message& m, std::string_view what) {
  return Error(ErrorCode::INVALID_REQUEST,
               fmt::format("malformed raft message ({}): {}", describe(m), what));
}

Status validate_entries(const Message& m) {
  if (m.entries.empty()) return ok_status();
  if (m.type != MessageType::kAppend) return invalid(m, "entries on a non-Append message");
  Term previous_term = m.log_term;
  for (size_t k = 0; k < m.entries.size(); ++k) {
    const Entry& entry = m.entries[k];
    if (entry.index != m.index + static_cast<int64_t>(k) + 1) {
      return invalid(m, fmt::format("entry {} has index {}, expected {}", k, entry.index,
                                    m.index + static_cast<int64_t>(k) + 1));
    }
    if (entry.term < previous_term || entry.term > m.term) {
      return invalid(m, fmt::format("entry {} has term {} outside [{}, {}]", entry.index,
                                    entry.term, previous_term, m.term));
    }
    if (static_cast<uint8_t>(entry.type) > static_cast<uint8_t>(EntryType::kConfigChange)) {
      return invalid(m, fmt::format("entry {} has unknown type", entry.index));
    }
    previous_term = entry.term;
  }
  return ok_status();
}

Status validate_snapshot(const Message& m) {
  const bool wants_snapshot = m.type == MessageType::kInstallSnapshot;
  if (!wants_snapshot) {
    return m.snapshot ? invalid(m, "snapshot on a non-InstallSnapshot message") : ok_status();
  }
  if (!m.snapshot || m.snapshot->empty()) return invalid(m, "InstallSnapshot without snapshot");
  const SnapshotMetadata& meta = m.snapshot->metadata;
  if (meta.term < Term(1) || meta.term > m.term) {
    return invalid(m, fmt::format("snapshot term {} outside [1, {}]", meta.term, m.term));
  }
  if (meta.conf_state.empty() || meta.conf_state != make_conf_state(meta.conf_state.voters)) {
    return invalid(m, "snapshot voters empty, unsorted or duplicated");
  }
  return ok_status();
}

}  // namespace

Status validate_message(const Message& m) {
  if (static_cast<int>(m.type) >= kMessageTypeCount) return invalid(m, "unknown type");
  if (m.from < NodeId(0) || m.to < NodeId(0)) return invalid(m, "missing from/to");
  if (m.from == m.to) return invalid(m, "sent to itself");
  if (m.term < Term(0) || m.log_term < Term(0) || m.log_term > m.term) {
    return invalid(m, "term or log term out of range");
  }
  if (m.index < LogIndex(0) || m.commit < LogIndex(0) || m.reject_hint < LogIndex(0)) {
    return invalid(m, "negative index");
  }
  FERRY_TRY(validate_entries(m));
  FERRY_TRY(validate_snapshot(m));
  return ok_status();
}

std::string describe(const Message& m) {
  std::string out = fmt::format("{} {}->{} t={}", message_type_name(m.type), m.from, m.to, m.term);
  if (m.log_term != Term(0) || m.index != LogIndex(0)) {
    out += fmt::format(" lt={} i={}", m.log_term, m.index);
  }
  if (m.commit != LogIndex(0)) out += fmt::format(" c={}", m.commit);
  if (!m.entries.empty()) {
    out += fmt::format(" ents=[{}..{}]", m.entries.front().index, m.entries.back().index);
  }
  if (m.reject) out += fmt::format(" reject hint={}", m.reject_hint);
  if (m.transfer) out += " transfer";
  if (!m.context.empty()) out += fmt::format(" ctx={}B", m.context.size());
  if (m.snapshot) {
    out += fmt::format(" snap=[i={} t={}]", m.snapshot->metadata.index, m.snapshot->metadata.term);
  }
  return out;
}

}  // namespace ferry::raft
