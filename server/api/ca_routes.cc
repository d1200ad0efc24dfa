#include "server/api/ca_routes.h"

#include <openssl/asn1.h>

#include <boost/json.hpp>

#include "core/bytes.h"
#include "core/crypto.h"
#include "core/openssl.h"
#include "server/api/json_io.h"
#include "server/api/time_format.h"

namespace vtpmd::api {
namespace {

Result<std::string> NameText(const X509_NAME* name) {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return ossl::LastError("BIO_new");
  if (X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return ossl::LastError("X509_NAME_print_ex");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

Result<std::string> TimeText(const ASN1_TIME* time) {
  std::tm tm{};
  VTPMD_RETURN_IF_ERROR(ossl::Check(ASN1_TIME_to_tm(time, &tm), "ASN1_TIME_to_tm"));
  return Rfc3339FromUnixSeconds(timegm(&tm));
}

Result<boost::json::object> IssuerJson(const ca::Issuer& issuer) {
  X509* cert = issuer.certificate.get();
  VTPMD_ASSIGN_OR_RETURN(std::string pem, ossl::CertificatePem(cert));
  VTPMD_ASSIGN_OR_RETURN(Bytes der, ossl::CertificateDer(cert));
  VTPMD_ASSIGN_OR_RETURN(Bytes fingerprint, Sha256(der));
  VTPMD_ASSIGN_OR_RETURN(std::string subject, NameText(X509_get_subject_name(cert)));
  VTPMD_ASSIGN_OR_RETURN(std::string issuer_name, NameText(X509_get_issuer_name(cert)));
  VTPMD_ASSIGN_OR_RETURN(std::string not_before, TimeText(X509_get0_notBefore(cert)));
  VTPMD_ASSIGN_OR_RETURN(std::string not_after, TimeText(X509_get0_notAfter(cert)));
  ossl::BignumPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  if (!serial) return ossl::LastError("ASN1_INTEGER_to_BN");
  char* serial_hex = BN_bn2hex(serial.get());
  if (serial_hex == nullptr) return ossl::LastError("BN_bn2hex");
  std::string serial_text(serial_hex);
  OPENSSL_free(serial_hex);
  return boost::json::object{{"role", ca::IssuerRoleName(issuer.role)},
                             {"certificate_pem", pem},
                             {"subject", subject},
                             {"issuer", issuer_name},
                             {"serial", serial_text},
                             {"not_before", not_before},
                             {"not_after", not_after},
                             {"sha256_fingerprint", HexEncode(fingerprint)}};
}

}  // namespace

Status AddCaRoutes(http::Router& router, const ca::CaHierarchy& hierarchy) {
  VTPMD_RETURN_IF_ERROR(router.Add("GET", "/v1/ca/certificates", [&hierarchy](const http::HttpRequest&, const http::PathParams&)
                                               -> Result<http::HttpResponse> {
    boost::json::array issuers;
    for (const ca::Issuer* issuer : hierarchy.issuers()) {
      VTPMD_ASSIGN_OR_RETURN(boost::json::object json, IssuerJson(*issuer));
      issuers.push_back(std::move(json));
    }
    return JsonResponse(200, boost::json::object{{"issuers", std::move(issuers)}});
  }));
  return Ok();
}

}  // namespace vtpmd::api
