#include "server/api/attestation_routes.h"

#include <boost/json.hpp>

#include "core/uuid.h"
#include "server/api/attestation_requests.h"
#include "server/api/json_io.h"
#include "server/api/time_format.h"

namespace vtpmd::api {
namespace {

boost::json::object SummaryJson(const app::AttestationRecord& record) {
  boost::json::object out{{"id", record.id},
                          {"created_at", Rfc3339FromUnixSeconds(record.created_at)},
                          {"subject", record.subject},
                          {"status", record.status}};
  if (!record.instance_id.empty()) {
    out["instance_id"] = record.instance_id;
    out["vm_id"] = record.vm_id;
  }
  if (!record.policy_name.empty()) {
    out["policy"] = boost::json::object{{"name", record.policy_name}, {"version", record.policy_version.value_or(0)}};
  }
  out["token"] = record.token;
  return out;
}

// The summary with the stored result spliced in as "result", without parsing it.
http::HttpResponse RecordResponse(unsigned status, const app::AttestationRecord& record) {
  std::string body = boost::json::serialize(SummaryJson(record));
  body.pop_back();  // the closing brace
  body += ",\"result\":";
  body += record.result_json;
  body += '}';
  http::HttpResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = std::move(body);
  if (status == 201) response.headers.emplace_back("Location", "/v1/attestations/" + record.id);
  return response;
}

app::AttestationService::Completion AsRouteCompletion(http::RouteCompletion done) {
  return [done = std::move(done)](Result<app::AttestationRecord> record) {
    if (!record.ok()) return done(record.error());
    done(RecordResponse(201, *record));
  };
}

}  // namespace

Status AddAttestationRoutes(http::Router& router, const auth::Authorizer& authorizer,
                            app::AttestationService& attestations) {
  const auth::RoleSet challengers{auth::Role::kAdmin, auth::Role::kChallenger};

  VTPMD_RETURN_IF_ERROR(router.AddDeferred(
      "POST", "/v1/attestations",
      [&authorizer, &attestations, challengers](const http::HttpRequest& request, const http::PathParams&,
                                                http::RouteCompletion done) {
        if (auto allowed = authorizer.Require(request, challengers); !allowed.ok()) return done(allowed.error());
        auto parsed = ParseGuestAttestationRequest(request);
        if (!parsed.ok()) return done(parsed.error());
        attestations.AttestGuest(std::move(parsed).value(), AsRouteCompletion(std::move(done)));
      }));

  VTPMD_RETURN_IF_ERROR(router.AddDeferred(
      "POST", "/v1/platform/attestations",
      [&authorizer, &attestations, challengers](const http::HttpRequest& request, const http::PathParams&,
                                                http::RouteCompletion done) {
        if (auto allowed = authorizer.Require(request, challengers); !allowed.ok()) return done(allowed.error());
        auto parsed = ParsePlatformAttestationRequest(request);
        if (!parsed.ok()) return done(parsed.error());
        attestations.AttestPlatform(std::move(parsed).value(), AsRouteCompletion(std::move(done)));
      }));

  VTPMD_RETURN_IF_ERROR(
      router.Add("GET", "/v1/attestations/{id}",
                 [&authorizer, &attestations, challengers](const http::HttpRequest& request,
                                                           const http::PathParams& params) -> Result<http::HttpResponse> {
                   VTPMD_RETURN_IF_ERROR(authorizer.Require(request, challengers));
                   auto id = CanonicalUuid(params.Get("id"));
                   if (!id.ok()) return NotFound("no attestation " + std::string(params.Get("id")));
                   VTPMD_ASSIGN_OR_RETURN(app::AttestationRecord record, attestations.Get(*id));
                   return RecordResponse(200, record);
                 }));

  VTPMD_RETURN_IF_ERROR(
      router.Add("GET", "/v1/attestations",
                 [&authorizer, &attestations, challengers](const http::HttpRequest& request,
                                                           const http::PathParams&) -> Result<http::HttpResponse> {
                   VTPMD_RETURN_IF_ERROR(authorizer.Require(request, challengers));
                   VTPMD_ASSIGN_OR_RETURN(AttestationListQuery query, ParseAttestationListQuery(request));
                   VTPMD_ASSIGN_OR_RETURN(std::vector<app::AttestationSummary> found, attestations.List(query.filter));
                   boost::json::array items;
                   for (const app::AttestationSummary& summary : found) items.push_back(SummaryJson(summary.record));
                   boost::json::object body{{"attestations", std::move(items)}};
                   // A full page may have more behind it; the cursor continues after the last.
                   if (found.size() == query.filter.limit) body["next_before"] = found.back().seq;
                   return JsonResponse(200, body);
                 }));

  return router.Add("GET", "/.well-known/jwks.json",
                    [&attestations](const http::HttpRequest&, const http::PathParams&) -> Result<http::HttpResponse> {
                      http::HttpResponse response;
                      response.content_type = "application/jwk-set+json";
                      response.body = attestations.JwksJson();
                      response.headers.emplace_back("Cache-Control", "public, max-age=300");
                      return response;
                    });
}

}  // namespace vtpmd::api
