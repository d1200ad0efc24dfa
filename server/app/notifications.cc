#include "server/app/notifications.h"

#include "core/file_io.h"

namespace vtpmd::app {
namespace {

constexpr std::size_t kMaxCaFileBytes = 4 * 1024 * 1024;

Result<webhooks::CallbackUrlPolicy> UrlPolicy(const Config& config) {
  webhooks::CallbackUrlPolicy policy;
  policy.allow_http_loopback = config.webhook_allow_http_loopback;
  policy.allow_loopback = config.webhook_allow_loopback || config.webhook_allow_http_loopback;
  for (const std::string& cidr : config.webhook_allowed_networks) {
    auto network = webhooks::IpNetwork::Parse(cidr);
    if (!network.ok()) return network.error().WithContext("webhook-allowed-networks");
    policy.allowed_networks.push_back(*network);
  }
  return policy;
}

}  // namespace

Result<std::unique_ptr<Notifications>> StartNotifications(const Config& config, Store& store, EventLog& events,
                                                          const SecretBytes& data_key, const Clock& clock, Rng& rng) {
  VTPMD_ASSIGN_OR_RETURN(webhooks::CallbackUrlPolicy policy, UrlPolicy(config));
  webhooks::WebhookClientOptions client_options;
  client_options.threads = config.webhook_threads;
  client_options.request_timeout = config.webhook_timeout;
  client_options.url_policy = policy;
  if (config.webhook_ca_file) {
    VTPMD_ASSIGN_OR_RETURN(client_options.extra_ca_pem, ReadSmallFile(*config.webhook_ca_file, kMaxCaFileBytes));
  }
  VTPMD_ASSIGN_OR_RETURN(std::unique_ptr<webhooks::WebhookClient> client,
                         webhooks::WebhookClient::Start(std::move(client_options)));

  webhooks::DispatcherOptions dispatch;
  dispatch.retry = {config.webhook_retry_first, config.webhook_retry_max};
  dispatch.retry_horizon = config.webhook_retry_horizon;
  dispatch.attempt_retention = config.webhook_attempt_retention;
  dispatch.disable_after_failures = config.webhook_disable_after_failures;
  dispatch.url_policy = policy;
  auto notifications = std::make_unique<Notifications>();
  VTPMD_ASSIGN_OR_RETURN(notifications->dispatcher, webhooks::Dispatcher::Start(std::move(dispatch), std::move(client),
                                                                                store, events, data_key, clock, rng));
  webhooks::Dispatcher* dispatcher = notifications->dispatcher.get();
  SubscriptionService::Options service;
  service.url_policy = std::move(policy);
  service.rotation_grace = config.webhook_secret_grace;
  service.changed = [dispatcher](std::string_view id) { dispatcher->Reload(id); };
  notifications->subscriptions =
      std::make_unique<SubscriptionService>(std::move(service), store, events, data_key, clock, rng);
  return notifications;
}

}  // namespace vtpmd::app
