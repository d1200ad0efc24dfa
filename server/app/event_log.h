#pragma once
// The durable event log: every trust-relevant change is a row written in the same
// transaction as the change (a transactional outbox), so no change happens without
// its event and a crash loses none. `seq` is the cursor readers resume from.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"
#include "core/store.h"
#include "server/app/event_feed.h"

namespace vtpmd::app {

// The instance and VM an event is about, when it is about one: subscriptions filter on them.
struct EventScope {
  std::string instance_id;
  std::string vm_id;
};

struct Event {
  std::int64_t seq;
  std::string id;
  std::string type;     // e.g. "instance.created"
  std::string subject;  // what it is about, e.g. "instances/<uuid>"
  std::string data_json;
  std::int64_t created_at;
  EventScope scope;
};

struct EventQuery {
  std::int64_t after_seq = 0;
  std::size_t limit = 100;
  std::string subject;              // empty: any
  std::vector<std::string> types;  // names or "prefix.*" patterns; empty: any
};

struct EventPage {
  std::vector<Event> events;
  // The cursor to resume from: the last seq looked at, matching or not.
  std::int64_t next_after = 0;
};

class EventLog {
 public:
  // Everything in the store when it opens was flushed by the opening.
  static Result<std::unique_ptr<EventLog>> Open(Store& store, const Clock& clock, Rng& rng);

  // Call it inside the transaction that makes the change it describes. Readers see
  // the event, and the feed tells them of it, once that transaction is on stable
  // storage: an event a power failure could undo is never handed out, so no seq is
  // ever seen with two different events.
  Status Record(std::string_view type, std::string_view subject, std::string_view data_json,
                const EventScope& scope = {});
  // Events after `after_seq`, oldest first; `limit` bounds the rows looked at.
  Result<EventPage> List(const EventQuery& query) const;
  Result<Event> Get(std::string_view id) const;
  // The newest event's seq, 0 when there is none, flushed or not: a transaction
  // that reads it is flushed after every event it saw.
  Result<std::int64_t> LastSeq() const;

  EventFeed& feed() { return feed_; }

 private:
  EventLog(Store& store, const Clock& clock, Rng& rng, std::int64_t durable_seq)
      : store_(store), clock_(clock), rng_(rng), durable_seq_(durable_seq) {}
  void Flushed(std::int64_t seq);

  Store& store_;
  const Clock& clock_;
  Rng& rng_;
  EventFeed feed_;
  // Every event up to it is on stable storage (commits are flushed in seq order).
  std::atomic<std::int64_t> durable_seq_;
};

// True when `type` is one of `patterns` (exact names, "prefix.*", or "*").
bool EventTypeMatches(const std::vector<std::string>& patterns, std::string_view type);
// A subscription's selection: its type patterns, and when not empty, its VMs and instances.
bool EventSelected(const std::vector<std::string>& types, const std::vector<std::string>& vm_ids,
                   const std::vector<std::string>& instance_ids, const Event& event);

}  // namespace vtpmd::app
