#include "server/webhooks/dispatcher.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include <boost/json.hpp>

#include "server/api/time_format.h"
#include "server/app/log.h"

namespace vtpmd::webhooks {
namespace {

constexpr std::size_t kScanPage = 500;
// Bounds a wait on the clock even when nothing is due, so a changed system clock
// cannot stall retries for long.
constexpr std::chrono::milliseconds kLongestSleep{1000};

// Old attempts go in small deletes, a few per round, so that a large backlog of
// them never holds the store (or the loop) for long.
constexpr std::size_t kPruneBatch = 1000;
constexpr int kPruneBatchesPerRound = 10;
constexpr std::chrono::seconds kLongestPruneInterval{60};
// Outcomes are committed in groups at most this far apart: during a fan-out, one
// transaction then records hundreds of them instead of a few, writing each page of
// the attempts' index once.
constexpr std::chrono::milliseconds kCommitOutcomesEvery{5};

std::int64_t ToMs(std::chrono::seconds s) { return std::chrono::duration_cast<std::chrono::milliseconds>(s).count(); }

}  // namespace

struct Dispatcher::PreparedEvent {
  app::Event event;
  std::string body;  // {"type", "timestamp", "data"}, signed as sent
};

struct Dispatcher::Redelivery {
  std::shared_ptr<const PreparedEvent> event;
  std::int64_t requested_at_ms = 0;
  std::int64_t attempts = 0;
  std::int64_t next_attempt_at_ms = 0;
};

struct Dispatcher::Lane {
  std::string id;
  std::optional<CallbackUrl> url;
  std::vector<std::string> types;
  std::vector<std::string> vm_ids;
  std::vector<std::string> instance_ids;
  std::optional<WebhookSecret> secret;
  std::optional<WebhookSecret> previous_secret;  // signs too until previous_until_s
  std::int64_t previous_until_s = 0;
  std::int64_t cursor = 0;          // stored: everything up to it is settled
  std::int64_t queued_through = 0;  // every event up to it was queued or filtered out
  std::int64_t head_attempts = 0;
  std::int64_t next_attempt_at_ms = 0;
  std::int64_t failure_streak = 0;
  std::deque<std::shared_ptr<const PreparedEvent>> queue;
  std::deque<Redelivery> redeliveries;
  bool in_flight = false;
  bool reload_pending = false;
  bool disabled = false;
};

struct Dispatcher::Completion {
  std::string lane_id;
  std::int64_t event_seq = 0;
  bool redelivery = false;
  std::int64_t attempted_at_ms = 0;
  DeliveryOutcome outcome;
};

struct Dispatcher::Batch {
  std::map<std::string, app::DeliveryProgress, std::less<>> progress;
  std::vector<app::DeliveryAttempt> attempts;
  std::vector<std::pair<std::string, std::string>> disables;  // id, why
  std::vector<std::pair<std::string, std::int64_t>> redeliveries_done;
  bool empty() const { return progress.empty() && attempts.empty() && redeliveries_done.empty(); }
};

Dispatcher::Dispatcher(DispatcherOptions options, std::unique_ptr<WebhookClient> client, Store& store,
                       app::EventLog& events, const SecretBytes& data_key, const Clock& clock, Rng& rng)
    : options_(std::move(options)),
      client_(std::move(client)),
      store_(store),
      events_(events),
      records_(store),
      data_key_(data_key),
      clock_(clock),
      rng_(rng),
      outcomes_(std::make_unique<Batch>()) {}

Result<std::unique_ptr<Dispatcher>> Dispatcher::Start(DispatcherOptions options, std::unique_ptr<WebhookClient> client,
                                                      Store& store, app::EventLog& events,
                                                      const SecretBytes& data_key, const Clock& clock, Rng& rng) {
  std::unique_ptr<Dispatcher> dispatcher(
      new Dispatcher(std::move(options), std::move(client), store, events, data_key, clock, rng));
  VTPMD_ASSIGN_OR_RETURN(dispatcher->scanned_, events.LastSeq());
  VTPMD_ASSIGN_OR_RETURN(std::vector<app::Subscription> active, dispatcher->records_.ListActive());
  for (const app::Subscription& subscription : active) {
    // One subscription that cannot be read must not keep every other one (or vtpmd) down.
    Status loaded = dispatcher->LoadLane(subscription.id);
    if (!loaded.ok()) {
      app::Log(app::LogLevel::kError, "subscription " + subscription.id + ": " + loaded.error().message());
    }
  }
  Dispatcher* self = dispatcher.get();
  dispatcher->listener_ = events.feed().Listen([self] {
    std::lock_guard lock(self->mu_);
    self->new_events_ = true;
    self->wake_.notify_one();
  });
  dispatcher->thread_ = std::thread([self] { self->Loop(); });
  return dispatcher;
}

Dispatcher::~Dispatcher() {
  events_.feed().Unlisten(listener_);
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  // Its threads end here; an answer still arriving finds the queue it reports to.
  client_.reset();
}

void Dispatcher::Reload(std::string_view subscription_id) {
  std::lock_guard lock(mu_);
  reloads_.emplace_back(subscription_id);
  wake_.notify_one();
}

std::int64_t Dispatcher::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch()).count();
}

