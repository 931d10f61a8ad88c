// Real ferryd processes for process-level tests and the controller benchmark: N controller
// voters (process.roles=controller) on 127.0.0.1 with free ports and their own directories,
// started with `ferryd --config <file>`, killed with SIGKILL by pid, restarted on the same
// directories (or wiped ones). Every wait is bounded.
//
// Each process writes its stderr/stdout to <dir>/node-<id>.log (appended across restarts) at log
// level info (FERRY_CHILD_LOG_LEVEL overrides); a failing test prints the tails.
#pragma once

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/error.h"
#include "controller/quorum_admin.h"
#include "tests/support/describe_quorum.h"
#include "tests/support/process.h"

namespace ferry::controller::test {

using ferry::test::eventually;
using ferry::test::free_port;

// One controller node: ferryd --config <file>, output appended to <log>.
class FerrydProcess {
 public:
  FerrydProcess(std::string binary, std::filesystem::path config, std::filesystem::path log)
      : child_(ferry::test::ChildSpec{std::move(binary),
                                      {"--config", config.string()},
                                      // The child logs at info unless FERRY_CHILD_LOG_LEVEL says
                                      // otherwise (tests themselves run at warn).
                                      {std::string("FERRY_LOG_LEVEL=") + child_log_level()},
                                      true,
                                      std::move(log)}) {}

  bool start() { return child_.start(); }
  void kill9() { child_.kill9(); }
  // SIGTERM and wait up to timeout_ms for a clean exit, then SIGKILL. True if it exited cleanly.
  bool terminate(int64_t timeout_ms) { return child_.terminate(timeout_ms) == 0; }
  // False once the process has exited (it is reaped).
  bool alive() { return child_.running(); }
  pid_t pid() const { return child_.pid(); }

 private:
  static std::string child_log_level() {
    const char* level = std::getenv("FERRY_CHILD_LOG_LEVEL");  // e.g. debug, to dig in
    return level != nullptr ? level : "info";
  }
  ferry::test::ChildProcess child_;
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
    return ferry::test::describe_quorum_of(voter_entries_, timeout_ms);
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
