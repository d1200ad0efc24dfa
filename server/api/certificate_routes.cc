#include "server/api/certificate_routes.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

#include "ca/x509_time.h"
#include "core/openssl.h"
#include "core/uuid.h"
#include "server/api/json_io.h"
#include "server/api/query.h"
#include "server/api/time_format.h"

namespace vtpmd::api {
namespace {

constexpr std::int64_t kDefaultLimit = 100;
constexpr std::int64_t kMaxLimit = 1000;
// Our serials are 127 bits; 20 octets is RFC 5280's ceiling for anyone's.
constexpr std::size_t kMaxSerialHexDigits = 40;

// Serials are compared as the upper-case hex the store keeps.
Result<std::string> SerialParam(std::string_view text) {
  if (text.empty() || text.size() > kMaxSerialHexDigits ||
      !std::all_of(text.begin(), text.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); })) {
    return InvalidArgument("a certificate serial is 1 to 40 hexadecimal digits");
  }
  std::string serial(text);
  for (char& c : serial) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return serial;
}

Result<boost::json::object> CertificateJson(const ca::CertificateRecord& record, TimePoint now) {
  VTPMD_ASSIGN_OR_RETURN(ossl::X509Ptr certificate, ossl::ParseCertificateDer(record.der));
  VTPMD_ASSIGN_OR_RETURN(std::string pem, ossl::CertificatePem(certificate.get()));
  boost::json::object out{{"serial", record.serial},
                          {"issuer", ca::IssuerRoleName(record.issuer)},
                          {"kind", record.kind},
                          {"subject", record.subject},
                          {"status", ca::CertificateStatusName(record.StatusAt(now))},
                          {"not_before", Rfc3339FromUnixSeconds(ca::ToUnixSeconds(record.not_before))},
                          {"not_after", Rfc3339FromUnixSeconds(ca::ToUnixSeconds(record.not_after))},
                          {"certificate_pem", pem}};
  if (!record.instance_id.empty()) out["instance_id"] = record.instance_id;
  if (record.revoked_at) {
    out["revoked_at"] = Rfc3339FromUnixSeconds(ca::ToUnixSeconds(*record.revoked_at));
    out["revocation_reason"] = ca::RevocationReasonName(record.revocation_reason);
  }
  return out;
}

Result<ca::CertificateFilter> ListFilter(const http::HttpRequest& request) {
  VTPMD_ASSIGN_OR_RETURN(QueryParams params, ParseQuery(request.query));
  VTPMD_RETURN_IF_ERROR(RejectUnknownParams(params, {"instance", "status", "after", "limit"}));
  ca::CertificateFilter filter;
  if (auto instance = params.find("instance"); instance != params.end()) {
    auto id = CanonicalUuid(instance->second);
    if (!id.ok()) return id.error().WithContext("query parameter 'instance'");
    filter.instance_id = std::move(id).value();
  }
  if (auto status = params.find("status"); status != params.end()) {
    VTPMD_ASSIGN_OR_RETURN(filter.status, ca::CertificateStatusFromName(status->second));
  }
  if (auto after = params.find("after"); after != params.end()) {
    VTPMD_ASSIGN_OR_RETURN(filter.after_serial, SerialParam(after->second));
  }
  VTPMD_ASSIGN_OR_RETURN(std::int64_t limit, IntegerParam(params, "limit", kDefaultLimit, 1, kMaxLimit));
  filter.limit = static_cast<std::size_t>(limit);
  return filter;
}

Result<ca::RevocationReason> ReasonFromBody(const http::HttpRequest& request) {
  VTPMD_ASSIGN_OR_RETURN(boost::json::object body, ParseJsonObject(request));
  VTPMD_RETURN_IF_ERROR(RejectUnknownFields(body, {"reason"}));
  VTPMD_ASSIGN_OR_RETURN(std::optional<std::string> reason, OptionalString(body, "reason"));
  if (!reason) return ca::RevocationReason::kUnspecified;
  return ca::RevocationReasonFromName(*reason);
}

