// A real ferryd process for process-level tests: free loopback ports, its own temp data dir,
// output captured to a log file, readiness checked with a real Kafka Metadata request, and
// graceful (SIGTERM) or crash (SIGKILL) stops followed by restarts on the same ports and data.
//
// The binary comes from the FERRYD environment variable (CTest sets it; see tests/CMakeLists.txt).
// Every wait is bounded; nothing sleeps for synchronisation.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace ferry::test {

// The ferryd binary under test (FERRYD), or an empty string when unset.
std::string ferryd_binary();

class FerrydProcess {
 public:
  // `overrides` are extra key=value settings (after the test defaults, so they win).
  explicit FerrydProcess(std::vector<std::string> overrides = {});
  ~FerrydProcess();  // kills the process if still running; the data dir goes with the object
  FerrydProcess(const FerrydProcess&) = delete;
  FerrydProcess& operator=(const FerrydProcess&) = delete;

  // Spawns ferryd; false if it could not be spawned.
  bool start();
  // Spawns with `args` instead of the test defaults (for argument/config error tests).
  bool start_with_args(const std::vector<std::string>& args);
  // True once Metadata from the Kafka port lists broker 1, within `timeout_ms`.
  bool wait_ready(int64_t timeout_ms = 20'000);
  // SIGTERM, then waits for exit: the exit status (or -1 on timeout, after SIGKILL).
  int stop(int64_t timeout_ms = 20'000);
  // SIGKILL and reap.
  void kill9();
  // Waits for a process that is expected to exit by itself: its exit code, or nullopt on timeout.
  std::optional<int> wait_exit(int64_t timeout_ms);
  bool running() { return child_ && child_->running(); }

  uint16_t kafka_port() const { return kafka_port_; }
  uint16_t controller_port() const { return controller_port_; }
  std::string bootstrap() const { return "127.0.0.1:" + std::to_string(kafka_port_); }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  // Everything ferryd printed so far (all runs).
  std::string output() const;

 private:
  bool spawn(const std::vector<std::string>& args);

  TempDir dir_;
  std::filesystem::path data_dir_;
  std::filesystem::path log_path_;
  std::vector<std::string> overrides_;
  uint16_t kafka_port_;
  uint16_t controller_port_;
  std::unique_ptr<ChildProcess> child_;
};

}  // namespace ferry::test
