// Real ferryd processes for process-level tests and the controller benchmark: N controller
// voters (process.roles=controller) on 127.0.0.1 with free ports and their own directories,
// started with `ferryd --config <file>`, killed with SIGKILL by pid, restarted on the same
// directories (or wiped ones). Every wait is bounded.
//
// Each process writes its stderr/stdout to <dir>/node-<id>.log (appended across restarts) at log
// level info (FERRY_CHILD_LOG_LEVEL overrides); a failing test prints the tails.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/config.h"
#include "common/error.h"
#include "controller/quorum_admin.h"

extern char** environ;

namespace ferry::controller::test {

inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

inline bool eventually(const std::function<bool()>& condition, int64_t timeout_ms,
                       int64_t poll_ms = 10) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
  }
  return condition();
}

class FerrydProcess {
 public:
  FerrydProcess(std::string binary, std::filesystem::path config, std::filesystem::path log)
      : binary_(std::move(binary)), config_(std::move(config)), log_(std::move(log)) {}
  ~FerrydProcess() { kill9(); }

  bool start() {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::string config = config_.string();
    std::vector<char*> argv = {binary_.data(), const_cast<char*>("--config"), config.data(),
                               nullptr};
    // The child logs at info (tests run with FERRY_LOG_LEVEL=warn, which it would inherit).
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::string_view(*e).starts_with("FERRY_LOG_LEVEL=")) continue;
      env_strings.emplace_back(*e);
    }
    const char* child_level = std::getenv("FERRY_CHILD_LOG_LEVEL");  // e.g. debug, to dig in
    env_strings.emplace_back(std::string("FERRY_LOG_LEVEL=") +
                             (child_level != nullptr ? child_level : "info"));
    std::vector<char*> envp;
    for (auto& e : env_strings)
      envp.push_back(e.data());
    envp.push_back(nullptr);
    const int rc = posix_spawn(&pid_, binary_.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) pid_ = -1;
    return rc == 0;
  }
  void kill9() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  // SIGTERM and wait up to timeout_ms for a clean exit, then SIGKILL. True if it exited cleanly.
  bool terminate(int64_t timeout_ms) {
    if (pid_ <= 0) return true;
    ::kill(pid_, SIGTERM);
    int status = 0;
    const bool exited =
        eventually([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, timeout_ms);
    if (!exited) {
      kill9();
      return false;
    }
    pid_ = -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  // False once the process has exited (it is reaped).
  bool alive() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }
  pid_t pid() const { return pid_; }

 private:
  std::string binary_;
  std::filesystem::path config_;
  std::filesystem::path log_;
  pid_t pid_ = -1;
};

class ControllerProcessCluster {
 public:
  ControllerProcessCluster(int voters, std::filesystem::path dir,
                           std::map<std::string, std::string> extra = {})
      : dir_(std::move(dir)), extra_(std::move(extra)) {
    for (int i = 1; i <= voters; ++i)
      ports_[i] = free_port();
    for (const auto& [id, port] : ports_) {
      voter_entries_.push_back(std::to_string(id) + "@127.0.0.1:" + std::to_string(port));
    }
    for (const auto& [id, port] : ports_) {
      const auto config = dir_ / ("node-" + std::to_string(id) + ".properties");
      processes_.emplace(
          id, std::make_unique<FerrydProcess>(FERRYD_PATH, config,
                                              dir_ / ("node-" + std::to_string(id) + ".log")));
    }
  }

  const std::vector<std::string>& voter_entries() const { return voter_entries_; }
  std::string voters() const {
    std::string out;
    for (const auto& v : voter_entries_)
      out += (out.empty() ? "" : ",") + v;
    return out;
  }
  std::string address(int id) const { return "127.0.0.1:" + std::to_string(ports_.at(id)); }
  int port(int id) const { return ports_.at(id); }
  std::filesystem::path data_dir(int id) const { return dir_ / ("data-" + std::to_string(id)); }
  FerrydProcess& process(int id) { return *processes_.at(id); }

  bool start(int id) {
    write_config(id);
    return processes_.at(id)->start();
  }
  bool start_all() {
    bool ok = true;
    for (const auto& [id, port] : ports_)
      ok = start(id) && ok;
    return ok;
  }
  void kill9(int id) { processes_.at(id)->kill9(); }
  void wipe(int id) { std::filesystem::remove_all(data_dir(id)); }

  // The quorum as its leader describes it (asking each voter in turn, bounded).
  Result<QuorumDescription> describe(int64_t timeout_ms = 1000) const {
    return describe_quorum_of(voter_entries_, timeout_ms);
  }
  // Waits for a leader that answers describe-quorum; -1 on timeout.
  int wait_for_leader(int64_t timeout_ms, const std::function<bool(int)>& accept = {}) const {
    int leader = -1;
    eventually(
        [&] {
          auto d = describe(500);
          if (!d.ok()) return false;
          if (accept && !accept(d->leader_id.value())) return false;
          leader = d->leader_id.value();
          return true;
        },
        timeout_ms, 20);
    return leader;
  }

  // Configuration for a pure broker (a test client of the quorum's gRPC API).
  config::BrokerConfig broker_config(int broker_id) const {
    auto c = config::BrokerConfig::from_map({{"node.id", std::to_string(broker_id)},
                                             {"process.roles", "broker"},
                                             {"controller.quorum.voters", voters()},
                                             {"log.dirs", (dir_ / "broker").string()}});
    return *c;
  }

  // The last lines of every node's log, for failure messages.
  std::string log_tails(size_t lines = 15) const {
    std::ostringstream out;
    for (const auto& [id, port] : ports_) {
      std::ifstream in(dir_ / ("node-" + std::to_string(id) + ".log"));
      std::vector<std::string> all;
      for (std::string line; std::getline(in, line);)
        all.push_back(line);
      out << "--- node " << id << " ---\n";
      for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) {
        out << all[i] << "\n";
      }
    }
    return out.str();
  }

 private:
  void write_config(int id) {
    std::map<std::string, std::string> c = {
        {"node.id", std::to_string(id)},
        {"process.roles", "controller"},
        {"listeners", "CONTROLLER://" + address(id)},
        {"controller.listener.names", "CONTROLLER"},
        {"controller.quorum.voters", voters()},
        {"log.dirs", data_dir(id).string()},
    };
    for (const auto& [k, v] : extra_)
      c[k] = v;
    std::ofstream out(dir_ / ("node-" + std::to_string(id) + ".properties"));
    for (const auto& [k, v] : c)
      out << k << "=" << v << "\n";
  }

  std::filesystem::path dir_;
  std::map<std::string, std::string> extra_;
  std::map<int, int> ports_;
  std::vector<std::string> voter_entries_;
  std::map<int, std::unique_ptr<FerrydProcess>> processes_;
};

}  // namespace ferry::controller::test
