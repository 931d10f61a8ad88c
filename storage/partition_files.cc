#include "storage/partition_files.h"
#include "common/parse.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "common/file_util.h"

namespace ferry::storage {

namespace fs = std::filesystem;

namespace {

using ferry::parse_integer;

// "key: value" lines -> value of `key`.
std::optional<std::string_view> find_field(std::string_view text, std::string_view key) {
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (line.size() > key.size() + 1 && line.substr(0, key.size()) == key &&
        line[key.size()] == ':') {
      line.remove_prefix(key.size() + 1);
      while (!line.empty() && line.front() == ' ')
        line.remove_prefix(1);
      return line;
    }
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return std::nullopt;
}

}  // namespace

Status write_offset_checkpoint(const fs::path& file, const TopicPartition& tp, Offset offset) {
  return write_file_atomically(file,
                               fmt::format("0\n1\n{} {} {}\n", tp.topic, tp.partition, offset));
}

Result<std::optional<Offset>> read_offset_checkpoint(const fs::path& file,
                                                     const TopicPartition& tp) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::optional<Offset>();
  FERRY_ASSIGN_OR_RETURN(const std::string text, read_whole_file(file));
  const std::string expected_prefix = fmt::format("0\n1\n{} {} ", tp.topic, tp.partition);
  int64_t value = 0;
  if (text.size() < expected_prefix.size() + 2 ||
      text.compare(0, expected_prefix.size(), expected_prefix) != 0 || text.back() != '\n' ||
      !parse_integer(std::string_view(text).substr(expected_prefix.size(),
                                                   text.size() - expected_prefix.size() - 1),
                     value) ||
      value < 0) {
    return Error(ErrorCode::KAFKA_STORAGE_ERROR,
                 fmt::format("malformed offset checkpoint {}", file.string()));
  }
  return std::optional<Offset>(Offset(value));
}

bool is_valid_topic_id(std::string_view id) {
  if (id.size() != 22) return false;
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

Status write_partition_metadata(const fs::path& dir, std::string_view topic_id) {
  if (!is_valid_topic_id(topic_id)) {
    return Error(ErrorCode::INVALID_REQUEST, fmt::format("invalid topic id '{}'", topic_id));
  }
  return write_file_atomically(dir / kPartitionMetadataFile,
                               fmt::format("version: 0\ntopic_id: {}\n", topic_id));
}

Result<std::optional<std::string>> read_partition_metadata(const fs::path& dir) {
  const fs::path file = dir / kPartitionMetadataFile;
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::optional<std::string>();
  FERRY_ASSIGN_OR_RETURN(const std::string text, read_whole_file(file));
  const auto version = find_field(text, "version");
  const auto id = find_field(text, "topic_id");
  if (!version || *version != "0" || !id || !is_valid_topic_id(*id)) {
    return Error(ErrorCode::KAFKA_STORAGE_ERROR, fmt::format("malformed {}", file.string()));
  }
  return std::optional<std::string>(std::string(*id));
}

Status write_clean_shutdown_marker(const fs::path& dir, const CleanShutdownMarker& m) {
  return write_file_atomically(dir / kCleanShutdownFile,
                               fmt::format("version: 0\nlog_end_offset: {}\nactive_segment_bytes: "
                                           "{}\n",
                                           m.log_end_offset, m.active_segment_bytes));
}

std::optional<CleanShutdownMarker> read_clean_shutdown_marker(const fs::path& dir) {
  const fs::path file = dir / kCleanShutdownFile;
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::nullopt;
  auto text = read_whole_file(file);
  if (!text.ok()) return std::nullopt;
  const auto version = find_field(*text, "version");
  const auto leo = find_field(*text, "log_end_offset");
  const auto bytes = find_field(*text, "active_segment_bytes");
  CleanShutdownMarker m;
  int64_t leo_value = 0;
  if (!version || *version != "0" || !leo || !bytes || !parse_integer(*leo, leo_value) ||
      !parse_integer(*bytes, m.active_segment_bytes)) {
    return std::nullopt;
  }
  m.log_end_offset = Offset(leo_value);
  return m;
}

Status remove_clean_shutdown_marker(const fs::path& dir) {
  const fs::path file = dir / kCleanShutdownFile;
  if (::unlink(file.c_str()) != 0) {
    if (errno == ENOENT) return ok_status();
    return io_error("unlink", file, errno);
  }
  return fsync_directory(dir);
}

}  // namespace ferry::storage
