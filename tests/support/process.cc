#include "tests/support/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string_view>
#include <thread>

extern char** environ;

namespace ferry::test {

namespace {

bool bindable(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const int one = 1;  // as the servers bind: a port in TIME_WAIT is usable
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// An exclusive lock on the port's claim file, kept open (and so held) until the process exits.
bool claim(uint16_t port) {
  static const char* const kDir = "/tmp/ferry-test-ports";
  ::mkdir(kDir, 01777);
  const std::string path = std::string(kDir) + "/" + std::to_string(port);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return false;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return false;
  }
  if (!bindable(port)) {
    ::close(fd);  // someone else's server: leave the port alone
    return false;
  }
  return true;  // fd intentionally kept open: the claim lasts as long as this process
}

}  // namespace

uint16_t free_port() {
  static std::mutex mu;
  static std::mt19937 rng{std::random_device{}()};  // the choice never affects what is checked
  std::lock_guard lock(mu);
  std::uniform_int_distribution<int> pick(20000, 29999);
  for (int attempt = 0; attempt < 2000; ++attempt) {
    const auto port = static_cast<uint16_t>(pick(rng));
    if (claim(port)) return port;
  }
  std::fprintf(stderr, "free_port: no free port in [20000, 30000) after 2000 tries\n");
  std::abort();
}

bool eventually(const std::function<bool()>& condition, int64_t timeout_ms, int64_t poll_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
  }
  return condition();
}

bool ChildProcess::start() {
  if (pid_ > 0) return false;
  std::vector<std::string> argv_strings{spec_.program};
  argv_strings.insert(argv_strings.end(), spec_.args.begin(), spec_.args.end());
  std::vector<std::string> env_strings;
  if (spec_.inherit_environment) {
    for (char** e = environ; *e != nullptr; ++e) {
      if (!std::string_view(*e).starts_with("FERRY_")) env_strings.emplace_back(*e);
    }
  }
  env_strings.insert(env_strings.end(), spec_.env.begin(), spec_.env.end());
  std::vector<char*> argv, envp;
  for (auto& a : argv_strings)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_strings)
    envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, spec_.log.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const int rc =
      ::posix_spawn(&pid_, spec_.program.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) pid_ = -1;
  return rc == 0;
}

bool ChildProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::optional<int> ChildProcess::wait_exit(int64_t timeout_ms) {
  if (pid_ <= 0) return std::nullopt;
  int status = 0;
  if (!eventually([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, timeout_ms)) {
    return std::nullopt;
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

int ChildProcess::terminate(int64_t timeout_ms) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  if (auto code = wait_exit(timeout_ms)) return *code;
  kill9();
  return -1;
}

void ChildProcess::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace ferry::test
