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

// Whether `text` is one or more lines, each a JSON document according to Python's json module
// (an independent parser); says why on stderr when not.
bool valid_json_lines(const std::string& text);

// Long-running children (ferryd) and free ports: tests/support/process.h.

}  // namespace ferry::cli::test
