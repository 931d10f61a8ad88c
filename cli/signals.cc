#include "cli/signals.h"

#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ferry::cli {

Result<std::unique_ptr<SignalWatcher>> SignalWatcher::create() {
  std::unique_ptr<SignalWatcher> watcher(new SignalWatcher());
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (pthread_sigmask(SIG_BLOCK, &set, &watcher->old_mask_) != 0) {
    return Error(ErrorCode::UNKNOWN_SERVER_ERROR, "pthread_sigmask failed");
  }
  watcher->restore_ = true;
  watcher->fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (watcher->fd_ < 0) {
    return Error(ErrorCode::UNKNOWN_SERVER_ERROR,
                 std::string("signalfd failed: ") + std::strerror(errno));
  }
  return watcher;
}

SignalWatcher::~SignalWatcher() {
  if (fd_ >= 0) {
    (void)stop_requested();  // drain: a pending signal must not fire when the mask is restored
    ::close(fd_);
  }
  if (restore_) pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

bool SignalWatcher::stop_requested() {
  signalfd_siginfo info;
  while (::read(fd_, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info)))
    stopped_ = true;
  return stopped_;
}

}  // namespace ferry::cli
