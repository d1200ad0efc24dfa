#pragma once
// Webhook subscriptions as their owners manage them. A subscriber sees and changes
// only the subscriptions its token created (another's reads as absent, so ids
// leak nothing); an admin sees and changes all. Every change is handed to the
// dispatcher so it takes effect on the next delivery.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"
#include "core/secret_bytes.h"
#include "core/store.h"
#include "server/app/event_log.h"
#include "server/app/subscription_records.h"
#include "server/webhooks/callback_url.h"

namespace vtpmd::app {

struct SubscriptionCaller {
  std::string token_id;
  bool admin = false;
};

struct SubscriptionSettings {
  std::string url;
  std::vector<std::string> event_types;
  std::vector<std::string> vm_ids;
  std::vector<std::string> instance_ids;
};

struct SubscriptionPatch {
  std::optional<std::string> url;
  std::optional<std::vector<std::string>> event_types;
  std::optional<std::vector<std::string>> vm_ids;
  std::optional<std::vector<std::string>> instance_ids;
  std::optional<SubscriptionState> state;  // active (resume) or paused
};

struct SubscriptionWithSecret {
  Subscription subscription;
  SecretBytes secret;  // "whsec_...", shown once
};

class SubscriptionService {
 public:
  struct Options {
    webhooks::CallbackUrlPolicy url_policy;
    std::chrono::seconds rotation_grace{24 * 3600};
    std::function<void(std::string_view subscription_id)> changed;
  };
  SubscriptionService(Options options, Store& store, EventLog& events, const SecretBytes& data_key,
                      const Clock& clock, Rng& rng);

  Result<SubscriptionWithSecret> Create(const SubscriptionCaller& caller, const SubscriptionSettings& settings);
  Result<Subscription> Get(const SubscriptionCaller& caller, std::string_view id) const;
  Result<std::vector<Subscription>> List(const SubscriptionCaller& caller) const;
  Result<Subscription> Update(const SubscriptionCaller& caller, std::string_view id, const SubscriptionPatch& patch);
  Status Delete(const SubscriptionCaller& caller, std::string_view id);
  // A new secret signs from now on; the old one also signs until the grace period ends.
  Result<SubscriptionWithSecret> RotateSecret(const SubscriptionCaller& caller, std::string_view id);
  Result<std::vector<DeliveryAttempt>> Deliveries(const SubscriptionCaller& caller, std::string_view id,
                                                  std::int64_t before_seq, std::size_t limit) const;
  // Inside the revocation of `token_id`: its subscriptions stop (disabled, saying why).
  Status DisableOwnedBy(std::string_view token_id);
  // Queues `event_id` again for the named subscription, or for every one of the
  // caller's subscriptions whose filters match it; returns their ids.
  Result<std::vector<std::string>> Redeliver(const SubscriptionCaller& caller, std::string_view event_id,
                                             const std::optional<std::string>& subscription_id);

 private:
  std::int64_t NowSeconds() const;

  Options options_;
  Store& store_;
  EventLog& events_;
  SubscriptionRecords records_;
  const SecretBytes& data_key_;
  const Clock& clock_;
  Rng& rng_;
};

}  // namespace vtpmd::app
