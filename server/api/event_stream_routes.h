#pragma once
// GET /v1/events/stream: the event log as Server-Sent Events, live. Each stream
// resumes strictly after its cursor (?after=SEQ, or Last-Event-ID on a reconnect)
// and then follows the log as events are recorded.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "server/app/event_log.h"
#include "server/auth/authorizer.h"
#include "server/http/router.h"

namespace vtpmd::api {

struct EventStreamOptions {
  // A comment line this often keeps proxies and clients from timing an idle stream out.
  std::chrono::milliseconds heartbeat_interval{15000};
  // Bytes queued for one client and not yet written; a client that falls further
  // behind on live events is dropped (it resumes with Last-Event-ID).
  std::size_t queue_bytes = 256 * 1024;
  // Concurrent streams; beyond it a request is answered 503.
  std::size_t max_streams = 256;
};

// What the rest of vtpmd may ask of the open streams. A stream also ends by itself
// when the token it was opened with expires.
class EventStreams {
 public:
  virtual ~EventStreams() = default;
  // Ends every stream opened with this token: it was revoked. A client that
  // reconnects with it is refused.
  virtual void EndStreamsOf(std::string_view token_id) = 0;
};

// The streams are fed by one thread of their own, which reads the log whenever its
// feed says an event was recorded; it lives as long as the route's handler and the
// returned handle, which must be destroyed before `events` is.
Result<std::shared_ptr<EventStreams>> AddEventStreamRoutes(http::Router& router, const auth::Authorizer& authorizer,
                                                           app::EventLog& events, const Clock& clock,
                                                           const EventStreamOptions& options = {});

}  // namespace vtpmd::api
