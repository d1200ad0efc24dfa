#include "server/app/subscription_service.h"

#include <utility>

#include "core/uuid.h"
#include "server/webhooks/webhook_signature.h"

namespace vtpmd::app {
namespace {

// Each subscription holds memory and sends a request per event: one token may not
// make the server hold or send without bound.
constexpr std::int64_t kMaxSubscriptionsPerToken = 100;
constexpr std::int64_t kMaxRedeliveriesPerSubscription = 1000;

bool MayManage(const SubscriptionCaller& caller, const Subscription& subscription) {
  return caller.admin || subscription.owner_token == caller.token_id;
}

}  // namespace

SubscriptionService::SubscriptionService(Options options, Store& store, EventLog& events, const SecretBytes& data_key,
                                         const Clock& clock, Rng& rng)
    : options_(std::move(options)),
      store_(store),
      events_(events),
      records_(store),
      data_key_(data_key),
      clock_(clock),
      rng_(rng) {}

std::int64_t SubscriptionService::NowSeconds() const {
  return std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count();
}

Result<SubscriptionWithSecret> SubscriptionService::Create(const SubscriptionCaller& caller,
                                                           const SubscriptionSettings& settings) {
  VTPMD_ASSIGN_OR_RETURN(webhooks::CallbackUrl url, webhooks::CallbackUrl::Parse(settings.url, options_.url_policy));
  Subscription subscription;
  VTPMD_ASSIGN_OR_RETURN(subscription.id, NewUuid(rng_));
  subscription.owner_token = caller.token_id;
  subscription.url = url.text();
  subscription.event_types = settings.event_types;
  subscription.vm_ids = settings.vm_ids;
  subscription.instance_ids = settings.instance_ids;
  subscription.created_at = NowSeconds();
  VTPMD_ASSIGN_OR_RETURN(webhooks::WebhookSecret secret, webhooks::WebhookSecret::Generate(rng_));
  VTPMD_ASSIGN_OR_RETURN(subscription.secret_sealed,
                         SealSubscriptionKey(data_key_, subscription.id, secret.key(), rng_));
  // Deliveries start after the newest event at creation, read in the same
  // transaction so no event falls between "before" and "after".
  VTPMD_RETURN_IF_ERROR(store_.Transaction([&]() -> Status {
    VTPMD_ASSIGN_OR_RETURN(std::int64_t owned, records_.CountOwnedBy(caller.token_id));
    if (owned >= kMaxSubscriptionsPerToken) {
      return FailedPrecondition("this token already has 100 subscriptions; delete one first");
    }
    VTPMD_ASSIGN_OR_RETURN(subscription.cursor, events_.LastSeq());
    return records_.Insert(subscription);
  }));
  if (options_.changed) options_.changed(subscription.id);
  return SubscriptionWithSecret{std::move(subscription), secret.Text()};
}

Result<Subscription> SubscriptionService::Get(const SubscriptionCaller& caller, std::string_view id) const {
  Result<Subscription> found = records_.Get(id);
  if (found.ok() && !MayManage(caller, *found)) return NotFound("no subscription " + std::string(id));
  return found;
}

Result<std::vector<Subscription>> SubscriptionService::List(const SubscriptionCaller& caller) const {
  return records_.List(caller.admin ? std::string_view() : std::string_view(caller.token_id));
}

Result<Subscription> SubscriptionService::Update(const SubscriptionCaller& caller, std::string_view id,
                                                 const SubscriptionPatch& patch) {
  std::optional<std::string> url;
  if (patch.url) {
    VTPMD_ASSIGN_OR_RETURN(webhooks::CallbackUrl parsed, webhooks::CallbackUrl::Parse(*patch.url, options_.url_policy));
    url = parsed.text();
  }
  // Read and written in one transaction: the dispatcher disabling it meanwhile is
  // not overwritten by the state this request read.
  Subscription subscription;
  VTPMD_RETURN_IF_ERROR(store_.Transaction([&]() -> Status {
    VTPMD_ASSIGN_OR_RETURN(subscription, Get(caller, id));
    if (url) subscription.url = *url;
    if (patch.event_types) subscription.event_types = *patch.event_types;
    if (patch.vm_ids) subscription.vm_ids = *patch.vm_ids;
    if (patch.instance_ids) subscription.instance_ids = *patch.instance_ids;
    if (patch.state) {
      subscription.state = *patch.state;
      subscription.state_detail.clear();
    }
    return records_.UpdateSettings(subscription);
  }));
  if (options_.changed) options_.changed(subscription.id);
  return records_.Get(id);
}

Status SubscriptionService::Delete(const SubscriptionCaller& caller, std::string_view id) {
  VTPMD_ASSIGN_OR_RETURN(Subscription subscription, Get(caller, id));
  VTPMD_RETURN_IF_ERROR(records_.Delete(subscription.id));
  if (options_.changed) options_.changed(subscription.id);
  return Ok();
}

Result<SubscriptionWithSecret> SubscriptionService::RotateSecret(const SubscriptionCaller& caller,
                                                                 std::string_view id) {
  VTPMD_ASSIGN_OR_RETURN(Subscription subscription, Get(caller, id));
  VTPMD_ASSIGN_OR_RETURN(webhooks::WebhookSecret secret, webhooks::WebhookSecret::Generate(rng_));
  subscription.previous_secret_sealed = subscription.secret_sealed;
  subscription.previous_secret_until = NowSeconds() + options_.rotation_grace.count();
  VTPMD_ASSIGN_OR_RETURN(subscription.secret_sealed,
                         SealSubscriptionKey(data_key_, subscription.id, secret.key(), rng_));
  VTPMD_RETURN_IF_ERROR(records_.UpdateSecrets(subscription));
  if (options_.changed) options_.changed(subscription.id);
  return SubscriptionWithSecret{std::move(subscription), secret.Text()};
}

Result<std::vector<DeliveryAttempt>> SubscriptionService::Deliveries(const SubscriptionCaller& caller,
                                                                     std::string_view id, std::int64_t before_seq,
                                                                     std::size_t limit) const {
  VTPMD_ASSIGN_OR_RETURN(Subscription subscription, Get(caller, id));
  return records_.ListAttempts(subscription.id, before_seq, limit);
}

Status SubscriptionService::DisableOwnedBy(std::string_view token_id) {
  VTPMD_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                         records_.DisableOwnedBy(token_id, "the token that created it was revoked"));
  // The dispatcher re-reads them once this transaction has committed.
  if (options_.changed) {
    for (const std::string& id : ids) options_.changed(id);
  }
  return Ok();
}

