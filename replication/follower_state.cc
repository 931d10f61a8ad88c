#include "replication/follower_state.h"

#include <algorithm>

namespace ferry::replication {

FetchPosition FollowerState::next_fetch(const LocalLog& log) const {
  FetchPosition out;
  out.fetch_offset = log.log_end;
  out.last_fetched_epoch = log.latest_epoch;
  out.current_leader_epoch = leader_epoch_;
  out.durable_end = std::min(log.durable_end, log.log_end);
  out.high_watermark = high_watermark_;
  out.log_start = log.log_start;
  return out;
}

Offset FollowerState::truncation_target(const storage::EpochEndOffset& diverging,
                                        const LocalLog& log) const {
  const storage::EpochEndOffset local = log.end_offset_for(diverging.epoch);
  if (local.epoch.value() < 0 || local.end_offset.value() < 0) {
    return std::min(diverging.end_offset, log.log_end);  // no local epoch <= E
  }
  if (local.epoch == diverging.epoch) {
    return std::min({diverging.end_offset, local.end_offset, log.log_end});
  }
  // We never had epoch E: cut back to the end of our older epoch; the storage drops the epoch
  // entries from there, so the next fetch names that older epoch (KIP-279).
  return std::min(local.end_offset, log.log_end);
}

FollowerState::Decision FollowerState::on_answer(const FetchPosition& sent,
                                                 const LeaderAnswer& answer, const LocalLog& log) {
  Decision d;
  if (answer.error != ErrorCode::NONE) {
    if (answer.error == ErrorCode::OFFSET_OUT_OF_RANGE && answer.log_start.value() >= 0 &&
        sent.fetch_offset < answer.log_start) {
      d.step = Step::kRestart;  // the leader deleted what we would fetch next
      d.offset = answer.log_start;
      return d;
    }
    d.step = Step::kRetryLater;
    d.error = answer.error;
    return d;
  }
  leader_high_watermark_ = answer.high_watermark;
  if (answer.diverging) {
    if (answer.diverging->end_offset.value() < 0) {
      d.step = Step::kRestart;
      d.offset = std::max(answer.log_start, Offset(0));
    } else {
      d.step = Step::kTruncate;
      d.offset = truncation_target(*answer.diverging, log);
    }
    return d;
  }
  if (answer.has_records) {
    d.step = Step::kAppend;
  } else {
    d.step = Step::kNothing;
    on_log_changed(log.log_end);
  }
  const Offset hw_after = std::min(leader_high_watermark_, log.log_end);
  if (answer.log_start > log.log_start && answer.log_start <= hw_after) {
    d.advance_log_start_to = answer.log_start;
  }
  return d;
}

Offset FollowerState::on_log_changed(Offset log_end) {
  if (leader_high_watermark_.value() >= 0) {
    high_watermark_ = std::min(leader_high_watermark_, log_end);
  } else {
    high_watermark_ = std::min(high_watermark_, log_end);
  }
  return high_watermark_;
}

}  // namespace ferry::replication
