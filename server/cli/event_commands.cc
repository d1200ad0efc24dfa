#include "server/cli/event_commands.h"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <sstream>
#include <thread>

#include "server/cli/argument_checks.h"
#include "server/cli/json_fields.h"
#include "server/cli/sse_parser.h"

namespace vtpmd::cli {
namespace {

// Reconnection pauses: the server's "retry:" (or this) after a stream that brought
// events, doubling with each attempt that brought none, never beyond the ceiling.
constexpr std::chrono::milliseconds kFirstRetry{2000};
constexpr std::chrono::milliseconds kMaxRetry{30000};
constexpr int kMaxDoublings = 4;

// Type patterns are dotted names, '*' and commas: nothing a query string must escape.
bool IsTypeList(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '*' ||
           c == ',' || c == '_' || c == '-';
  });
}

// "?after=..&types=..&limit=.." for the values given, each checked first.
Result<std::string> Query(const EventFilter& filter, const std::optional<std::string>& limit) {
  std::string query;
  auto add = [&query](std::string_view name, const std::string& value) {
    query += (query.empty() ? "?" : "&") + std::string(name) + "=" + value;
  };
  if (filter.after) {
    if (!IsDecimal(*filter.after)) return InvalidArgument("--after must be an event seq");
    add("after", *filter.after);
  }
  if (filter.types) {
    if (!IsTypeList(*filter.types)) return InvalidArgument("--types must be comma-separated event type patterns");
    add("types", *filter.types);
  }
  if (limit) {
    if (!IsDecimal(*limit)) return InvalidArgument("--limit must be a positive integer");
    add("limit", *limit);
  }
  return query;
}

// A refusal of the request itself will not change on a retry; anything else might.
bool IsFinal(const Error& error) {
  switch (error.code()) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kUnauthenticated:
    case ErrorCode::kPermissionDenied:
    case ErrorCode::kNotFound: return true;
    default: return false;
  }
}

}  // namespace

Result<boost::json::value> ListEvents(ApiClient& api, const EventFilter& filter, const std::optional<std::string>& limit) {
  VTPMD_ASSIGN_OR_RETURN(std::string query, Query(filter, limit));
  return api.Call("GET", "/v1/events" + query);
}

std::string EventPageText(const boost::json::value& page) {
  std::ostringstream out;
  const auto* events = page.is_object() ? page.as_object().if_contains("events") : nullptr;
  if (events != nullptr && events->is_array()) {
    for (const auto& event : events->as_array()) {
      out << Str(event, "seq") << "  " << Str(event, "time") << "  " << Str(event, "type") << "  "
          << Str(event, "subject") << "\n";
    }
  }
  out << "(continue with --after " << Str(page, "next_after") << ")\n";
  return out.str();
}

Status TailEvents(ApiClient& api, const EventFilter& filter, std::ostream& out) {
  VTPMD_ASSIGN_OR_RETURN(std::string query, Query(filter, std::nullopt));
  const std::string target = "/v1/events/stream" + query;
  std::optional<std::string> resume_after;  // the last event written
  std::chrono::milliseconds first_retry = kFirstRetry;
  int fruitless = 0;  // consecutive attempts that brought no event
  while (true) {
    SseParser parser;
    bool progressed = false;
    http::HeaderList headers{{"Accept", "text/event-stream"}};
    if (resume_after) headers.emplace_back("Last-Event-ID", *resume_after);
    Status streamed = api.Stream(target, headers, [&](std::string_view chunk) {
      for (const SseEvent& event : parser.Feed(chunk)) {
        out << event.data << std::endl;
        resume_after = event.id;
        progressed = true;
      }
      return !parser.failed();
    });
    if (!streamed.ok() && IsFinal(streamed.error())) return streamed;
    if (auto ms = parser.retry_ms()) first_retry = std::min(std::chrono::milliseconds(*ms), kMaxRetry);
    fruitless = progressed ? 0 : fruitless + 1;
    const auto retry = std::min(first_retry * (1 << std::min(fruitless, kMaxDoublings)), kMaxRetry);
    std::cerr << "vtpmctl: event stream ended"
              << (streamed.ok() ? std::string() : " (" + streamed.error().message() + ")") << "; reconnecting in "
              << retry.count() << " ms\n";
    std::this_thread::sleep_for(retry);
  }
}

}  // namespace vtpmd::cli
