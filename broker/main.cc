// ferryd: the Ferry server. Roles come from process.roles (broker, controller, or both, the
// default): the controller role runs a voter of the Raft controller quorum; the broker role
// serves Kafka clients on every listener not named in controller.listener.names.
//
//   ferryd [--config FILE] [--override key=value]... [--help] [--version]
//
// Configuration: defaults < FILE < FERRY_* environment variables < --override. SIGTERM or
// SIGINT shut down gracefully (drain requests, close logs cleanly, hand off leadership).
#include <signal.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/broker.h"
#include "broker/kafka/dispatcher.h"
#include "broker/net/kafka_server.h"
#include "broker/replica_links.h"
#include "common/config.h"
#include "common/log.h"
#include "controller/server.h"

namespace {

using namespace ferry;

constexpr int kUsageError = 2;

void print_usage(std::FILE* out) {
  std::fprintf(out,
               "usage: ferryd [--config FILE] [--override key=value]... [--help] [--version]\n");
}

struct Args {
  config::BrokerConfig::Sources sources;
  bool help = false;
  bool version = false;
};

std::optional<Args> parse_args(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* name) -> std::optional<std::string> {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "ferryd: %s needs a value\n", name);
        return std::nullopt;
      }
      return std::string(argv[++i]);
    };
    if (arg == "--help" || arg == "-h") {
      args.help = true;
    } else if (arg == "--version") {
      args.version = true;
    } else if (arg == "--config" || arg == "-c") {
      auto v = value("--config");
      if (!v) return std::nullopt;
      args.sources.file_path = *v;
    } else if (arg.starts_with("--config=")) {
      args.sources.file_path = arg.substr(9);
    } else if (arg == "--override") {
      auto v = value("--override");
      if (!v) return std::nullopt;
      args.sources.overrides.push_back(*v);
    } else if (arg.starts_with("--override=")) {
      args.sources.overrides.push_back(arg.substr(11));
    } else {
      std::fprintf(stderr, "ferryd: unknown argument '%s'\n", arg.c_str());
      return std::nullopt;
    }
  }
  args.sources.environment = config::BrokerConfig::process_environment();
  return args;
}

