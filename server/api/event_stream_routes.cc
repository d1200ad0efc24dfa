#include "server/api/event_stream_routes.h"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "server/api/event_json.h"
#include "server/api/event_type_patterns.h"
#include "server/api/query.h"
#include "server/http/response_stream.h"

namespace vtpmd::api {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Rows read per query: a client far behind catches up a page at a time.
constexpr std::size_t kPageSize = 200;
// A client catching up on a backlog is sent its next page only once this much of
// its queue is free, so that a long backlog paces the producer instead of
// overflowing the queue; live events are pushed as they come.
constexpr std::size_t kCatchUpHeadroomDivisor = 2;
// How often a client paced that way, or whose read of the log failed, is looked at again.
constexpr std::chrono::milliseconds kCatchUpPoll{50};
constexpr std::string_view kPreamble = "retry: 2000\n\n";
// Revoked tokens remembered by id (revocations are rare; this bounds their memory).
constexpr std::size_t kRememberedRevocations = 65536;
constexpr std::string_view kHeartbeat = ": heartbeat\n\n";

std::string EventFrame(const app::Event& event) {
  return "id: " + std::to_string(event.seq) + "\nevent: " + event.type +
         "\ndata: " + boost::json::serialize(EventJson(event)) + "\n\n";
}

Result<std::int64_t> ParseLastEventId(std::string_view text) {
  std::int64_t seq = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seq);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || seq < 0) {
    return InvalidArgument("Last-Event-ID must be an event seq (a non-negative integer)");
  }
  return seq;
}

struct Subscriber {
  std::shared_ptr<http::ResponseStream> stream;
  std::string token_id;                   // what it was opened with
  std::optional<std::int64_t> expires_at;  // the token's expiry, Unix seconds
  std::vector<std::string> types;
  std::int64_t cursor = 0;  // the last seq looked at for this client
  bool behind = true;       // there may be events after the cursor
  bool read_failed = false;  // the last read of the log failed: retried after a pause
  SteadyClock::time_point next_heartbeat;
};

// Owns the producer thread of every stream. Feed listeners, stream closures and
// revocations only set flags and notify; the log is read on the producer thread alone.
class EventStreamHub final : public EventStreams {
 public:
  EventStreamHub(app::EventLog& events, const Clock& clock, const EventStreamOptions& options)
      : events_(events), clock_(clock), options_(options), worker_([this] { Serve(); }) {
    listener_ = events_.feed().Listen([this] {
      std::lock_guard lock(mu_);
      published_ = true;
      wake_.notify_one();
    });
  }

