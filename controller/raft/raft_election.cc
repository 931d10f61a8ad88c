// Raft: leader election (paper 5.2, 5.4.1) with the pre-vote phase (thesis 9.6) and
// transfer-triggered campaigns (thesis 3.10).
#include "controller/raft/raft.h"
#include "controller/raft/raft_logging.h"

namespace ferry::raft {

void Raft::hup(CampaignKind kind) {
  if (role_ == Role::kLeader) {
    RAFT_LOG(debug, "ignoring election request: already leader");
    return;
  }
  if (!promotable()) {
    RAFT_LOG(warn, "cannot campaign: not a voter");
    return;
  }
  campaign(kind);
}

void Raft::campaign(CampaignKind kind) {
  MessageType type;
  Term vote_term;
  if (kind == CampaignKind::kPreElection) {
    become_pre_candidate();
    type = MessageType::kPreVote;
    vote_term = term_ + 1;  // the term we would campaign in; our own term is unchanged
  } else {
    become_candidate();
    type = MessageType::kVote;
    vote_term = term_;
  }
  if (poll(id_, true) == VoteResult::kWon) {
    // A single-voter cluster wins on its own vote.
    if (kind == CampaignKind::kPreElection) {
      campaign(CampaignKind::kElection);
    } else {
      become_leader();
    }
    return;
  }
  const EntryId last = log_.last_entry_id();
  for (NodeId voter : tracker_.config().voters) {
    if (voter == id_) continue;
    Message m;
    m.type = type;
    m.to = voter;
    m.term = vote_term;
    m.log_term = last.term;
    m.index = last.index;
    m.transfer = kind == CampaignKind::kTransfer;
    send(std::move(m));
  }
  RAFT_LOG(info, "sent {} requests for term {} (last entry t={} i={})", message_type_name(type),
           vote_term, last.term, last.index);
}

void Raft::handle_vote_request(const Message& m) {
  const bool pre_vote = m.type == MessageType::kPreVote;
  // We may vote if this repeats the vote we cast, if we have not voted and know no leader in
  // this term, or if it is a pre-vote for a future term (pre-votes are not recorded).
  const bool can_vote =
      vote_ == m.from || (vote_ == kNoNode && leader_ == kNoNode) || (pre_vote && m.term > term_);
  const bool up_to_date = log_.is_up_to_date(EntryId{m.log_term, m.index});
  Message response;
  response.type = pre_vote ? MessageType::kPreVoteResponse : MessageType::kVoteResponse;
  response.to = m.from;
  if (can_vote && up_to_date) {
    response.term = m.term;
    if (!pre_vote) {
      election_elapsed_ = 0;
      vote_ = m.from;  // persisted (Ready.hard_state) before the response is sent
    }
    RAFT_LOG(info, "granted {} to {} for term {}", message_type_name(m.type), m.from, m.term);
  } else {
    response.term = term_;
    response.reject = true;
    RAFT_LOG(info, "rejected {} from {} for term {} (vote={} leader={} up_to_date={})",
             message_type_name(m.type), m.from, m.term, vote_, leader_, up_to_date);
  }
  send(std::move(response));
}

void Raft::handle_vote_response(const Message& m) {
  // Only responses to our current campaign count: a candidate may still receive pre-vote
  // responses from its pre-candidate phase.
  const MessageType expected =
      role_ == Role::kPreCandidate ? MessageType::kPreVoteResponse : MessageType::kVoteResponse;
  if (m.type != expected) return;
  switch (poll(m.from, !m.reject)) {
    case VoteResult::kWon:
      if (role_ == Role::kPreCandidate) {
        campaign(CampaignKind::kElection);
      } else {
        become_leader();
        bcast_append();
      }
      return;
    case VoteResult::kLost:
      // A pre-vote rejection carries a term <= ours here (a higher one made us follower already).
      become_follower(term_, kNoNode);
      return;
    case VoteResult::kPending:
      return;
  }
}

VoteResult Raft::poll(NodeId from, bool granted) {
  const VoteResult result = tracker_.record_vote(from, granted);
  RAFT_LOG(debug, "{} {} from {}: {} granted, {} rejected", granted ? "grant" : "rejection",
           role_ == Role::kPreCandidate ? "(pre-vote)" : "", from, tracker_.votes_granted(),
           tracker_.votes_rejected());
  return result;
}

}  // namespace ferry::raft