Result<std::vector<std::string>> SubscriptionService::Redeliver(const SubscriptionCaller& caller,
                                                                std::string_view event_id,
                                                                const std::optional<std::string>& subscription_id) {
  VTPMD_ASSIGN_OR_RETURN(Event event, events_.Get(event_id));
  std::vector<Subscription> targets;
  if (subscription_id) {
    VTPMD_ASSIGN_OR_RETURN(Subscription one, Get(caller, *subscription_id));
    targets.push_back(std::move(one));
  } else {
    VTPMD_ASSIGN_OR_RETURN(targets, List(caller));
  }
  std::vector<std::string> queued;
  VTPMD_RETURN_IF_ERROR(store_.Transaction([&]() -> Status {
    for (const Subscription& target : targets) {
      if (!EventSelected(target.event_types, target.vm_ids, target.instance_ids, event)) {
        if (subscription_id) {
          return FailedPrecondition("subscription " + target.id + " does not select event " + event.id +
                                    " (" + event.type + ")");
        }
        continue;
      }
      VTPMD_ASSIGN_OR_RETURN(std::int64_t pending, records_.CountRedeliveries(target.id));
      if (pending >= kMaxRedeliveriesPerSubscription) {
        return FailedPrecondition("subscription " + target.id + " already has 1000 redeliveries pending");
      }
      VTPMD_RETURN_IF_ERROR(records_.AddRedelivery({target.id, event.seq, NowSeconds()}));
      queued.push_back(target.id);
    }
    return Ok();
  }));
  if (options_.changed) {
    for (const std::string& id : queued) options_.changed(id);
  }
  return queued;
}

}  // namespace vtpmd::app
