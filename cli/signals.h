// SIGINT / SIGTERM as readable events instead of asynchronous handlers, so `produce` and
// `consume` stop cleanly (flush, commit, close) without a global flag: the signals are blocked
// in the calling thread and read from a signalfd.
//
// Create it in the main thread BEFORE any librdkafka handle, so threads started later inherit
// the blocked mask (librdkafka also blocks signals in its own threads). The destructor
// drains signals still pending (so none is delivered with its default action) and restores
// the previous mask. One instance at a time; not thread-safe.
#pragma once

#include <signal.h>

#include <memory>

#include "common/error.h"

namespace ferry::cli {

class SignalWatcher {
 public:
  // Errors: UNKNOWN_SERVER_ERROR with the system's message when signalfd() fails.
  static Result<std::unique_ptr<SignalWatcher>> create();
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  // Readable when a signal is pending (for poll()).
  int fd() const { return fd_; }
  // Whether SIGINT or SIGTERM has arrived (it is consumed; once true, stays true).
  bool stop_requested();

 private:
  SignalWatcher() = default;
  int fd_ = -1;
  bool stopped_ = false;
  bool restore_ = false;
  sigset_t old_mask_{};
};

}  // namespace ferry::cli
