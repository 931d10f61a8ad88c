// Small POSIX file helpers with errors as values (KAFKA_STORAGE_ERROR carrying the path and
// strerror). Used by storage/ for checkpoints and by every module that writes a small file.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.h"

namespace ferry {

// An Error for a failed system call on `path`: "<what> <path>: <strerror(errno_value)>".
Error io_error(std::string_view what, const std::filesystem::path& path, int errno_value);

// Replaces `path` with `contents` so that after a crash at any point the file holds either the
// old or the new contents, never a mix: write `path.tmp`, fsync it, rename over `path`, fsync
// the directory.
Status write_file_atomically(const std::filesystem::path& path, std::string_view contents);

// fsync() of a directory, making creations, renames and deletions in it durable.
Status fsync_directory(const std::filesystem::path& dir);

// Whole contents of a (small) file. NOT_FOUND-like failures are KAFKA_STORAGE_ERROR too; check
// existence first when absence is expected.
Result<std::string> read_whole_file(const std::filesystem::path& path);

// Creates `dir` and missing parents; fsyncs the parent of each directory created.
Status create_directories_durably(const std::filesystem::path& dir);

}  // namespace ferry