std::chrono::milliseconds Dispatcher::Backoff(std::int64_t failures) {
  Result<double> unit = UnitInterval(rng_);
  return RetryDelay(options_.retry, failures, unit.ok() ? *unit : 0.5);
}

std::shared_ptr<const Dispatcher::PreparedEvent> Dispatcher::Prepare(app::Event event) const {
  boost::system::error_code ec;
  boost::json::value data = boost::json::parse(event.data_json, ec);
  // Stored data is always ours and JSON; were it not, the event still goes out
  // (with null data) rather than stopping every delivery behind it.
  if (ec) data = nullptr;
  std::string body = boost::json::serialize(boost::json::object{
      {"type", event.type}, {"timestamp", api::Rfc3339FromUnixSeconds(event.created_at)}, {"data", std::move(data)}});
  return std::make_shared<const PreparedEvent>(PreparedEvent{std::move(event), std::move(body)});
}

Status Dispatcher::LoadLane(const std::string& id) {
  Result<app::Subscription> row = records_.Get(id);
  if (!row.ok() && row.error().code() != ErrorCode::kNotFound) return std::move(row).error();
  if (!row.ok() || row->state != app::SubscriptionState::kActive) {
    lanes_.erase(id);
    return Ok();
  }
  auto lane = std::make_unique<Lane>();
  lane->id = id;
  Result<CallbackUrl> url = CallbackUrl::Parse(row->url, options_.url_policy);
  if (!url.ok()) {
    // The operator narrowed the URL policy since it was accepted: hold the obligation, send nothing.
    app::Log(app::LogLevel::kWarning, "subscription " + id + " is not delivered: " + url.error().message());
    lanes_.erase(id);
    return Ok();
  }
  lane->url = std::move(url).value();
  lane->types = row->event_types;
  lane->vm_ids = row->vm_ids;
  lane->instance_ids = row->instance_ids;
  VTPMD_ASSIGN_OR_RETURN(SecretBytes key, app::OpenSubscriptionKey(data_key_, id, row->secret_sealed));
  VTPMD_ASSIGN_OR_RETURN(lane->secret, WebhookSecret::FromKey(std::move(key)));
  const std::int64_t now_s = NowMs() / 1000;
  if (row->previous_secret_sealed && row->previous_secret_until && *row->previous_secret_until > now_s) {
    VTPMD_ASSIGN_OR_RETURN(SecretBytes previous,
                           app::OpenSubscriptionKey(data_key_, id, *row->previous_secret_sealed));
    VTPMD_ASSIGN_OR_RETURN(lane->previous_secret, WebhookSecret::FromKey(std::move(previous)));
    lane->previous_until_s = *row->previous_secret_until;
  }
  lane->cursor = row->cursor;
  lane->queued_through = row->cursor;
  lane->head_attempts = row->head_attempts;
  lane->next_attempt_at_ms = row->next_attempt_at_ms;
  lane->failure_streak = row->failure_streak;
  VTPMD_ASSIGN_OR_RETURN(std::vector<app::Redelivery> redeliveries, records_.ListRedeliveries(id));
  for (const app::Redelivery& wanted : redeliveries) {
    VTPMD_ASSIGN_OR_RETURN(app::EventPage page, events_.List({.after_seq = wanted.event_seq - 1, .limit = 1,
                                                               .subject = {}, .types = {}}));
    if (page.events.empty() || page.events.front().seq != wanted.event_seq) continue;
    lane->redeliveries.push_back({Prepare(std::move(page.events.front())), wanted.requested_at * 1000, 0, 0});
  }
  lanes_[id] = std::move(lane);
  return Ok();
}

