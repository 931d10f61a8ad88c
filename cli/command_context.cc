#include "cli/command_context.h"

#include "cli/report.h"

namespace ferry::cli {

int CommandContext::usage_failure(const Error& error) const {
  err << "ferry: " << error.message() << '\n';
  err.flush();
  return kExitUsage;
}

Result<ClientSettings> CommandContext::client_settings() const {
  auto brokers = resolve_brokers(global.brokers, env);
  if (!brokers.ok()) return usage_error(inv.command, brokers.error().message());
  ClientSettings settings;
  settings.brokers = std::move(brokers->brokers);
  settings.timeout_ms = global.timeout_ms;
  settings.properties = global.rdkafka_properties;
  settings.verbose = global.verbose;
  return settings;
}

Result<std::unique_ptr<Client>> CommandContext::make_client(
    Client::Kind kind, const std::vector<std::pair<std::string, std::string>>& extra,
    Client::DeliveryCallback on_delivery) const {
  FERRY_ASSIGN_OR_RETURN(ClientSettings settings, client_settings());
  auto client = Client::create(kind, settings, extra, std::move(on_delivery));
  if (!client.ok()) return usage_error(inv.command, client.error().message());
  return client;
}

}  // namespace ferry::cli
