#pragma once
// Webhook notifications as configured: the subscription service the API uses and
// the dispatcher that delivers, wired to each other.

#include <memory>

#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"
#include "core/secret_bytes.h"
#include "core/store.h"
#include "server/app/config.h"
#include "server/app/event_log.h"
#include "server/app/subscription_service.h"
#include "server/webhooks/dispatcher.h"

namespace vtpmd::app {

struct Notifications {
  // Declared first, so it outlives the service that calls into it.
  std::unique_ptr<webhooks::Dispatcher> dispatcher;
  std::unique_ptr<SubscriptionService> subscriptions;
};

Result<std::unique_ptr<Notifications>> StartNotifications(const Config& config, Store& store, EventLog& events,
                                                          const SecretBytes& data_key, const Clock& clock, Rng& rng);

}  // namespace vtpmd::app
