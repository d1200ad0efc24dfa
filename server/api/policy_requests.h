#pragma once
// Requests of /v1/policies, decoded as pure functions of untrusted bytes (fuzzed by
// tests/fuzz/api_requests_fuzz.cc). A policy's version is its entity tag, "N", so
// that an update can be made conditional with If-Match.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/result.h"
#include "policy/reference_policy.h"
#include "server/http/http_types.h"

namespace vtpmd::api {

struct PolicyListQuery {
  std::string after;  // paging cursor: the last name of the previous page
  std::size_t limit = 0;
};

// POST /v1/policies, PUT /v1/policies/{name}: a policy document (schema/policy.schema.json).
Result<policy::PolicyDocument> ParsePolicyDocumentRequest(const http::HttpRequest& request);
// GET /v1/policies?after=NAME&limit=N
Result<PolicyListQuery> ParsePolicyListQuery(const http::HttpRequest& request);
// GET /v1/policies/{name}?version=N; none for the latest.
Result<std::optional<std::int64_t>> ParsePolicyVersionQuery(const http::HttpRequest& request);
// If-Match of PUT: none when absent or "*", else the one version it names.
Result<std::optional<std::int64_t>> ParseIfMatchVersion(const http::HttpRequest& request);

std::string PolicyEntityTag(std::int64_t version);  // "\"3\""

}  // namespace vtpmd::api