void Dispatcher::Offer(Lane& lane, const std::shared_ptr<const PreparedEvent>& prepared) const {
  const app::Event& event = prepared->event;
  if (app::EventSelected(lane.types, lane.vm_ids, lane.instance_ids, event)) lane.queue.push_back(prepared);
  lane.queued_through = event.seq;
}

Status Dispatcher::ScanNewEvents() {
  while (true) {
    VTPMD_ASSIGN_OR_RETURN(app::EventPage page,
                           events_.List({.after_seq = scanned_, .limit = kScanPage, .subject = {}, .types = {}}));
    std::vector<std::shared_ptr<const PreparedEvent>> prepared;
    prepared.reserve(page.events.size());
    for (app::Event& event : page.events) prepared.push_back(Prepare(std::move(event)));
    for (auto& [id, lane] : lanes_) {
      // A lane that fell behind reads the log itself (Refill) until it catches up.
      if (lane->queued_through < scanned_) continue;
      for (const auto& event : prepared) {
        if (event->event.seq <= lane->queued_through) continue;
        if (lane->queue.size() >= options_.lane_queue) break;
        Offer(*lane, event);
      }
    }
    scanned_ = page.next_after;
    if (prepared.size() < kScanPage) return Ok();
  }
}

Status Dispatcher::Refill(Lane& lane) {
  while (lane.queue.size() < options_.lane_queue && lane.queued_through < scanned_) {
    // The log filters the types, so only events the lane may want are turned into bodies.
    VTPMD_ASSIGN_OR_RETURN(app::EventPage page, events_.List({.after_seq = lane.queued_through,
                                                               .limit = options_.lane_queue,
                                                               .subject = {}, .types = lane.types}));
    const std::int64_t read_from = lane.queued_through;
    for (app::Event& event : page.events) {
      if (lane.queue.size() >= options_.lane_queue) return Ok();
      const std::int64_t seq = event.seq;
      if (app::EventSelected(lane.types, lane.vm_ids, lane.instance_ids, event)) {
        lane.queue.push_back(Prepare(std::move(event)));
      }
      lane.queued_through = seq;
    }
    lane.queued_through = std::max(lane.queued_through, page.next_after);
    if (lane.queued_through == read_from) return Ok();
  }
  return Ok();
}

void Dispatcher::Send(Lane& lane, const PreparedEvent& prepared, bool redelivery) {
  const std::int64_t now_ms = NowMs();
  const std::int64_t timestamp = now_ms / 1000;
  Result<std::string> signature = lane.secret->Sign(prepared.event.id, timestamp, prepared.body);
  if (signature.ok() && lane.previous_secret && lane.previous_until_s > timestamp) {
    Result<std::string> previous = lane.previous_secret->Sign(prepared.event.id, timestamp, prepared.body);
    if (previous.ok()) *signature += " " + *previous;
  }
  lane.in_flight = true;
  Completion completion{lane.id, prepared.event.seq, redelivery, now_ms, {}};
  if (!signature.ok()) {
    completion.outcome.error = "cannot sign: " + signature.error().message();
    std::lock_guard lock(mu_);
    completions_.push_back(std::move(completion));
    return;
  }
  http::HeaderList headers{{"webhook-id", prepared.event.id},
                           {"webhook-timestamp", std::to_string(timestamp)},
                           {"webhook-signature", std::move(*signature)},
                           {"user-agent", "vtpmd-webhooks/1"}};
  client_->Post(*lane.url, std::move(headers), prepared.body,
                [this, completion = std::move(completion)](DeliveryOutcome outcome) mutable {
                  completion.outcome = std::move(outcome);
                  std::lock_guard lock(mu_);
                  completions_.push_back(std::move(completion));
                  wake_.notify_one();
                });
}

