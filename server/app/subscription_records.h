#pragma once
// Subscriptions, their delivery attempts and requested redeliveries, in the store.
// The dispatcher writes only delivery progress; the API writes only what a
// subscriber controls; neither overwrites the other's columns.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/random.h"
#include "core/result.h"
#include "core/secret_bytes.h"
#include "core/store.h"

namespace vtpmd::app {

enum class SubscriptionState { kActive, kPaused, kDisabled };
std::string_view SubscriptionStateName(SubscriptionState state);

struct Subscription {
  std::string id;
  std::string owner_token;  // the id of the token that created it
  std::string url;
  std::vector<std::string> event_types;
  std::vector<std::string> vm_ids;
  std::vector<std::string> instance_ids;
  Bytes secret_sealed;
  std::optional<Bytes> previous_secret_sealed;
  std::optional<std::int64_t> previous_secret_until;  // Unix seconds
  SubscriptionState state = SubscriptionState::kActive;
  std::string state_detail;
  std::int64_t cursor = 0;
  std::int64_t head_attempts = 0;
  std::int64_t next_attempt_at_ms = 0;
  std::int64_t failure_streak = 0;
  std::int64_t created_at = 0;
};

// Where delivery to one subscription stands; the dispatcher's only write.
struct DeliveryProgress {
  std::string subscription_id;
  std::int64_t cursor;
  std::int64_t head_attempts;
  std::int64_t next_attempt_at_ms;
  std::int64_t failure_streak;
};

enum class AttemptOutcome { kDelivered, kRetrying, kGaveUp };
std::string_view AttemptOutcomeName(AttemptOutcome outcome);

struct DeliveryAttempt {
  std::int64_t seq = 0;
  std::string subscription_id;
  std::string event_id;
  std::int64_t event_seq = 0;
  std::int64_t attempt = 0;
  std::int64_t attempted_at_ms = 0;
  std::optional<std::int64_t> http_status;
  std::int64_t latency_us = 0;
  std::string error;
  AttemptOutcome outcome = AttemptOutcome::kRetrying;
};

struct Redelivery {
  std::string subscription_id;
  std::int64_t event_seq;
  std::int64_t requested_at;
};

// Signing keys are stored AES-256-GCM sealed under the data key, bound to their subscription.
Result<Bytes> SealSubscriptionKey(const SecretBytes& data_key, std::string_view subscription_id,
                                  const SecretBytes& key, Rng& rng);
Result<SecretBytes> OpenSubscriptionKey(const SecretBytes& data_key, std::string_view subscription_id,
                                        ByteView sealed);

class SubscriptionRecords {
 public:
  explicit SubscriptionRecords(Store& store) : store_(store) {}

  Status Insert(const Subscription& subscription);
  Result<Subscription> Get(std::string_view id) const;  // NotFound if absent
  // Oldest first; every subscription when `owner_token` is empty.
  Result<std::vector<Subscription>> List(std::string_view owner_token) const;
  Result<std::vector<Subscription>> ListActive() const;
  // What a subscriber may change: url, types, filters, state.
  Status UpdateSettings(const Subscription& subscription);
  Status UpdateSecrets(const Subscription& subscription);
  // Disables an active subscription; false when it was not active any more.
  Result<bool> Disable(std::string_view id, std::string_view detail);
  // Disables every subscription of `owner_token` that is not disabled yet; their ids.
  Result<std::vector<std::string>> DisableOwnedBy(std::string_view owner_token, std::string_view detail);
  Status Delete(std::string_view id);

  // Call these inside one transaction per batch of outcomes. SaveProgress says
  // whether the subscription still exists; attempts are added only for those that do.
  Result<bool> SaveProgress(const DeliveryProgress& progress);
  Status AddAttempt(const DeliveryAttempt& attempt);

  // Newest first, before `before_seq` (0: from the newest).
  Result<std::vector<DeliveryAttempt>> ListAttempts(std::string_view subscription_id, std::int64_t before_seq,
                                                    std::size_t limit) const;

  // Deletes up to `limit` of the oldest attempts made before `before_ms`; how many it deleted.
  Result<std::int64_t> PruneAttempts(std::int64_t before_ms, std::size_t limit);

  Result<std::int64_t> CountOwnedBy(std::string_view owner_token) const;
  Result<std::int64_t> CountRedeliveries(std::string_view subscription_id) const;
  Status AddRedelivery(const Redelivery& redelivery);
  Result<std::vector<Redelivery>> ListRedeliveries(std::string_view subscription_id) const;
  Status RemoveRedelivery(std::string_view subscription_id, std::int64_t event_seq);

 private:
  Store& store_;
};

}  // namespace vtpmd::app
