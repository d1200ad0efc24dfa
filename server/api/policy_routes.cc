#include "server/api/policy_routes.h"

#include <boost/json.hpp>

#include "server/api/json_io.h"
#include "server/api/policy_requests.h"
#include "server/api/time_format.h"
#include "server/http/problem.h"

namespace vtpmd::api {
namespace {

Result<std::string> NameParam(const http::PathParams& params) {
  std::string name(params.Get("name"));
  VTPMD_RETURN_IF_ERROR(policy::ValidatePolicyName(name));
  return name;
}

Result<boost::json::object> PolicyJson(const app::PolicyVersion& policy) {
  boost::system::error_code ec;
  boost::json::value document = boost::json::parse(policy.document_json, ec);
  if (ec || !document.is_object()) return Internal("stored policy " + policy.name + " is not a JSON object");
  return boost::json::object{{"name", policy.name},
                             {"version", policy.version},
                             {"latest_version", policy.latest_version},
                             {"status", policy.deleted ? "deleted" : "active"},
                             {"created_at", Rfc3339FromUnixSeconds(policy.created_at)},
                             {"document", std::move(document)}};
}

// The policy, with its version as entity tag for a later If-Match.
Result<http::HttpResponse> PolicyResponse(unsigned status, const app::PolicyVersion& policy) {
  VTPMD_ASSIGN_OR_RETURN(boost::json::object body, PolicyJson(policy));
  http::HttpResponse response = JsonResponse(status, body);
  if (policy.version == policy.latest_version) response.headers.emplace_back("ETag", PolicyEntityTag(policy.version));
  if (status == 201) response.headers.emplace_back("Location", "/v1/policies/" + policy.name);
  return response;
}

boost::json::object SummaryJson(const app::PolicySummary& summary) {
  boost::json::object out{{"name", summary.name},
                          {"latest_version", summary.latest_version},
                          {"updated_at", Rfc3339FromUnixSeconds(summary.updated_at)}};
  if (!summary.description.empty()) out["description"] = summary.description;
  return out;
}

}  // namespace

Status AddPolicyRoutes(http::Router& router, const auth::Authorizer& authorizer, app::PolicyService& policies) {
  const auth::RoleSet admin{auth::Role::kAdmin};
  const auth::RoleSet readers{auth::Role::kAdmin, auth::Role::kChallenger};

  VTPMD_RETURN_IF_ERROR(
      router.Add("POST", "/v1/policies",
                 [&authorizer, &policies, admin](const http::HttpRequest& request,
                                                 const http::PathParams&) -> Result<http::HttpResponse> {
                   VTPMD_RETURN_IF_ERROR(authorizer.Require(request, admin));
                   VTPMD_ASSIGN_OR_RETURN(policy::PolicyDocument document, ParsePolicyDocumentRequest(request));
                   VTPMD_ASSIGN_OR_RETURN(app::PolicyVersion created, policies.Create(document));
                   return PolicyResponse(201, created);
                 }));

  VTPMD_RETURN_IF_ERROR(
      router.Add("GET", "/v1/policies",
                 [&authorizer, &policies, readers](const http::HttpRequest& request,
                                                   const http::PathParams&) -> Result<http::HttpResponse> {
                   VTPMD_RETURN_IF_ERROR(authorizer.Require(request, readers));
                   VTPMD_ASSIGN_OR_RETURN(PolicyListQuery query, ParsePolicyListQuery(request));
                   VTPMD_ASSIGN_OR_RETURN(std::vector<app::PolicySummary> found,
                                          policies.List(app::PolicyFilter{query.after, query.limit}));
                   boost::json::array items;
                   for (const app::PolicySummary& summary : found) items.push_back(SummaryJson(summary));
                   boost::json::object body{{"policies", std::move(items)}};
                   // A full page may have more behind it; the last name is the cursor.
                   if (found.size() == query.limit) body["next_after"] = found.back().name;
                   return JsonResponse(200, body);
                 }));

  VTPMD_RETURN_IF_ERROR(
      router.Add("GET", "/v1/policies/{name}",
                 [&authorizer, &policies, readers](const http::HttpRequest& request,
                                                   const http::PathParams& params) -> Result<http::HttpResponse> {
                   VTPMD_RETURN_IF_ERROR(authorizer.Require(request, readers));
                   VTPMD_ASSIGN_OR_RETURN(std::string name, NameParam(params));
                   VTPMD_ASSIGN_OR_RETURN(std::optional<std::int64_t> version, ParsePolicyVersionQuery(request));
                   VTPMD_ASSIGN_OR_RETURN(app::PolicyVersion found, policies.Get(name, version));
                   return PolicyResponse(200, found);
                 }));

  VTPMD_RETURN_IF_ERROR(router.Add(
      "PUT", "/v1/policies/{name}",
      [&authorizer, &policies, admin](const http::HttpRequest& request,
                                      const http::PathParams& params) -> Result<http::HttpResponse> {
        VTPMD_RETURN_IF_ERROR(authorizer.Require(request, admin));
        VTPMD_ASSIGN_OR_RETURN(std::string name, NameParam(params));
        VTPMD_ASSIGN_OR_RETURN(std::optional<std::int64_t> expected, ParseIfMatchVersion(request));
        VTPMD_ASSIGN_OR_RETURN(policy::PolicyDocument document, ParsePolicyDocumentRequest(request));
        if (document.name != name) {
          return InvalidArgument("the document names policy \"" + document.name + "\", the path \"" + name + "\"");
        }
        VTPMD_ASSIGN_OR_RETURN(auto outcome, policies.Update(document, expected));
        if (const auto* stale = std::get_if<app::StaleVersion>(&outcome)) {
          return http::ProblemResponse(412,
                                       "policy \"" + name + "\" is at version " +
                                           std::to_string(stale->current_version) + ", not the one If-Match names",
                                       request.path);
        }
        return PolicyResponse(200, std::get<app::PolicyVersion>(outcome));
      }));

  return router.Add("DELETE", "/v1/policies/{name}",
                    [&authorizer, &policies, admin](const http::HttpRequest& request,
                                                    const http::PathParams& params) -> Result<http::HttpResponse> {
                      VTPMD_RETURN_IF_ERROR(authorizer.Require(request, admin));
                      VTPMD_ASSIGN_OR_RETURN(std::string name, NameParam(params));
                      VTPMD_RETURN_IF_ERROR(policies.Delete(name));
                      http::HttpResponse response;
                      response.status = 204;
                      return response;
                    });
}

}  // namespace vtpmd::api