void Dispatcher::SendReady(std::int64_t now_ms) {
  for (auto& [id, lane] : lanes_) {
    // A lane whose settings changed waits until the loop has re-read them.
    if (lane->in_flight || lane->disabled || lane->reload_pending) continue;
    auto due = std::find_if(lane->redeliveries.begin(), lane->redeliveries.end(),
                            [now_ms](const Redelivery& r) { return r.next_attempt_at_ms <= now_ms; });
    if (due != lane->redeliveries.end()) {
      Send(*lane, *due->event, true);
    } else if (!lane->queue.empty() && lane->next_attempt_at_ms <= now_ms) {
      Send(*lane, *lane->queue.front(), false);
    }
  }
}

app::DeliveryProgress Dispatcher::Progress(const Lane& lane) {
  return {lane.id, lane.cursor, lane.head_attempts, lane.next_attempt_at_ms, lane.failure_streak};
}

void Dispatcher::SettleRedelivery(Lane& lane, const Completion& completion, Batch& batch) {
  auto found = std::find_if(lane.redeliveries.begin(), lane.redeliveries.end(), [&](const Redelivery& r) {
    return r.event->event.seq == completion.event_seq;
  });
  if (found == lane.redeliveries.end()) return;
  const std::int64_t now_ms = NowMs();
  app::DeliveryAttempt attempt{0, lane.id, found->event->event.id, completion.event_seq, ++found->attempts,
                               completion.attempted_at_ms, {}, completion.outcome.latency.count(),
                               completion.outcome.error, app::AttemptOutcome::kRetrying};
  if (completion.outcome.http_status) attempt.http_status = *completion.outcome.http_status;
  if (completion.outcome.delivered()) {
    attempt.outcome = app::AttemptOutcome::kDelivered;
  } else if (now_ms - found->requested_at_ms >= ToMs(options_.retry_horizon)) {
    attempt.outcome = app::AttemptOutcome::kGaveUp;
  } else {
    found->next_attempt_at_ms = now_ms + Backoff(found->attempts).count();
  }
  if (attempt.outcome != app::AttemptOutcome::kRetrying) {
    batch.redeliveries_done.emplace_back(lane.id, completion.event_seq);
    lane.redeliveries.erase(found);
  }
  batch.attempts.push_back(std::move(attempt));
  // Unchanged, but saving it tells Commit whether the subscription still exists.
  batch.progress[lane.id] = Progress(lane);
}