  ~EventStreamHub() override {
    events_.feed().Unlisten(listener_);
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      wake_.notify_one();
    }
    worker_.join();
    for (auto& subscriber : subscribers_) subscriber->stream->Close(http::ResponseStream::Closure::kServerClosing);
    for (auto& subscriber : joining_) subscriber->stream->Close(http::ResponseStream::Closure::kServerClosing);
  }

  EventStreamHub(const EventStreamHub&) = delete;
  EventStreamHub& operator=(const EventStreamHub&) = delete;

  void EndStreamsOf(std::string_view token_id) override {
    std::lock_guard lock(mu_);
    ended_tokens_.emplace_back(token_id);
    // Remembered, for a stream whose request was authorized just before the
    // revocation but joins only after it.
    if (revoked_.emplace(token_id).second) {
      revoked_order_.emplace_back(token_id);
      if (revoked_order_.size() > kRememberedRevocations) {
        revoked_.erase(revoked_order_.front());
        revoked_order_.pop_front();
      }
    }
    wake_.notify_one();
  }

  // A new stream that starts after `cursor`, or Unavailable when at the cap.
  Result<std::shared_ptr<http::ResponseStream>> Open(const auth::TokenInfo& token, std::vector<std::string> types,
                                                    std::int64_t cursor) {
    std::size_t open = open_streams_.load();
    do {
      if (open >= options_.max_streams) {
        return Unavailable("too many event streams are open (" + std::to_string(options_.max_streams) +
                           "); retry later or pull GET /v1/events");
      }
    } while (!open_streams_.compare_exchange_weak(open, open + 1));
    auto subscriber = std::make_shared<Subscriber>();
    subscriber->stream = std::make_shared<http::ResponseStream>(options_.queue_bytes);
    subscriber->token_id = token.id;
    subscriber->expires_at = token.expires_at;
    subscriber->types = std::move(types);
    subscriber->cursor = cursor;
    subscriber->next_heartbeat = SteadyClock::now() + options_.heartbeat_interval;
    subscriber->stream->OnClose([this] {
      --open_streams_;
      std::lock_guard lock(mu_);
      reap_ = true;
      wake_.notify_one();
    });
    subscriber->stream->Push(kPreamble);
    std::lock_guard lock(mu_);
    joining_.push_back(subscriber);
    wake_.notify_one();
    return subscriber->stream;
  }

 private:
  void Serve() {
    std::unique_lock lock(mu_);
    auto deadline = SteadyClock::time_point::max();
    while (true) {
      const auto due = [this] {
        return stopping_ || published_ || reap_ || !joining_.empty() || !ended_tokens_.empty();
      };
      if (deadline == SteadyClock::time_point::max()) {
        wake_.wait(lock, due);
      } else {
        wake_.wait_until(lock, deadline, due);
      }
      if (stopping_) return;
      const bool published = std::exchange(published_, false);
      reap_ = false;
      // A revocation that raced with a stream's opening still finds it here.
      std::vector<std::string> ended_tokens = std::exchange(ended_tokens_, {});
      for (auto& subscriber : joining_) {
        if (revoked_.contains(subscriber->token_id)) ended_tokens.push_back(subscriber->token_id);
        subscribers_.push_back(std::move(subscriber));
      }
      joining_.clear();
      lock.unlock();
      EndStreams(ended_tokens);
      deadline = Round(published);
      lock.lock();
    }
  }

  void EndStreams(const std::vector<std::string>& token_ids) {
    for (auto& subscriber : subscribers_) {
      if (std::find(token_ids.begin(), token_ids.end(), subscriber->token_id) != token_ids.end()) {
        subscriber->stream->Close(http::ResponseStream::Closure::kServerClosing);
      }
    }
  }

  // Feeds every stream what it is due; returns when the next round is due.
  SteadyClock::time_point Round(bool published) {
    const auto now = SteadyClock::now();
    const std::int64_t now_s =
        std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count();
    for (auto& subscriber : subscribers_) {
      if (subscriber->expires_at && *subscriber->expires_at <= now_s) {
        subscriber->stream->Close(http::ResponseStream::Closure::kServerClosing);
      }
    }
    std::erase_if(subscribers_, [](const auto& subscriber) { return subscriber->stream->closed(); });
    auto next = SteadyClock::time_point::max();
    for (auto& subscriber : subscribers_) {
      if (subscriber->expires_at) {
        // Clamped: a far expiry in seconds would overflow the steady clock's nanoseconds.
        next = std::min(next, now + std::chrono::seconds(std::min<std::int64_t>(*subscriber->expires_at - now_s, 3600)));
      }
      subscriber->behind = subscriber->behind || published;
      if (subscriber->behind) SendPage(*subscriber);
      if (now >= subscriber->next_heartbeat) {
        subscriber->stream->Push(kHeartbeat);
        subscriber->next_heartbeat = now + options_.heartbeat_interval;
      }
      next = std::min(next, subscriber->next_heartbeat);
      if (subscriber->behind && !subscriber->stream->closed()) next = std::min(next, PacedUntil(*subscriber, now));
    }
    return next;
  }

  // Now for a client with room in its queue, a poll later for one still draining
  // (or whose last read failed).
  SteadyClock::time_point PacedUntil(const Subscriber& subscriber, SteadyClock::time_point now) const {
    return HasRoom(subscriber) && !subscriber.read_failed ? now : now + kCatchUpPoll;
  }

  bool HasRoom(const Subscriber& subscriber) const {
    return subscriber.stream->unwritten() <= options_.queue_bytes / kCatchUpHeadroomDivisor;
  }

  // One page after the cursor, or as much of it as the client's queue has room for.
  // A failed read leaves the cursor where it was, to be retried; a push refused
  // closes the stream, which the next round reaps.
  void SendPage(Subscriber& subscriber) {
    if (!HasRoom(subscriber)) return;
    app::EventQuery query;
    query.after_seq = subscriber.cursor;
    query.limit = kPageSize;
    query.types = subscriber.types;
    auto page = events_.List(query);
    subscriber.read_failed = !page.ok();
    if (!page.ok()) return;
    for (const app::Event& event : page->events) {
      // Room is checked per event: a page larger than the queue's headroom is sent
      // in parts as the client drains it, instead of overflowing and dropping the
      // client on every reconnect.
      if (!HasRoom(subscriber)) {
        subscriber.behind = true;
        return;
      }
      if (!subscriber.stream->Push(EventFrame(event))) return;
      subscriber.cursor = event.seq;
    }
    subscriber.behind = page->next_after != query.after_seq;
    subscriber.cursor = page->next_after;
  }

  app::EventLog& events_;
  const Clock& clock_;
  const EventStreamOptions options_;
  std::atomic<std::size_t> open_streams_{0};

  std::mutex mu_;
  std::condition_variable wake_;
  bool published_ = false;
  bool reap_ = false;
  bool stopping_ = false;
  std::vector<std::string> ended_tokens_;             // revoked since the producer last looked
  std::set<std::string, std::less<>> revoked_;        // the latest kRememberedRevocations
  std::deque<std::string> revoked_order_;             // the same, oldest first
  std::vector<std::shared_ptr<Subscriber>> joining_;  // opened, not yet seen by the producer
  std::vector<std::shared_ptr<Subscriber>> subscribers_;  // producer thread only
  app::EventFeed::ListenerId listener_ = 0;
  std::thread worker_;  // last: starts once everything it uses is built
};

}  // namespace

