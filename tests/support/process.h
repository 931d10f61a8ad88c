// Child processes for process-level tests (ferryd nodes, the ferry CLI in the background):
// spawned with posix_spawn (safe from multi-threaded tests), output appended to a log file,
// stopped gracefully (SIGTERM) or as a crash (SIGKILL), every wait bounded.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ferry::test {

// A TCP port on 127.0.0.1 that is free and stays this test process's own until it exits:
//   * picked in [20000, 30000), below Linux's ephemeral range (32768-60999), so no outgoing
//     connection of any process takes it between the pick and the bind, or between a kill -9
//     and the restart on the same port;
//   * claimed with a lock on /tmp/ferry-test-ports/<port> held until this process exits (the
//     kernel drops it even on a crash), so concurrently running tests (ctest -j, the Python
//     harness, which claims the same way) never pick the same port;
//   * bindable at the time of the pick (nothing else listens there).
uint16_t free_port();

// Polls `condition` every `poll_ms` until it holds or `timeout_ms` passes; the condition, not the
// poll interval, is the synchronisation. Returns the condition's last value.
bool eventually(const std::function<bool()>& condition, int64_t timeout_ms, int64_t poll_ms = 10);

struct ChildSpec {
  std::string program;
  std::vector<std::string> args;
  // With inherit_environment: the parent's environment minus every FERRY_* variable (a
  // developer's settings must not leak into a test), plus `env` ("KEY=VALUE"). Without it:
  // exactly `env`.
  std::vector<std::string> env;
  bool inherit_environment = true;
  std::filesystem::path log;  // stdout and stderr are appended here; stdin is /dev/null
};

class ChildProcess {
 public:
  explicit ChildProcess(ChildSpec spec) : spec_(std::move(spec)) {}
  ~ChildProcess() { kill9(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Spawns the process (again, after it exited). False if it could not be spawned.
  bool start();
  // False once the process has exited (it is then reaped).
  bool running();
  // Waits for the process to exit by itself: its exit code (-signal if killed by one), or
  // nullopt on timeout.
  std::optional<int> wait_exit(int64_t timeout_ms);
  // SIGTERM, then waits up to `timeout_ms`: the exit code, or -1 (it was then SIGKILLed).
  int terminate(int64_t timeout_ms);
  void kill9();
  pid_t pid() const { return pid_; }
  const ChildSpec& spec() const { return spec_; }

 private:
  ChildSpec spec_;
  pid_t pid_ = -1;
};

}  // namespace ferry::test
