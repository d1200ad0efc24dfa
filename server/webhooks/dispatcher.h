#pragma once
// Delivers events to webhook subscriptions. Each active subscription is a lane: the
// events after its stored cursor that match its filters, sent one at a time in
// event order; the cursor moves only after a 2xx, so what was owed before a crash is
// owed after it (at-least-once; receivers deduplicate on webhook-id). Failures are
// retried with jittered exponential backoff until the event is older than the
// retry horizon; a lane whose failures run on too long is disabled, with an event.
// One thread plans; the WebhookClient's threads do the I/O; outcomes are stored in
// transactions a few milliseconds apart.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"
#include "core/secret_bytes.h"
#include "core/store.h"
#include "server/app/event_log.h"
#include "server/app/subscription_records.h"
#include "server/webhooks/callback_url.h"
#include "server/webhooks/retry_schedule.h"
#include "server/webhooks/webhook_client.h"
#include "server/webhooks/webhook_signature.h"

namespace vtpmd::webhooks {

inline constexpr std::string_view kSubscriptionDisabledEvent = "subscription.disabled";

struct DispatcherOptions {
  RetrySchedule retry;
  std::chrono::seconds retry_horizon{3 * 24 * 3600};
  std::int64_t disable_after_failures = 100;  // consecutive, across events
  std::size_t lane_queue = 256;               // events held in memory per subscription
  std::chrono::seconds attempt_retention{30 * 24 * 3600};  // delivery attempts older are deleted
  CallbackUrlPolicy url_policy;
};

class Dispatcher {
 public:
  static Result<std::unique_ptr<Dispatcher>> Start(DispatcherOptions options, std::unique_ptr<WebhookClient> client,
                                                   Store& store, app::EventLog& events, const SecretBytes& data_key,
                                                   const Clock& clock, Rng& rng);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // The subscription (or its redeliveries) changed in the store: re-read it.
  void Reload(std::string_view subscription_id);

 private:
  struct PreparedEvent;
  struct Redelivery;
  struct Lane;
  struct Completion;
  struct Batch;

  Dispatcher(DispatcherOptions options, std::unique_ptr<WebhookClient> client, Store& store, app::EventLog& events,
             const SecretBytes& data_key, const Clock& clock, Rng& rng);
  void Loop();
  std::int64_t NowMs() const;
  std::shared_ptr<const PreparedEvent> Prepare(app::Event event) const;
  Status LoadLane(const std::string& id);
  Status ScanNewEvents();
  Status Refill(Lane& lane);
  void Offer(Lane& lane, const std::shared_ptr<const PreparedEvent>& event) const;
  static app::DeliveryProgress Progress(const Lane& lane);
  void Settle(Completion completion, Batch& batch);
  void SettleRedelivery(Lane& lane, const Completion& completion, Batch& batch);
  Status Commit(Batch& batch);
  void CommitOutcomes();
  void SendReady(std::int64_t now_ms);
  void Send(Lane& lane, const PreparedEvent& event, bool redelivery);
  std::chrono::milliseconds Backoff(std::int64_t failures);
  void PruneAttempts(std::int64_t now_ms);

  const DispatcherOptions options_;
  std::unique_ptr<WebhookClient> client_;
  Store& store_;
  app::EventLog& events_;
  app::SubscriptionRecords records_;
  const SecretBytes& data_key_;
  const Clock& clock_;
  Rng& rng_;

  // Planner state: touched only by the loop thread.
  std::map<std::string, std::unique_ptr<Lane>, std::less<>> lanes_;
  std::int64_t scanned_ = 0;  // the last event seq distributed to lanes that keep up
  std::int64_t next_prune_ms_ = 0;
  std::unique_ptr<Batch> outcomes_;  // settled, not yet committed
  std::int64_t commit_due_ms_ = 0;   // when outcomes_ must be committed; 0 while it is empty

  // Inputs from other threads.
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool new_events_ = true;
  std::vector<std::string> reloads_;
  std::vector<Completion> completions_;

  app::EventFeed::ListenerId listener_ = 0;
  std::thread thread_;
};

}  // namespace vtpmd::webhooks
