#include "server/api/ek_certificate_routes.h"

#include <boost/json.hpp>

#include <chrono>

#include "ca/ek_certificate.h"
#include "ca/serial_number.h"
#include "server/api/ek_certificate_requests.h"
#include "server/api/json_io.h"

namespace vtpmd::api {
namespace {

Result<boost::json::object> Issue(const EkCertificateRequestBody& body, const ca::CaHierarchy& hierarchy, Store& store,
                                  app::EventLog& events, const Clock& clock, Rng& rng) {
  VTPMD_ASSIGN_OR_RETURN(const ca::Issuer* ek_authority, hierarchy.issuer(ca::IssuerRole::kEkAuthority));
  // Without a TPM identity in the request, the one vtpmd's own vTPMs have (swtpm's).
  const ca::TpmDeviceInfo device{body.manufacturer.value_or(ca::kSwtpmManufacturerId),
                                 body.model.value_or(std::string(ca::kSwtpmModel)),
                                 static_cast<std::uint64_t>(body.firmware_version.value_or(0)) << 32};
  // The subject names the VM, as for our own vTPMs; without one it is empty.
  // No instance_id: the TPM is not one of vtpmd's own vTPMs.
  const ca::EkCertificateRequest request{body.ek_public.get(), device, body.vm_id.value_or(""),
                                         ca::kVtpmEkCertificateValidity,
                                         ""};
  ossl::X509Ptr certificate;
  std::string serial;
  VTPMD_RETURN_IF_ERROR(store.Transaction([&]() -> Status {
    VTPMD_ASSIGN_OR_RETURN(certificate, ca::IssueEkCertificate(*ek_authority, request, store, clock, rng));
    VTPMD_ASSIGN_OR_RETURN(serial, ca::SerialHex(certificate.get()));
    boost::json::object data{
        {"serial", serial}, {"kind", "ek"}, {"issuer", "ek-authority"}, {"algorithm", body.algorithm}};
    if (body.vm_id) data["vm_id"] = *body.vm_id;
    return events.Record("certificate.issued", "certificates/" + serial, boost::json::serialize(data));
  }));
  VTPMD_ASSIGN_OR_RETURN(Bytes der, ossl::CertificateDer(certificate.get()));
  VTPMD_ASSIGN_OR_RETURN(std::string pem, ossl::CertificatePem(certificate.get()));
  return boost::json::object{{"serial", serial}, {"certificate_der", Base64Encode(der)}, {"certificate_pem", pem}};
}

}  // namespace

Status AddEkCertificateRoutes(http::Router& router, const auth::Authorizer& authorizer,
                              const ca::CaHierarchy& hierarchy, Store& store, app::EventLog& events, const Clock& clock,
                              Rng& rng) {
  const auth::RoleSet manufacturers{auth::Role::kAdmin, auth::Role::kHost};
  return router.Add(
      "POST", "/v1/ek-certificates",
      [&authorizer, &hierarchy, &store, &events, &clock, &rng, manufacturers](
          const http::HttpRequest& request, const http::PathParams&) -> Result<http::HttpResponse> {
        VTPMD_RETURN_IF_ERROR(authorizer.Require(request, manufacturers));
        VTPMD_ASSIGN_OR_RETURN(EkCertificateRequestBody body, ParseEkCertificateRequest(request));
        VTPMD_ASSIGN_OR_RETURN(boost::json::object issued, Issue(body, hierarchy, store, events, clock, rng));
        http::HttpResponse response = JsonResponse(201, issued);
        response.headers.emplace_back("Location", "/v1/certificates/" + std::string(issued.at("serial").as_string()));
        return response;
      });
}

}  // namespace vtpmd::api
