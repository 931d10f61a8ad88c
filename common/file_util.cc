#include "common/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace ferry {

namespace fs = std::filesystem;

Error io_error(std::string_view what, const fs::path& path, int errno_value) {
  return Error(ErrorCode::KAFKA_STORAGE_ERROR,
               fmt::format("{} {}: {}", what, path.string(), std::strerror(errno_value)));
}

namespace {
Status write_all(int fd, const char* data, size_t size, const fs::path& path) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("write", path, errno);
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return ok_status();
}
}  // namespace

Status fsync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("open directory", dir, errno);
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0) return io_error("fsync directory", dir, saved);
  return ok_status();
}

Status write_file_atomically(const fs::path& path, std::string_view contents) {
  fs::path tmp = path;
  tmp += ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("create", tmp, errno);
  Status written = write_all(fd, contents.data(), contents.size(), tmp);
  if (written.ok() && ::fsync(fd) != 0) written = io_error("fsync", tmp, errno);
  ::close(fd);
  FERRY_TRY(written);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return io_error("rename to", path, errno);
  return fsync_directory(path.has_parent_path() ? path.parent_path() : fs::path("."));
}

Result<std::string> read_whole_file(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("open", path, errno);
  std::string out;
  char buf[8192];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int saved = errno;
      ::close(fd);
      return io_error("read", path, saved);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Status create_directories_durably(const fs::path& dir) {
  std::vector<fs::path> created;
  fs::path current;
  for (const auto& part : dir) {
    current /= part;
    if (current.empty() || current == current.root_path()) continue;
    if (::mkdir(current.c_str(), 0755) == 0) {
      created.push_back(current);
    } else if (errno != EEXIST) {
      return io_error("mkdir", current, errno);
    }
  }
  for (const auto& d : created) {
    FERRY_TRY(fsync_directory(d.has_parent_path() ? d.parent_path() : fs::path(".")));
  }
  return ok_status();
}

}  // namespace ferry
