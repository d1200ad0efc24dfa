#include "server/api/policy_requests.h"

#include <boost/json.hpp>

#include <charconv>

#include "server/api/json_io.h"
#include "server/api/query.h"

namespace vtpmd::api {
namespace {

constexpr std::int64_t kDefaultLimit = 100;
constexpr std::int64_t kMaxLimit = 1000;

Result<std::int64_t> VersionNumber(std::string_view text, std::string_view what) {
  std::int64_t version = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), version);
  if (ec != std::errc() || end != text.data() + text.size() || version < 1 || (text.size() > 1 && text[0] == '0')) {
    return InvalidArgument(std::string(what) + " must name a policy version, a positive integer");
  }
  return version;
}

}  // namespace

Result<policy::PolicyDocument> ParsePolicyDocumentRequest(const http::HttpRequest& request) {
  // The server's body limit may be set higher for other routes.
  if (request.body.size() > policy::kMaxPolicyDocumentSize) {
    return InvalidArgument("a policy document is at most " + std::to_string(policy::kMaxPolicyDocumentSize) + " bytes");
  }
  VTPMD_ASSIGN_OR_RETURN(boost::json::object body, ParseJsonObject(request));
  return policy::ParsePolicyDocument(body);
}

Result<PolicyListQuery> ParsePolicyListQuery(const http::HttpRequest& request) {
  VTPMD_ASSIGN_OR_RETURN(QueryParams params, ParseQuery(request.query));
  VTPMD_RETURN_IF_ERROR(RejectUnknownParams(params, {"after", "limit"}));
  PolicyListQuery out;
  if (auto after = params.find("after"); after != params.end()) {
    auto valid = policy::ValidatePolicyName(after->second);
    if (!valid.ok()) return valid.error().WithContext("query parameter 'after'");
    out.after = after->second;
  }
  VTPMD_ASSIGN_OR_RETURN(std::int64_t limit, IntegerParam(params, "limit", kDefaultLimit, 1, kMaxLimit));
  out.limit = static_cast<std::size_t>(limit);
  return out;
}

Result<std::optional<std::int64_t>> ParsePolicyVersionQuery(const http::HttpRequest& request) {
  VTPMD_ASSIGN_OR_RETURN(QueryParams params, ParseQuery(request.query));
  VTPMD_RETURN_IF_ERROR(RejectUnknownParams(params, {"version"}));
  const auto version = params.find("version");
  if (version == params.end()) return std::optional<std::int64_t>();
  VTPMD_ASSIGN_OR_RETURN(std::int64_t number, VersionNumber(version->second, "query parameter 'version'"));
  return std::optional<std::int64_t>(number);
}

Result<std::optional<std::int64_t>> ParseIfMatchVersion(const http::HttpRequest& request) {
  const std::optional<std::string_view> header = request.Header("If-Match");
  if (!header) return std::optional<std::int64_t>();
  std::string_view value = *header;
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value == "*") return std::optional<std::int64_t>();
  // One strong entity tag: a weak one never matches (RFC 9110 §13.1.1), and a list
  // of versions has no use when only the current one can be replaced.
  if (value.size() < 3 || value.front() != '"' || value.back() != '"') {
    return InvalidArgument("If-Match must be \"*\" or one entity tag \"N\", N the policy's current version");
  }
  VTPMD_ASSIGN_OR_RETURN(std::int64_t version, VersionNumber(value.substr(1, value.size() - 2), "If-Match"));
  return std::optional<std::int64_t>(version);
}

std::string PolicyEntityTag(std::int64_t version) {
  return "\"" + std::to_string(version) + "\"";
}

}  // namespace vtpmd::api
