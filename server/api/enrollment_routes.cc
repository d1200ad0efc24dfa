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

  return router.Add(
      "POST", "/v1/aik/challenges/{id}/activation",
      [&authorizer, &service, enrollers](const http::HttpRequest& request,
                                                     const http::PathParams& params) -> Result<http::HttpResponse> {
        VTPMD_RETURN_IF_ERROR(authorizer.Require(request, enrollers));
        auto id = CanonicalUuid(params.Get("id"));
        if (!id.ok()) return id.error().WithContext("challenge id");
        VTPMD_ASSIGN_OR_RETURN(ActivationRequest parsed, ParseActivationRequest(request));
        VTPMD_ASSIGN_OR_RETURN(ca::Enrollment enrollment, service.Activate(*id, parsed.secret));
        VTPMD_ASSIGN_OR_RETURN(std::string certificate_pem, ossl::CertificatePem(enrollment.certificate.get()));
        VTPMD_ASSIGN_OR_RETURN(std::string chain_pem, service.ChainPem(enrollment));
        boost::json::object body{{"certificate_serial", enrollment.serial},
                                 {"certificate_pem", certificate_pem},
                                 {"chain_pem", chain_pem}};
        if (!enrollment.instance_id.empty()) body["instance_id"] = enrollment.instance_id;
        return JsonResponse(200, body);
      });
}

}  // namespace vtpmd::api
