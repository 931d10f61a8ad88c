#include "storage/leader_epoch_cache.h"
#include "common/parse.h"

#include <charconv>

namespace ferry::storage {

bool LeaderEpochCache::assign(LeaderEpoch epoch, Offset start_offset) {
  if (epoch.value() < 0 || start_offset.value() < 0) return false;
  if (!entries_.empty()) {
    const EpochEntry& last = entries_.back();
    if (last.epoch == epoch && last.start_offset <= start_offset) return false;
  }
  while (!entries_.empty() &&
         (entries_.back().epoch >= epoch || entries_.back().start_offset >= start_offset)) {
    entries_.pop_back();
  }
  entries_.push_back({epoch, start_offset});
  return true;
}

bool LeaderEpochCache::truncate_from_end(Offset end_offset) {
  bool changed = false;
  while (!entries_.empty() && entries_.back().start_offset >= end_offset) {
    entries_.pop_back();
    changed = true;
  }
  return changed;
}

bool LeaderEpochCache::truncate_from_start(Offset start_offset) {
  size_t covered = 0;
  while (covered < entries_.size() && entries_[covered].start_offset <= start_offset)
    ++covered;
  if (covered == 0) return false;
  // Kafka's truncateFromStart: the epoch in force at the new log start keeps an entry there,
  // so epoch_for_offset() and OffsetForLeaderEpoch still answer for the first offset.
  const EpochEntry kept{entries_[covered - 1].epoch, start_offset};
  if (covered == 1 && entries_[0] == kept) return false;
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<ptrdiff_t>(covered));
  entries_.insert(entries_.begin(), kept);
  return true;
}

EpochEndOffset LeaderEpochCache::end_offset_for(LeaderEpoch requested,
                                                Offset log_end_offset) const {
  if (requested.value() < 0 || entries_.empty()) return {};
  if (entries_.back().epoch == requested) return {requested, log_end_offset};
  // First entry with epoch > requested.
  size_t higher = 0;
  while (higher < entries_.size() && entries_[higher].epoch <= requested)
    ++higher;
  if (higher == entries_.size()) return {};  // larger than every known epoch
  // Older than every entry (its data is gone): the first later epoch's start lets the follower
  // truncate and replicate from the leader's log start (Kafka's choice).
  if (higher == 0) return {requested, entries_[0].start_offset};
  // KIP-279: also say which epoch answered (the largest <= requested), so a follower that asked
  // for an epoch the leader never had can continue from that one.
  return {entries_[higher - 1].epoch, entries_[higher].start_offset};
}

std::optional<LeaderEpoch> LeaderEpochCache::epoch_for_offset(Offset offset) const {
  std::optional<LeaderEpoch> found;
  for (const auto& e : entries_) {
    if (e.start_offset > offset) break;
    found = e.epoch;
  }
  return found;
}

std::optional<EpochEntry> LeaderEpochCache::latest() const {
  if (entries_.empty()) return std::nullopt;
  return entries_.back();
}

std::string LeaderEpochCache::serialize() const {
  std::string out = fmt::format("0\n{}\n", entries_.size());
  for (const auto& e : entries_)
    out += fmt::format("{} {}\n", e.epoch, e.start_offset);
  return out;
}

namespace {

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

Error bad(std::string_view what) {
  return Error(ErrorCode::KAFKA_STORAGE_ERROR,
               fmt::format("malformed leader-epoch-checkpoint: {}", what));
}

}  // namespace

Result<LeaderEpochCache> LeaderEpochCache::parse(std::string_view text) {
  const auto lines = split_lines(text);
  int version = -1;
  size_t count = 0;
  if (lines.size() < 2 || !parse_integer(lines[0], version) || version != 0) return bad("version");
  if (!parse_integer(lines[1], count) || lines.size() != count + 2) return bad("entry count");
  std::vector<EpochEntry> entries;
  for (size_t i = 0; i < count; ++i) {
    const std::string_view line = lines[i + 2];
    const size_t space = line.find(' ');
    int32_t epoch = 0;
    int64_t offset = 0;
    if (space == std::string_view::npos || !parse_integer(line.substr(0, space), epoch) ||
        !parse_integer(line.substr(space + 1), offset) || epoch < 0 || offset < 0) {
      return bad(fmt::format("line {}", i + 3));
    }
    if (!entries.empty() &&
        (entries.back().epoch.value() >= epoch || entries.back().start_offset.value() >= offset)) {
      return bad(fmt::format("line {} is not increasing", i + 3));
    }
    entries.push_back({LeaderEpoch(epoch), Offset(offset)});
  }
  return LeaderEpochCache(std::move(entries));
}

}  // namespace ferry::storage
