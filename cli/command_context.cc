#include "cli/command_context.h"

#include "cli/report.h"

namespace ferry::cli {

int CommandContext::usage_failure(const Error& error) const {
  err << "ferry: " << error.message() << '\n';
  err.flush();
  return kExitUsage;
}

Result<ClientSettings> CommandContext::client_settings() const {
  FERRY_ASSIGN_OR_RETURN(ResolvedBrokers brokers, resolve_brokers(global.brokers, env));
  ClientSettings settings;
  settings.brokers = std::move(brokers.brokers);
  settings.timeout_ms = global.timeout_ms;
  settings.properties = global.rdkafka_properties;
  settings.verbose = global.verbose;
  return settings;
}

Result<std::unique_ptr<Client>> CommandContext::make_client(
    Client::Kind kind, const std::vector<std::pair<std::string, std::string>>& extra,
    Client::DeliveryCallback on_delivery) const {
  FERRY_ASSIGN_OR_RETURN(ClientSettings settings, client_settings());
  return Client::create(kind, settings, extra, std::move(on_delivery));
}

}  // namespace ferry::cli
