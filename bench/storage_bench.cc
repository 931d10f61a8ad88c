// storage_bench: how close PartitionLog gets to the disk, measured in one run.
//
//   1. raw reference: write(2) of 1 MiB chunks to a fresh file, fdatasync after each one
//      (and the same with 16 KiB chunks);
//   2. PartitionLog::append_as_leader with 100-byte records in 16 KiB and 1 MiB batches:
//      - page cache (one flush at the end),
//      - flush() after every batch (one producer),
//      - group commit: 4 producers, each appending then calling flush() (acks=all style);
//   3. reads of everything back (page cache), and CRC32C speed.
// Every figure is printed with its ratio to the raw 1 MiB fdatasync bandwidth of the same run
// (measured first, and once more at the end to show drift on shared disks).
// Usage: storage_bench [--dir DIR (default /var/tmp; not tmpfs)] [--mib N (default 256)]
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/crc32c.h"
#include "storage/partition_log.h"
#include "storage/record_batch_builder.h"

namespace fs = std::filesystem;
using namespace ferry;
using namespace ferry::storage;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double raw_fdatasync_mbps(const fs::path& dir, size_t chunk, size_t total) {
  const fs::path file = dir / "raw.bin";
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::perror("open");
    std::exit(1);
  }
  std::vector<char> buf(chunk, 'x');
  const auto start = std::chrono::steady_clock::now();
  for (size_t done = 0; done < total; done += chunk) {
    if (::write(fd, buf.data(), chunk) != static_cast<ssize_t>(chunk) || ::fdatasync(fd) != 0) {
      std::perror("write/fdatasync");
      std::exit(1);
    }
  }
  const double s = seconds_since(start);
  ::close(fd);
  fs::remove(file);
  return static_cast<double>(total) / s / 1e6;
}

// A batch of 100-byte records of about `batch_bytes`.
Bytes make_sized_batch(size_t batch_bytes) {
  const int records = static_cast<int>(batch_bytes / 110);
  return make_batch(records, 100, 1'700'000'000'000, 7);
}

std::shared_ptr<PartitionLog> fresh_log(const fs::path& dir, const std::string& topic,
                                        Clock& clock) {
  LogConfig config;
  config.max_message_bytes = 2 << 20;
  auto log = PartitionLog::create(dir, {topic, 0}, "", config, clock);
  if (!log.ok()) {
    std::fprintf(stderr, "create: %s\n", log.error().to_string().c_str());
    std::exit(1);
  }
  return *log;
}

void check(const Status& s) {
  if (!s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.error().to_string().c_str());
    std::exit(1);
  }
}

enum class Mode { kPageCache, kFlushEachBatch, kGroupCommit };

double append_mbps(const fs::path& dir, Clock& clock, size_t batch_bytes, size_t total, Mode mode,
                   const std::string& topic) {
  auto log = fresh_log(dir, topic, clock);
  const Bytes batch = make_sized_batch(batch_bytes);
  const size_t batches = std::max<size_t>(1, total / batch.size());
  const int producers = mode == Mode::kGroupCommit ? 4 : 1;
  std::atomic<size_t> next{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&] {
      Bytes buf = batch;  // append rewrites offset/epoch in place; the CRC stays valid
      while (next.fetch_add(1) < batches) {
        auto r = log->append_as_leader(buf, LeaderEpoch(0));
        if (!r.ok()) check(r.error());
        if (mode != Mode::kPageCache) check(log->flush());
      }
    });
  }
  for (auto& t : threads)
    t.join();
  check(log->flush());
  const double s = seconds_since(start);
  check(log->close());
  return static_cast<double>(batches * batch.size()) / s / 1e6;
}

double read_mbps(const fs::path& dir, Clock& clock, size_t total) {
  auto log = fresh_log(dir, "read", clock);
  Bytes batch = make_sized_batch(1 << 20);
  for (size_t done = 0; done < total; done += batch.size()) {
    auto r = log->append_as_leader(batch, LeaderEpoch(0));
    if (!r.ok()) check(r.error());
  }
  check(log->flush());
  const Offset end = log->log_end_offset();
  size_t bytes = 0;
  const auto start = std::chrono::steady_clock::now();
  for (Offset o{0}; o < end;) {
    auto r = log->read(o, 1 << 20, end);
    if (!r.ok()) check(r.error());
    auto data = r->slice.copy_to_memory();
    if (!data.ok()) check(data.error());
    bytes += data->size();
    o = r->last_offset + 1;
  }
  const double s = seconds_since(start);
  check(log->close());
  return static_cast<double>(bytes) / s / 1e6;
}

double crc_gbps() {
  std::vector<uint8_t> buf(1 << 20, 0x5A);
  uint32_t sink = 0;
  const int rounds = 4000;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < rounds; ++i)
    sink ^= crc32c(buf.data(), buf.size());
  const double s = seconds_since(start);
  if (sink == 0xFFFFFFFF) std::puts("");
  return static_cast<double>(buf.size()) * rounds / s / 1e9;
}

void row(const char* name, double mbps, double raw) {
  std::printf("%-58s %10.1f MB/s   %5.2f x raw\n", name, mbps, mbps / raw);
}

}  // namespace

int main(int argc, char** argv) {
  fs::path base = "/var/tmp";
  size_t mib = 256;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--dir") == 0) base = argv[i + 1];
    if (std::strcmp(argv[i], "--mib") == 0) mib = std::strtoul(argv[i + 1], nullptr, 10);
  }
  std::string pattern = (base / "ferry-bench-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const fs::path dir = pattern;
  const size_t total = mib << 20;
  SystemClock& clock = SystemClock::instance();
  std::printf("storage_bench: %zu MiB per figure in %s\n\n", mib, dir.c_str());

  const double raw_1m = raw_fdatasync_mbps(dir, 1 << 20, total);
  const double raw_16k = raw_fdatasync_mbps(dir, 16 << 10, total / 8);
  row("raw write+fdatasync, 1 MiB chunks (reference)", raw_1m, raw_1m);
  row("raw write+fdatasync, 16 KiB chunks", raw_16k, raw_1m);
  for (const size_t batch : {size_t{16} << 10, size_t{1} << 20}) {
    const size_t bytes = batch == (size_t{1} << 20) ? total : total / 8;
    const std::string size = batch == (size_t{1} << 20) ? "1 MiB" : "16 KiB";
    row(("log append " + size + " batches, page cache (one flush at end)").c_str(),
        append_mbps(dir, clock, batch, bytes, Mode::kPageCache, "pc" + size.substr(0, 2)), raw_1m);
    row(("log append " + size + " batches, flush per batch (1 producer)").c_str(),
        append_mbps(dir, clock, batch, bytes, Mode::kFlushEachBatch, "fl" + size.substr(0, 2)),
        raw_1m);
    row(("log append " + size + " batches, group commit (4 producers)").c_str(),
        append_mbps(dir, clock, batch, bytes, Mode::kGroupCommit, "gc" + size.substr(0, 2)),
        raw_1m);
  }
  row("log read, 1 MiB reads (page cache, copy to memory)", read_mbps(dir, clock, total), raw_1m);
  // The disk is shared and noisy: measure the reference again so drift shows.
  row("raw write+fdatasync, 1 MiB chunks (again, end of run)",
      raw_fdatasync_mbps(dir, 1 << 20, total), raw_1m);
  std::printf("%-58s %10.2f GB/s   (%s)\n", "CRC32C, 1 MiB buffers", crc_gbps(),
              crc32c_hardware_available() ? "SSE4.2" : "portable");
  fs::remove_all(dir);
  return 0;
}
