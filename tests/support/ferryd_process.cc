#include "tests/support/ferryd_process.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tests/support/kafka_test_client.h"

namespace ferry::test {

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
  kill9();
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
  if (binary.empty() || running()) return false;
  // Configuration comes from the arguments only: ChildProcess drops FERRY_* variables.
  child_ = std::make_unique<ChildProcess>(ChildSpec{binary, args, {}, true, log_path_});
  return child_->start();
}

bool FerrydProcess::wait_ready(int64_t timeout_ms) {
  return eventually(
             [&] {
               if (!running()) return false;  // died during start-up
               KafkaTestClient client(kafka_port_, 1000);
               if (!client.connected()) return false;
               broker::kafka::MetadataRequest request;  // no topics: brokers only
               auto response =
                   client.call<broker::kafka::MetadataRequest, broker::kafka::MetadataResponse>(
                       request, 4);
               if (!response) return false;
               for (const auto& b : response->brokers) {
                 if (b.node_id == 1) return true;
               }
               return false;
             },
             timeout_ms, 20) &&
         running();
}

std::optional<int> FerrydProcess::wait_exit(int64_t timeout_ms) {
  return child_ ? child_->wait_exit(timeout_ms) : std::nullopt;
}

int FerrydProcess::stop(int64_t timeout_ms) {
  return child_ ? child_->terminate(timeout_ms) : -1;
}

void FerrydProcess::kill9() {
  if (child_) child_->kill9();
}

std::string FerrydProcess::output() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace ferry::test
