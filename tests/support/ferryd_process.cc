#include "tests/support/ferryd_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/kafka_test_client.h"

namespace ferry::test {

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Polls `done` every few milliseconds until it holds or `timeout_ms` passes (the poll interval
// is not synchronisation: the condition is).
template <typename F>
bool poll_until(int64_t timeout_ms, F done) {
  const int64_t deadline = now_ms() + timeout_ms;
  while (true) {
    if (done()) return true;
    if (now_ms() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string ferryd_binary() {
  const char* path = std::getenv("FERRYD");
  return path == nullptr ? std::string() : std::string(path);
}

FerrydProcess::FerrydProcess(std::vector<std::string> overrides)
    : data_dir_(dir_.path() / "data"),
      log_path_(dir_.path() / "ferryd.log"),
      overrides_(std::move(overrides)),
      kafka_port_(free_port()),
      controller_port_(free_port()) {}

FerrydProcess::~FerrydProcess() {
  if (pid_ > 0) kill9();
}

bool FerrydProcess::start() {
  const std::string ctrl = "127.0.0.1:" + std::to_string(controller_port_);
  std::vector<std::string> args = {
      "--override",
      "node.id=1",
      "--override",
      "listeners=PLAINTEXT://127.0.0.1:" + std::to_string(kafka_port_) + ",CONTROLLER://" + ctrl,
      "--override",
      "controller.quorum.voters=1@" + ctrl,
      "--override",
      "log.dirs=" + data_dir_.string(),
      "--override",
      "broker.session.timeout.ms=2000",
      "--override",
      "broker.heartbeat.interval.ms=300",
      "--override",
      "log.level=info"};
  for (const auto& o : overrides_) {
    args.push_back("--override");
    args.push_back(o);
  }
  return spawn(args);
}

bool FerrydProcess::start_with_args(const std::vector<std::string>& args) {
  return spawn(args);
}

bool FerrydProcess::spawn(const std::vector<std::string>& args) {
  const std::string binary = ferryd_binary();
  if (binary.empty() || pid_ > 0) return false;
  const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return false;
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (const auto& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  // Configuration comes from the arguments only, not from a developer's FERRY_* variables.
  // Built before fork(): the child of a multi-threaded test may only exec.
  std::vector<char*> envp;
  for (char** env = environ; *env != nullptr; ++env) {
    if (!std::string_view(*env).starts_with("FERRY_")) envp.push_back(*env);
  }
  envp.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::execve(binary.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(log_fd);
  if (pid < 0) return false;
  pid_ = pid;
  return true;
}

bool FerrydProcess::wait_ready(int64_t timeout_ms) {
  return poll_until(timeout_ms,
                    [&] {
                      if (pid_ <= 0) return false;
                      int status = 0;
                      if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // died during start-up
                        pid_ = -1;
                        return false;
                      }
                      KafkaTestClient client(kafka_port_, 1000);
                      if (!client.connected()) return false;
                      kafka::MetadataRequest request;  // no topics: brokers only
                      auto response =
                          client.call<kafka::MetadataRequest, kafka::MetadataResponse>(request, 4);
                      if (!response) return false;
                      for (const auto& b : response->brokers) {
                        if (b.node_id == 1) return true;
                      }
                      return false;
                    }) &&
         pid_ > 0;
}

std::optional<int> FerrydProcess::wait_exit(int64_t timeout_ms) {
  if (pid_ <= 0) return std::nullopt;
  int status = 0;
  const bool exited =
      poll_until(timeout_ms, [&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; });
  if (!exited) return std::nullopt;
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

int FerrydProcess::stop(int64_t timeout_ms) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  if (auto code = wait_exit(timeout_ms)) return *code;
  kill9();
  return -1;
}

void FerrydProcess::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string FerrydProcess::output() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace ferry::test
