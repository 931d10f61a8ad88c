// What a command handler gets: the parsed command line, the global options, the environment
// and the process's streams. Handlers return the exit status (report.h).
#pragma once

#include <ostream>
#include <string>

#include "cli/args.h"
#include "cli/brokers.h"
#include "cli/kafka/client.h"
#include "cli/options.h"

namespace ferry::cli {

struct CommandContext {
  const Invocation& inv;
  const GlobalOptions& global;
  const Environment& env;
  std::ostream& out;
  std::ostream& err;
  int stdin_fd = 0;

  const CommandSpec& spec() const { return *inv.command; }
  // "topic create": the command part of error lines.
  std::string command_name() const { return std::string(inv.command->path); }
  // Prints a usage error ("ferry: <message with hint>") and returns kExitUsage.
  int usage_failure(const Error& error) const;
  // Client settings with the brokers resolved (brokers.h). Errors are configuration errors,
  // already worded as usage errors (with the hint): print them with usage_failure().
  Result<ClientSettings> client_settings() const;
  // client_settings() + Client::create(); errors are configuration errors as above.
  Result<std::unique_ptr<Client>> make_client(
      Client::Kind kind, const std::vector<std::pair<std::string, std::string>>& extra = {},
      Client::DeliveryCallback on_delivery = nullptr) const;
};

}  // namespace ferry::cli