bool has_role(const config::BrokerConfig& config, const std::string& role) {
  const auto roles = config.get_list("process.roles");
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

// The Kafka listeners of this broker: every listener not used by the controller.
Result<std::vector<broker::ListenerAddress>> client_listeners(const config::BrokerConfig& config) {
  const auto controller_names = config.get_list("controller.listener.names");
  std::vector<broker::ListenerAddress> out;
  for (const auto& text : config.get_list("listeners")) {
    FERRY_ASSIGN_OR_RETURN(auto l, broker::parse_listener(text));
    if (std::find(controller_names.begin(), controller_names.end(), l.name) ==
        controller_names.end()) {
      out.push_back(std::move(l));
    }
  }
  if (out.empty()) {
    return Error(ErrorCode::INVALID_CONFIG,
                 "process.roles includes broker but listeners has no client listener (every "
                 "listener is named in controller.listener.names)");
  }
  return out;
}

int fail(const std::string& what, const Error& error) {
  std::fprintf(stderr, "ferryd: %s: %s\n", what.c_str(), error.to_string().c_str());
  return 1;
}

sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

// A shutdown signal that arrived while start-up was waiting (consumed, remembered).
int g_pending_signal = 0;

bool shutdown_requested() {
  if (g_pending_signal != 0) return true;
  const sigset_t set = shutdown_signals();
  timespec zero{};
  const int s = sigtimedwait(&set, nullptr, &zero);
  if (s > 0) g_pending_signal = s;
  return g_pending_signal != 0;
}

int wait_for_signal() {
  if (g_pending_signal != 0) return g_pending_signal;
  const sigset_t set = shutdown_signals();
  int signal_number = 0;
  sigwait(&set, &signal_number);
  return signal_number;
}

int run(const config::BrokerConfig& config) {
  const bool broker_role = has_role(config, "broker");
  const bool controller_role = has_role(config, "controller");
  auto log = logger("ferryd");

  broker::net::IoRuntime io(config.get_int("num.network.threads"));
  std::unique_ptr<controller::ControllerServer> controller_server;
  std::unique_ptr<controller::QuorumClient> quorum_client;
  controller::ControllerApi* api = nullptr;
  controller::MetadataSource* metadata = nullptr;
  if (controller_role) {
    auto started = controller::ControllerServer::start(config);
    if (!started.ok()) return fail("starting the controller role", started.error());
    controller_server = std::move(started).value();
    api = &controller_server->api();
    metadata = &controller_server->metadata();
  } else {
    auto connected = controller::QuorumClient::connect(config);
    if (!connected.ok()) return fail("connecting to the controller quorum", connected.error());
    quorum_client = std::move(connected).value();
    api = &quorum_client->api();
    metadata = &quorum_client->metadata();
  }

  std::unique_ptr<broker::KafkaReplicaFetchClients> fetch_clients;
  std::unique_ptr<broker::Broker> broker;
  std::unique_ptr<broker::kafka::Dispatcher> dispatcher;
  std::vector<std::unique_ptr<broker::net::KafkaServer>> servers;
  if (broker_role) {
    auto listeners = client_listeners(config);
    if (!listeners.ok()) return fail("configuration", listeners.error());
    fetch_clients = std::make_unique<broker::KafkaReplicaFetchClients>(
        io, NodeId(config.get_int("node.id")), config.get_long("replica.socket.timeout.ms"));
    broker = std::make_unique<broker::Broker>(config, *api, *metadata, io.executor(),
                                              SystemClock::instance(), *fetch_clients);
    dispatcher = std::make_unique<broker::kafka::Dispatcher>(*broker);
    for (auto& l : *listeners) {
      broker::net::ServerOptions options;
      options.listener_name = l.name;
      options.host = l.host.empty() ? "0.0.0.0" : l.host;
      options.port = static_cast<uint16_t>(l.port);
      options.max_request_bytes = config.get_int("socket.request.max.bytes");
      options.idle_timeout_ms = config.get_long("connections.max.idle.ms");
      auto& server = servers.emplace_back(
          std::make_unique<broker::net::KafkaServer>(io, *dispatcher, options));
      auto port = server->listen();
      if (!port.ok()) return fail("starting listener " + l.name, port.error());
      l.port = *port;
    }
    if (auto started = broker->start(*listeners); !started.ok()) {
      return fail("starting the broker role", started.error());
    }
    // Like Kafka, serve clients only once the controller quorum has unfenced this broker;
    // connections made meanwhile wait in the listen backlog.
    while (!broker->wait_until_ready(5000)) {
      if (shutdown_requested()) break;
      log->info("waiting for the controller quorum to register and unfence node {}",
                config.get("node.id"));
    }
    for (size_t i = 0; i < servers.size(); ++i) {
      servers[i]->start_accepting();
      log->info("serving Kafka clients on {}://{}:{}", (*listeners)[i].name, (*listeners)[i].host,
                (*listeners)[i].port);
    }
  }
  log->info("ferryd node {} started (roles: {})", config.get("node.id"),
            config.get("process.roles"));

  const int signal_number = wait_for_signal();
  log->info("received signal {}, shutting down", signal_number);
  // Kafka's order: leaderships move while this broker still answers (clients follow
  // NOT_LEADER_OR_FOLLOWER to the new leaders), then the listeners drain and close, then the
  // partitions close. Closing the listeners first would leave the partitions without a reachable
  // leader until the controller noticed.
  if (broker) broker->controlled_shutdown();
  for (auto& s : servers)
    s->stop(5000);
  if (broker) broker->shutdown();
  if (controller_server) controller_server->shutdown();
  if (quorum_client) quorum_client->shutdown();
  io.stop();
  log->info("ferryd node {} stopped", config.get("node.id"));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Block the shutdown signals in every thread (threads inherit the mask); main waits for them.
  const sigset_t set = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a peer closing mid-sendfile must not kill the process

  const auto args = parse_args(argc, argv);
  if (!args.has_value()) {
    print_usage(stderr);
    return kUsageError;
  }
  if (args->help) {
    print_usage(stdout);
    std::printf("\nConfiguration keys (properties file, FERRY_* environment, --override):\n\n%s",
                config::render_help().c_str());
    return 0;
  }
  if (args->version) {
    std::printf("ferryd %s\n", FERRY_VERSION);
    return 0;
  }
  auto config = config::BrokerConfig::load(args->sources);
  if (!config.ok()) return fail("configuration", config.error());
  init_logging(config->get("log.level"));
  return run(*config);
}