void Dispatcher::Settle(Completion completion, Batch& batch) {
  auto found = lanes_.find(completion.lane_id);
  if (found == lanes_.end()) return;  // deleted while in flight: nothing is owed any more
  Lane& lane = *found->second;
  lane.in_flight = false;
  if (completion.redelivery) return SettleRedelivery(lane, completion, batch);
  if (lane.queue.empty() || lane.queue.front()->event.seq != completion.event_seq) return;
  const PreparedEvent& head = *lane.queue.front();
  const std::int64_t now_ms = NowMs();
  app::DeliveryAttempt attempt{0, lane.id, head.event.id, head.event.seq, lane.head_attempts + 1,
                               completion.attempted_at_ms, {}, completion.outcome.latency.count(),
                               completion.outcome.error, app::AttemptOutcome::kRetrying};
  if (completion.outcome.http_status) attempt.http_status = *completion.outcome.http_status;
  if (!completion.outcome.delivered() && attempt.error.empty() && completion.outcome.http_status) {
    attempt.error = "HTTP " + std::to_string(*completion.outcome.http_status);
  }
  bool settled = false;
  if (completion.outcome.delivered()) {
    attempt.outcome = app::AttemptOutcome::kDelivered;
    lane.failure_streak = 0;
    settled = true;
  } else {
    ++lane.head_attempts;
    ++lane.failure_streak;
    if (lane.failure_streak >= options_.disable_after_failures) {
      // The event stays owed: a subscriber who resumes the subscription gets it.
      lane.disabled = true;
      batch.disables.emplace_back(lane.id, std::to_string(lane.failure_streak) +
                                               " consecutive deliveries failed; the last: " + attempt.error);
    } else if (now_ms - head.event.created_at * 1000 >= ToMs(options_.retry_horizon)) {
      attempt.outcome = app::AttemptOutcome::kGaveUp;
      settled = true;
    } else {
      lane.next_attempt_at_ms = now_ms + Backoff(lane.head_attempts).count();
    }
  }
  if (settled) {
    lane.queue.pop_front();
    lane.cursor = lane.queue.empty() ? lane.queued_through : completion.event_seq;
    lane.head_attempts = 0;
    lane.next_attempt_at_ms = 0;
  }
  batch.attempts.push_back(std::move(attempt));
  batch.progress[lane.id] = Progress(lane);
}

Status Dispatcher::Commit(Batch& batch) {
  if (batch.empty()) return Ok();
  // Waiting for the flush here would hold every lane's next event behind it. Lost
  // to a power failure, progress and attempts only make events go out again (at
  // least once); a batch that records an event still waits (see EventLog::Record).
  Status committed = store_.Transaction([&]() -> Status {
    // An answer that arrives after its subscription was deleted leaves no orphan row.
    std::set<std::string, std::less<>> deleted;
    for (const auto& [id, progress] : batch.progress) {
      VTPMD_ASSIGN_OR_RETURN(bool exists, records_.SaveProgress(progress));
      if (!exists) deleted.insert(id);
    }
    for (const app::DeliveryAttempt& attempt : batch.attempts) {
      if (!deleted.contains(attempt.subscription_id)) VTPMD_RETURN_IF_ERROR(records_.AddAttempt(attempt));
    }
    for (const auto& [id, seq] : batch.redeliveries_done) VTPMD_RETURN_IF_ERROR(records_.RemoveRedelivery(id, seq));
    for (const auto& [id, why] : batch.disables) {
      VTPMD_ASSIGN_OR_RETURN(bool disabled, records_.Disable(id, why));
      if (!disabled) continue;
      // Every subscriber reads the event log: the URL and the last error (which may
      // name internal hosts) stay in the subscription, which only its owner reads.
      VTPMD_RETURN_IF_ERROR(events_.Record(kSubscriptionDisabledEvent, "subscriptions/" + id,
                                           boost::json::serialize(boost::json::object{{"subscription_id", id}})));
    }
    return Ok();
  }, Store::Durability::kWithNextFlush);
  for (const auto& [id, why] : batch.disables) lanes_.erase(id);
  return committed;
}

void Dispatcher::PruneAttempts(std::int64_t now_ms) {
  next_prune_ms_ = now_ms + ToMs(std::min(options_.attempt_retention, kLongestPruneInterval));
  const std::int64_t before_ms = now_ms - ToMs(options_.attempt_retention);
  for (int batch = 0; batch < kPruneBatchesPerRound; ++batch) {
    std::int64_t deleted = 0;
    // A delete lost to a power failure is made again.
    Status pruned = store_.Transaction([&]() -> Status {
      VTPMD_ASSIGN_OR_RETURN(deleted, records_.PruneAttempts(before_ms, kPruneBatch));
      return Ok();
    }, Store::Durability::kWithNextFlush);
    if (!pruned.ok()) {
      app::Log(app::LogLevel::kError, "cannot delete old delivery attempts: " + pruned.error().message());
      return;
    }
    if (deleted < static_cast<std::int64_t>(kPruneBatch)) return;
  }
}

