// Runs a program to completion with a bounded wait, feeding stdin and capturing stdout and
// stderr (for the process tests of `ferry`).
//
// The child gets the parent's environment minus every FERRY_* variable (so a developer's
// FERRY_BROKERS or profile cannot leak into a test), plus `env` ("KEY=VALUE"), and HOME set
// to `home` when given. If it has not exited within `timeout_ms` it is killed with SIGKILL and
// `timed_out` is set. No fixed sleeps: the wait is poll() on the pipes plus waitpid().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ferry::cli::test {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;      // the signal that ended it, if any
  bool timed_out = false;
  int64_t elapsed_ms = 0;
  std::string out;
  std::string err;
};

struct ProcessSpec {
  std::string program;
  std::vector<std::string> args;
  std::string stdin_data;
  std::vector<std::string> env;  // extra "KEY=VALUE"
  std::string home;              // HOME for the child; empty: unchanged
  int64_t timeout_ms = 30'000;
};

ProcessResult run_process(const ProcessSpec& spec);

// A long-running child (a ferryd) with stdout and stderr appended to `log_path`. The
// destructor stops it like stop() if it is still running.
class BackgroundProcess {
 public:
  BackgroundProcess(const ProcessSpec& spec, const std::string& log_path);
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  // Whether it is still running (reaps it if it has exited).
  bool running();
  // SIGTERM, then SIGKILL if it has not exited within `grace_ms`; waits for it. Returns the
  // exit status as run_process reports it (-1 when killed by a signal).
  int stop(int64_t grace_ms = 10'000);

 private:
  bool wait_exit(int64_t timeout_ms);
  int pid_ = -1;
  int pidfd_ = -1;
  int status_ = 0;
  bool exited_ = false;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
int free_loopback_port();

}  // namespace ferry::cli::test
