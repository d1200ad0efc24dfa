#pragma once
// Requests of /v1/subscriptions and /v1/events/{id}/redeliver, decoded as pure
// functions of untrusted bytes (fuzzed by tests/fuzz/api_requests_fuzz.cc). The
// callback URL itself is checked by the service, against the operator's policy.

#include <optional>
#include <string>

#include "core/result.h"
#include "server/app/subscription_service.h"
#include "server/http/http_types.h"

namespace vtpmd::api {

// POST /v1/subscriptions: {"url", "event_types": [pattern...], "vm_ids"?: [uuid...], "instance_ids"?: [uuid...]}
Result<app::SubscriptionSettings> ParseCreateSubscriptionRequest(const http::HttpRequest& request);
// PATCH /v1/subscriptions/{id}: any of the above, and "state": "active" | "paused"
Result<app::SubscriptionPatch> ParseSubscriptionPatchRequest(const http::HttpRequest& request);
// POST /v1/events/{id}/redeliver: an empty body, or {"subscription_id"}
Result<std::optional<std::string>> ParseRedeliverRequest(const http::HttpRequest& request);

}  // namespace vtpmd::api
