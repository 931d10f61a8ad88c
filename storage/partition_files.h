// Names and small files of a partition directory (everything except segments and indexes).
//
//   <log dir>/<topic>-<partition>/
//     00000000000000000000.log        segments, named by base offset (segment.h)
//     00000000000000000000.index      offset index (index.h)
//     00000000000000000000.timeindex  time index (index.h)
//     leader-epoch-checkpoint         Kafka's format (leader_epoch_cache.h)
//     partition.metadata              Kafka's format: "version: 0\ntopic_id: <base64url uuid>\n"
//     recovery-point-offset-checkpoint  "0\n1\n<topic> <partition> <offset>\n" (see below)
//     log-start-offset-checkpoint       same format
//     replication-offset-checkpoint     same format: the replica's high watermark (Kafka keeps it
//                                       per log dir under the same name)
//     clean-shutdown                  marker, present only between close() and the next open()
//     cleaner-offset-checkpoint       same format: compaction's first dirty offset
//     cleaner-swap, cleaning/         a compaction swap in progress (partition_log_compaction.cc)
//
// Kafka keeps the recovery-point and log-start checkpoints once per log dir, one line per
// partition. Ferry keeps one per partition, in the same text format, so a partition directory is
// self-contained (it opens, closes and moves alone, and one partition's checkpoint never
// rewrites another's). All are written atomically (temp + fsync + rename + dir fsync): a crash
// leaves the old or the new file, plus possibly a stray "<name>.tmp" that open() removes.
//
// The clean-shutdown marker holds "version: 0\nlog_end_offset: <n>\nactive_segment_bytes: <n>\n".
// open() trusts a log without scanning it only if the marker is present AND the active segment
// still has that size; it deletes the marker (durably) before the log accepts any write.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/strong_types.h"
#include "storage/topic_partition.h"

namespace ferry::storage {

inline constexpr std::string_view kLeaderEpochCheckpointFile = "leader-epoch-checkpoint";
inline constexpr std::string_view kPartitionMetadataFile = "partition.metadata";
inline constexpr std::string_view kRecoveryPointFile = "recovery-point-offset-checkpoint";
inline constexpr std::string_view kLogStartOffsetFile = "log-start-offset-checkpoint";
inline constexpr std::string_view kReplicationOffsetFile = "replication-offset-checkpoint";
inline constexpr std::string_view kCleanShutdownFile = "clean-shutdown";
// Compaction: where the next pass's dirty part starts (Kafka's cleaner-offset-checkpoint,
// per partition here); its presence also marks a log that may hold offset gaps.
inline constexpr std::string_view kCleanerOffsetFile = "cleaner-offset-checkpoint";
// Compaction: "<base> <end>\n" while a cleaned segment replaces the segments in [base, end).
inline constexpr std::string_view kCleanerSwapFile = "cleaner-swap";

// One-entry offset checkpoint (Kafka's OffsetCheckpointFile format).
Status write_offset_checkpoint(const std::filesystem::path& file, const TopicPartition& tp,
                               Offset offset);
// nullopt when the file does not exist; KAFKA_STORAGE_ERROR when it is malformed or for
// another partition.
Result<std::optional<Offset>> read_offset_checkpoint(const std::filesystem::path& file,
                                                     const TopicPartition& tp);

// partition.metadata. The topic id is Kafka's text form: 22 base64url characters.
bool is_valid_topic_id(std::string_view topic_id);
Status write_partition_metadata(const std::filesystem::path& dir, std::string_view topic_id);
// nullopt when absent.
Result<std::optional<std::string>> read_partition_metadata(const std::filesystem::path& dir);

struct CleanShutdownMarker {
  Offset log_end_offset;
  uint64_t active_segment_bytes = 0;
};
Status write_clean_shutdown_marker(const std::filesystem::path& dir, const CleanShutdownMarker& m);
// nullopt when absent or unparseable (an unparseable marker is not trusted).
std::optional<CleanShutdownMarker> read_clean_shutdown_marker(const std::filesystem::path& dir);
// Removes the marker and fsyncs the directory (no-op when absent).
Status remove_clean_shutdown_marker(const std::filesystem::path& dir);

}  // namespace ferry::storage