void Dispatcher::CommitOutcomes() {
  commit_due_ms_ = 0;
  if (outcomes_->empty()) return;
  Status committed = Commit(*outcomes_);
  *outcomes_ = Batch{};
  // Delivered but unrecorded events are sent again after a restart: at least once.
  if (!committed.ok()) app::Log(app::LogLevel::kError, "cannot record deliveries: " + committed.error().message());
}

void Dispatcher::Loop() {
  std::int64_t next_due_ms = 0;
  std::unique_lock lock(mu_);
  while (true) {
    const auto has_input = [this] { return stopping_ || new_events_ || !reloads_.empty() || !completions_.empty(); };
    if (!has_input()) {
      std::int64_t due_ms = next_due_ms;
      if (commit_due_ms_ != 0) due_ms = due_ms == 0 ? commit_due_ms_ : std::min(due_ms, commit_due_ms_);
      const std::int64_t wait_ms = due_ms == 0 ? kLongestSleep.count()
                                               : std::clamp<std::int64_t>(due_ms - NowMs(), 0, kLongestSleep.count());
      wake_.wait_for(lock, std::chrono::milliseconds(wait_ms), has_input);
    }
    if (stopping_) {
      lock.unlock();
      CommitOutcomes();
      return;
    }
    const bool scan = std::exchange(new_events_, false);
    std::vector<std::string> reloads = std::exchange(reloads_, {});
    std::vector<Completion> completions = std::exchange(completions_, {});
    lock.unlock();

    for (Completion& completion : completions) Settle(std::move(completion), *outcomes_);
    if (!outcomes_->empty() && commit_due_ms_ == 0) commit_due_ms_ = NowMs() + kCommitOutcomesEvery.count();
    // The next events go out before the outcomes are committed: a crash in between
    // only sends an event again, which at-least-once allows.
    SendReady(NowMs());
    std::vector<std::string> deferred;
    for (auto& [id, lane] : lanes_) {
      if (lane->reload_pending && !lane->in_flight) deferred.push_back(id);
    }
    // A lane is read again from the store only once its own outcomes are there.
    if (!reloads.empty() || !deferred.empty() || NowMs() >= commit_due_ms_) CommitOutcomes();
    for (const std::string& id : reloads) {
      auto lane = lanes_.find(id);
      if (lane != lanes_.end() && lane->second->in_flight) {
        lane->second->reload_pending = true;
        continue;
      }
      Status loaded = LoadLane(id);
      if (!loaded.ok()) app::Log(app::LogLevel::kError, "subscription " + id + ": " + loaded.error().message());
    }
    for (const std::string& id : deferred) {
      Status loaded = LoadLane(id);
      if (!loaded.ok()) app::Log(app::LogLevel::kError, "subscription " + id + ": " + loaded.error().message());
    }
    if (scan) {
      Status scanned = ScanNewEvents();
      if (!scanned.ok()) app::Log(app::LogLevel::kError, "cannot read the event log: " + scanned.error().message());
    }
    for (auto& [id, lane] : lanes_) {
      if (lane->queued_through >= scanned_ || lane->queue.size() > options_.lane_queue / 2) continue;
      Status refilled = Refill(*lane);
      if (!refilled.ok()) app::Log(app::LogLevel::kError, "subscription " + id + ": " + refilled.error().message());
    }
    const std::int64_t now_ms = NowMs();
    SendReady(now_ms);
    // The loop wakes at least every kLongestSleep, often enough for this.
    if (now_ms >= next_prune_ms_) PruneAttempts(now_ms);
    next_due_ms = 0;
    for (const auto& [id, lane] : lanes_) {
      if (lane->in_flight || lane->disabled || lane->reload_pending) continue;
      if (!lane->queue.empty()) {
        next_due_ms = next_due_ms == 0 ? lane->next_attempt_at_ms : std::min(next_due_ms, lane->next_attempt_at_ms);
      }
      for (const Redelivery& r : lane->redeliveries) {
        next_due_ms = next_due_ms == 0 ? r.next_attempt_at_ms : std::min(next_due_ms, r.next_attempt_at_ms);
      }
    }
    lock.lock();
  }
}

}  // namespace vtpmd::webhooks