Result<std::shared_ptr<EventStreams>> AddEventStreamRoutes(http::Router& router, const auth::Authorizer& authorizer,
                                                           app::EventLog& events, const Clock& clock,
                                                           const EventStreamOptions& options) {
  if (options.max_streams == 0 || options.queue_bytes < kPreamble.size() ||
      options.heartbeat_interval <= std::chrono::milliseconds::zero()) {
    return InvalidArgument("event stream options: max_streams, queue_bytes and heartbeat_interval must be positive");
  }
  auto hub = std::make_shared<EventStreamHub>(events, clock, options);
  VTPMD_RETURN_IF_ERROR(router.Add("GET", "/v1/events/stream",
                    [&authorizer, hub](const http::HttpRequest& request,
                                       const http::PathParams&) -> Result<http::HttpResponse> {
                      VTPMD_ASSIGN_OR_RETURN(auth::TokenInfo token,
                                             authorizer.Require(request, {auth::Role::kAdmin, auth::Role::kSubscriber}));
                      VTPMD_ASSIGN_OR_RETURN(QueryParams params, ParseQuery(request.query));
                      VTPMD_RETURN_IF_ERROR(RejectUnknownParams(params, {"after", "types"}));
                      VTPMD_ASSIGN_OR_RETURN(std::int64_t cursor, IntegerParam(params, "after", 0, 0, INT64_MAX));
                      // A reconnecting EventSource sends where it got to; that wins over the URL it reuses.
                      if (auto last = request.Header("Last-Event-ID")) {
                        VTPMD_ASSIGN_OR_RETURN(cursor, ParseLastEventId(*last));
                      }
                      std::vector<std::string> types;
                      if (auto list = params.find("types"); list != params.end()) {
                        VTPMD_ASSIGN_OR_RETURN(types, ParseEventTypePatterns(list->second));
                      }
                      http::HttpResponse response;
                      response.content_type = "text/event-stream";
                      response.headers.emplace_back("X-Accel-Buffering", "no");  // nginx: pass events on at once
                      VTPMD_ASSIGN_OR_RETURN(response.stream, hub->Open(token, std::move(types), cursor));
                      return response;
                    }));
  return std::shared_ptr<EventStreams>(hub);
}

}  // namespace vtpmd::api
