#include "server/api/enrollment_routes.h"

#include <boost/json.hpp>

#include "ca/x509_time.h"
#include "core/uuid.h"
#include "server/api/json_io.h"
#include "server/api/time_format.h"

namespace vtpmd::api {
namespace {

boost::json::object ChallengeJson(const ca::IssuedChallenge& challenge) {
  return boost::json::object{{"id", challenge.id},
                             {"credential_blob", Base64Encode(challenge.credential.id_object)},
                             {"encrypted_secret", Base64Encode(challenge.credential.encrypted_secret)},
                             {"credential_file", Base64Encode(challenge.credential_file)},
                             {"aik_name", HexEncode(challenge.aik_name)},
                             {"expires_at", Rfc3339FromUnixSeconds(ca::ToUnixSeconds(challenge.expires_at))}};
}

Result<http::HttpResponse> ActivationResponse(const app::EnrollmentService& service,
                                              const Result<ca::Enrollment>& enrollment) {
  if (!enrollment.ok()) return enrollment.error();
  VTPMD_ASSIGN_OR_RETURN(std::string certificate_pem, ossl::CertificatePem(enrollment->certificate.get()));
  VTPMD_ASSIGN_OR_RETURN(std::string chain_pem, service.ChainPem(*enrollment));
  boost::json::object body{{"certificate_serial", enrollment->serial},
                           {"certificate_pem", certificate_pem},
                           {"chain_pem", chain_pem}};
  if (!enrollment->instance_id.empty()) body["instance_id"] = enrollment->instance_id;
  return JsonResponse(200, body);
}

}  // namespace

Status AddEnrollmentRoutes(http::Router& router, const auth::Authorizer& authorizer, app::EnrollmentService& service) {
  const auth::RoleSet enrollers{auth::Role::kAdmin, auth::Role::kHost};

  VTPMD_RETURN_IF_ERROR(router.Add(
      "POST", "/v1/aik/challenges",
      [&authorizer, &service, enrollers](const http::HttpRequest& request,
                                         const http::PathParams&) -> Result<http::HttpResponse> {
        VTPMD_RETURN_IF_ERROR(authorizer.Require(request, enrollers));
        VTPMD_ASSIGN_OR_RETURN(AikChallengeRequest parsed, ParseAikChallengeRequest(request));
        VTPMD_ASSIGN_OR_RETURN(ca::IssuedChallenge challenge, service.Challenge(parsed));
        http::HttpResponse response = JsonResponse(201, ChallengeJson(challenge));
        response.headers.emplace_back("Location", "/v1/aik/challenges/" + challenge.id);
        return response;
      }));

  // Deferred: the answer waits for the certificate's record to reach the disk, and
  // the request's thread does not.
  return router.AddDeferred(
      "POST", "/v1/aik/challenges/{id}/activation",
      [&authorizer, &service, enrollers](const http::HttpRequest& request, const http::PathParams& params,
                                         http::RouteCompletion done) {
        if (auto allowed = authorizer.Require(request, enrollers); !allowed.ok()) return done(allowed.error());
        auto id = CanonicalUuid(params.Get("id"));
        if (!id.ok()) return done(id.error().WithContext("challenge id"));
        auto parsed = ParseActivationRequest(request);
        if (!parsed.ok()) return done(parsed.error());
        service.Activate(*id, parsed->secret,
                         [&service, done = std::move(done)](Result<ca::Enrollment> enrollment) {
                           done(ActivationResponse(service, enrollment));
                         });
      });
}

}  // namespace vtpmd::api
