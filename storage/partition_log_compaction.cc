// PartitionLog: what compaction needs from the log: a view to plan a pass from, the crash-safe
// swap of cleaned segments, the cleaner checkpoint, and gap tolerance.
//
// THE SWAP. A pass stages the cleaned replacement of segments [B, E) as
// cleaning/<B>.{log,index,timeindex}, fsynced. Then:
//   1. `cleaner-swap` := "B E" (atomic write, directory fsynced): the commit point;
//   2. under the log's lock: unlink the old segments with base in (B, E); rename the staged
//      index files, then the staged log, over <B>.*; open the new segment and put it in place
//      of the old ones (readers holding old FileHandles keep reading the old bytes);
//   3. fsync both directories, remove `cleaner-swap`.
// open() first finishes an interrupted swap: with `cleaner-swap` present and the staged log
// still in cleaning/, it redoes step 2 (each action is idempotent); with the staged log gone the
// renames happened. Then it empties cleaning/ (passes that never reached step 1). Whatever the
// crash point, the log holds the old segments or the new one, never a mix with a missing range.
// (Kafka's .cleaned/.swap suffix protocol, with the range named explicitly so a cleaned segment
// whose last records were removed cannot leave an old segment behind.)
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/file_util.h"
#include "common/log.h"
#include "common/parse.h"
#include "storage/partition_log.h"

namespace ferry::storage {

namespace fs = std::filesystem;

namespace {

// The three files of segment `base` in `dir`.
std::vector<fs::path> segment_files(const fs::path& dir, Offset base) {
  const std::string stem = Segment::file_stem(base);
  return {dir / (stem + ".index"), dir / (stem + ".timeindex"), dir / (stem + ".log")};
}

Status unlink_if_present(const fs::path& p) {
  if (::unlink(p.c_str()) != 0 && errno != ENOENT) return io_error("unlink", p, errno);
  return ok_status();
}

// Step 2 of the swap, on files only: idempotent.
Status swap_files(const fs::path& dir, const fs::path& staging, Offset base, Offset end) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() < 21 || name[20] != '.') continue;
    const auto seg_base = parse_integer<int64_t>(std::string_view(name).substr(0, 20));
    if (!seg_base || Offset(*seg_base) <= base || Offset(*seg_base) >= end) continue;
    const std::string ext = name.substr(20);
    if (ext != ".log" && ext != ".index" && ext != ".timeindex") continue;
    FERRY_TRY(unlink_if_present(entry.path()));
  }
  if (ec) return io_error("list", dir, ec.value());
  const auto staged = segment_files(staging, base);
  const auto final_names = segment_files(dir, base);
  for (size_t i = 0; i < staged.size(); ++i) {  // indexes first: the log's rename completes it
    if (::rename(staged[i].c_str(), final_names[i].c_str()) != 0 && errno != ENOENT) {
      return io_error("rename", staged[i], errno);
    }
  }
  return ok_status();
}

Result<std::pair<Offset, Offset>> read_swap_file(const fs::path& file) {
  FERRY_ASSIGN_OR_RETURN(const std::string text, read_whole_file(file));
  const size_t space = text.find(' ');
  const auto base = parse_integer<int64_t>(std::string_view(text).substr(0, space));
  std::string_view rest =
      space == std::string::npos ? "" : std::string_view(text).substr(space + 1);
  if (!rest.empty() && rest.back() == '\n') rest.remove_suffix(1);
  const auto end = parse_integer<int64_t>(rest);
  if (!base || !end || *base < 0 || *end < *base) {
    return Error(ErrorCode::KAFKA_STORAGE_ERROR,
                 fmt::format("{}: malformed ('{}')", file.string(), text));
  }
  return std::make_pair(Offset(*base), Offset(*end));
}

}  // namespace

void PartitionLog::configure_segment_locked(Segment& segment) const {
  segment.set_index_interval_bytes(config_.index_interval_bytes);
  segment.set_allow_gaps(allow_gaps_);
}

Status PartitionLog::enable_gaps_locked() {
  if (allow_gaps_) return ok_status();
  // Durable before the first gap can be written (a compacted leader's batches, or a pass).
  if (!fs::exists(dir_ / kCleanerOffsetFile)) {
    FERRY_TRY(write_offset_checkpoint(dir_ / kCleanerOffsetFile, tp_, log_start_));
  }
  allow_gaps_ = true;
  for (const auto& s : segments_)
    s->set_allow_gaps(true);
  return ok_status();
}

