#pragma once
// `vtpmctl subscription ...` and `events redeliver`: the requests of the webhook
// subscription API, built from command-line values, and its answers as text.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace vtpmd::cli {

// "a,b,,c" -> ["a","b","c"]: the form of every list-valued flag.
boost::json::array CommaSeparated(std::string_view text);

// POST /v1/subscriptions from --webhook-url, --types and the optional --vms and --instances
// (comma-separated). The server judges the values; an empty list is refused here
// because it would silently mean "no filter".
Result<boost::json::object> SubscriptionCreateRequest(const std::string& url, const std::string& types,
                                                      const std::optional<std::string>& vms,
                                                      const std::optional<std::string>& instances);

// "/v1/subscriptions/<id>": the id is checked to be a UUID so that it cannot reach
// into another path of the API.
Result<std::string> SubscriptionPath(std::string_view id);

// GET .../deliveries with the optional --before and --limit.
Result<std::string> DeliveriesTarget(std::string_view id, const std::optional<std::string>& before,
                                     const std::optional<std::string>& limit);

// POST /v1/events/<event id>/redeliver, and its body: all of the caller's
// subscriptions that select the event, or just `subscription_id`.
Result<std::string> RedeliverTarget(std::string_view event_id);
Result<boost::json::object> RedeliverRequest(const std::optional<std::string>& subscription_id);

// One line: id, state (and why), url, the filters.
std::string SubscriptionLine(const boost::json::value& subscription);
// The line, then when it was created, how far delivery has got and how it is going.
std::string SubscriptionDetailText(const boost::json::value& subscription);
// Created or rotated: the line and the secret on stdout, the secret's caveats on stderr.
void PrintSubscriptionSecret(const boost::json::value& answer, std::string_view what_happened);
// One line per attempt, newest first, then where older attempts continue.
std::string DeliveriesText(const boost::json::value& page);
// Which subscriptions the event was queued for.
std::string RedeliveredText(std::string_view event_id, const boost::json::value& answer);

}  // namespace vtpmd::cli