Result<http::HttpResponse> CrlResponse(const app::CertificateService& certificates, const http::HttpRequest& request,
                                       std::string_view issuer_name) {
  VTPMD_ASSIGN_OR_RETURN(QueryParams params, ParseQuery(request.query));
  VTPMD_RETURN_IF_ERROR(RejectUnknownParams(params, {"format"}));
  const auto format = params.find("format");
  const bool pem = format != params.end() && format->second == "pem";
  if (format != params.end() && !pem && format->second != "der") {
    return InvalidArgument("query parameter 'format' is der or pem");
  }
  auto role = ca::IssuerRoleFromName(issuer_name);
  if (!role.ok()) return NotFound("no issuer named \"" + std::string(issuer_name) + "\"");
  VTPMD_ASSIGN_OR_RETURN(Bytes der, certificates.Crl(*role));
  http::HttpResponse response;
  if (pem) {
    response.content_type = "application/x-pem-file";
    response.body = "-----BEGIN X509 CRL-----\n";
    const std::string encoded = Base64Encode(der);
    for (std::size_t i = 0; i < encoded.size(); i += 64) response.body += encoded.substr(i, 64) + "\n";
    response.body += "-----END X509 CRL-----\n";
  } else {
    response.content_type = "application/pkix-crl";
    response.body.assign(der.begin(), der.end());
  }
  // A cache may keep it briefly; a revocation must still show within a minute.
  response.headers.emplace_back("Cache-Control", "public, max-age=60");
  return response;
}

}  // namespace

Status AddCertificateRoutes(http::Router& router, const auth::Authorizer& authorizer,
                            app::CertificateService& certificates) {
  const auth::RoleSet admin{auth::Role::kAdmin};

  VTPMD_RETURN_IF_ERROR(router.Add(
      "GET", "/v1/certificates",
      [&authorizer, &certificates, admin](const http::HttpRequest& request,
                                          const http::PathParams&) -> Result<http::HttpResponse> {
        VTPMD_RETURN_IF_ERROR(authorizer.Require(request, admin));
        VTPMD_ASSIGN_OR_RETURN(ca::CertificateFilter filter, ListFilter(request));
        VTPMD_ASSIGN_OR_RETURN(std::vector<ca::CertificateRecord> records, certificates.List(filter));
        const TimePoint now = certificates.Now();
        boost::json::array items;
        for (const ca::CertificateRecord& record : records) {
          VTPMD_ASSIGN_OR_RETURN(boost::json::object item, CertificateJson(record, now));
          items.push_back(std::move(item));
        }
        boost::json::object body{{"certificates", std::move(items)}};
        // A full page may have more behind it; the last serial is the cursor.
        if (records.size() == filter.limit) body["next_after"] = records.back().serial;
        return JsonResponse(200, body);
      }));

  VTPMD_RETURN_IF_ERROR(router.Add(
      "GET", "/v1/certificates/{serial}",
      [&authorizer, &certificates, admin](const http::HttpRequest& request,
                                          const http::PathParams& params) -> Result<http::HttpResponse> {
        VTPMD_RETURN_IF_ERROR(authorizer.Require(request, admin));
        VTPMD_ASSIGN_OR_RETURN(std::string serial, SerialParam(params.Get("serial")));
        VTPMD_ASSIGN_OR_RETURN(ca::CertificateRecord record, certificates.Get(serial));
        VTPMD_ASSIGN_OR_RETURN(boost::json::object body, CertificateJson(record, certificates.Now()));
        return JsonResponse(200, body);
      }));

  VTPMD_RETURN_IF_ERROR(router.Add(
      "POST", "/v1/certificates/{serial}/revocation",
      [&authorizer, &certificates, admin](const http::HttpRequest& request,
                                          const http::PathParams& params) -> Result<http::HttpResponse> {
        VTPMD_RETURN_IF_ERROR(authorizer.Require(request, admin));
        VTPMD_ASSIGN_OR_RETURN(std::string serial, SerialParam(params.Get("serial")));
        VTPMD_ASSIGN_OR_RETURN(ca::RevocationReason reason, ReasonFromBody(request));
        VTPMD_ASSIGN_OR_RETURN(ca::CertificateRecord record, certificates.Revoke(serial, reason));
        VTPMD_ASSIGN_OR_RETURN(boost::json::object body, CertificateJson(record, certificates.Now()));
        return JsonResponse(200, body);
      }));

  return router.Add("GET", "/v1/ca/{issuer}/crl",
                    [&certificates](const http::HttpRequest& request,
                                    const http::PathParams& params) -> Result<http::HttpResponse> {
                      return CrlResponse(certificates, request, params.Get("issuer"));
                    });
}

}  // namespace vtpmd::api