Status PartitionLog::finish_interrupted_swap() {
  const fs::path swap_file = dir_ / kCleanerSwapFile;
  const fs::path staging = cleaning_dir();
  std::error_code ec;
  if (fs::exists(swap_file, ec)) {
    FERRY_ASSIGN_OR_RETURN(const auto range, read_swap_file(swap_file));
    if (fs::exists(staging / (Segment::file_stem(range.first) + ".log"), ec)) {
      logger("storage")->warn("[{}] finishing an interrupted compaction swap of [{}, {})",
                              tp_.dir_name(), range.first, range.second);
      FERRY_TRY(swap_files(dir_, staging, range.first, range.second));
    }
    FERRY_TRY(fsync_directory(dir_));
    FERRY_TRY(unlink_if_present(swap_file));
  }
  if (fs::exists(staging, ec)) {
    fs::remove_all(staging, ec);
    if (ec) return io_error("remove", staging, ec.value());
  }
  return fsync_directory(dir_);
}

Result<PartitionLog::CleanerView> PartitionLog::cleaner_view() const {
  std::lock_guard lock(mu_);
  FERRY_TRY(check_usable_locked());
  CleanerView v;
  v.segments = segments_;
  v.log_start = log_start_;
  v.stable_end = std::min(high_watermark_, recovery_point_);
  v.config = config_;
  v.epochs = epochs_;
  v.truncations = truncations_;
  if (allow_gaps_) {
    FERRY_ASSIGN_OR_RETURN(v.checkpoint, read_offset_checkpoint(dir_ / kCleanerOffsetFile, tp_));
  }
  return v;
}

Status PartitionLog::set_cleaner_checkpoint(Offset first_dirty) {
  std::lock_guard lock(checkpoint_mu_);
  return write_offset_checkpoint(dir_ / kCleanerOffsetFile, tp_, first_dirty);
}

Status PartitionLog::swap_in_cleaned(
    const std::vector<std::shared_ptr<Segment>>& old, uint64_t truncations,
    const std::function<Status(std::string_view step)>& crash_point) {
  FERRY_ASSERT(!old.empty());
  const Offset base = old.front()->base_offset();
  Offset end;
  {
    std::lock_guard lock(mu_);
    FERRY_TRY(check_usable_locked());
    auto it = std::find(segments_.begin(), segments_.end(), old.front());
    const bool intact = it != segments_.end() &&
                        static_cast<size_t>(segments_.end() - it) > old.size() &&
                        std::equal(old.begin(), old.end(), it) && truncations_ == truncations;
    if (!intact) {
      std::error_code ec;
      fs::remove_all(cleaning_dir(), ec);
      return Error(ErrorCode::KAFKA_STORAGE_ERROR,
                   fmt::format("[{}] segments changed during compaction", tp_.dir_name()));
    }
    end = (*(it + static_cast<std::ptrdiff_t>(old.size())))->base_offset();
  }
  // 1. The commit point.
  FERRY_TRY(write_file_atomically(dir_ / kCleanerSwapFile, fmt::format("{} {}\n", base, end)));
  if (crash_point) FERRY_TRY(crash_point("swap-committed"));
  {
    std::lock_guard lock(mu_);
    auto it = std::find(segments_.begin(), segments_.end(), old.front());
    const bool intact = it != segments_.end() &&
                        static_cast<size_t>(segments_.end() - it) > old.size() &&
                        std::equal(old.begin(), old.end(), it) && truncations_ == truncations;
    if (!intact) {
      // Before any file moved: withdrawing the commit is safe.
      ignore_error(unlink_if_present(dir_ / kCleanerSwapFile));
      std::error_code ec;
      fs::remove_all(cleaning_dir(), ec);
      return Error(ErrorCode::KAFKA_STORAGE_ERROR,
                   fmt::format("[{}] segments changed during compaction", tp_.dir_name()));
    }
    // 2. From here on an error leaves the files for open() to finish: the log stops.
    Status swapped = swap_files(dir_, cleaning_dir(), base, end);
    Result<std::shared_ptr<Segment>> fresh =
        swapped.ok() ? Segment::open(dir_, base)
                     : Result<std::shared_ptr<Segment>>(swapped.error());
    if (fresh.ok()) {
      configure_segment_locked(**fresh);
      auto loaded = (*fresh)->load_trusted();
      if (!loaded.ok()) fresh = loaded.error();
    }
    if (!fresh.ok()) return mark_failed(fresh.error().with_context("compaction swap"));
    (*fresh)->mark_synced((*fresh)->size());
    it = segments_.erase(it, it + static_cast<std::ptrdiff_t>(old.size()));
    segments_.insert(it, std::move(*fresh));
  }
  if (crash_point) FERRY_TRY(crash_point("swapped"));
  // 3.
  FERRY_TRY(fsync_directory(dir_));
  FERRY_TRY(fsync_directory(cleaning_dir()));
  FERRY_TRY(unlink_if_present(dir_ / kCleanerSwapFile));
  return fsync_directory(dir_);
}

}  // namespace ferry::storage
