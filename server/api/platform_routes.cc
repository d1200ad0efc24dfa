#include "server/api/platform_routes.h"

#include <boost/json.hpp>

#include "core/bytes.h"
#include "core/openssl.h"
#include "core/pcr_selection.h"
#include "core/tpm_alg.h"
#include "server/api/json_io.h"
#include "server/api/requests.h"
#include "server/api/tpm_json.h"

namespace vtpmd::api {
namespace {

Result<TPML_PCR_SELECTION> AllPcrsOfEveryBank(const vtpm::PlatformTpm& tpm) {
  std::string text;
  for (TPM2_ALG_ID bank : tpm.pcr_banks()) {
    auto alg = tpm::HashAlgFromTpm(bank);
    if (!alg.ok()) continue;  // banks we cannot hash are not reported
    if (!text.empty()) text += '+';
    text += std::string(HashAlgName(*alg)) + ":0-23";
  }
  return tpm::ParsePcrSelectionText(text);
}

Result<boost::json::object> EndorsementKeyJson(const app::PlatformEkCertificate& ek) {
  VTPMD_ASSIGN_OR_RETURN(boost::json::object out, TpmKeyJson(ek.key_handle, ek.ek));
  out["nv_index"] = HandleText(ek.nv_index);
  out["certificate_status"] = app::EkCertificateStatusName(ek.status);
  if (!ek.detail.empty()) out["certificate_detail"] = ek.detail;
  if (ek.der) {
    VTPMD_ASSIGN_OR_RETURN(ossl::X509Ptr cert, ossl::ParseCertificateDer(*ek.der));
    VTPMD_ASSIGN_OR_RETURN(std::string pem, ossl::CertificatePem(cert.get()));
    out["certificate_pem"] = pem;
  }
  return out;
}

// What does not change while vtpmd runs, rendered once when the routes are added:
// the PCRs are the only part of GET /v1/platform read per request.
struct StaticPlatformJson {
  boost::json::object description;  // everything but "pcrs"
  boost::json::object aik;
  TPML_PCR_SELECTION all_pcrs;
};

Result<StaticPlatformJson> RenderStaticPlatform(const PlatformView& platform) {
  const vtpm::PlatformTpm& tpm = platform.tpm;
  const vtpm::PlatformIdentity& identity = tpm.identity();
  boost::json::array eks;
  for (const auto& ek : platform.ek_certificates) {
    VTPMD_ASSIGN_OR_RETURN(boost::json::object ek_json, EndorsementKeyJson(ek));
    eks.push_back(std::move(ek_json));
  }
  VTPMD_ASSIGN_OR_RETURN(boost::json::object aik, TpmKeyJson(vtpm::kAikHandle, tpm.aik()));
  if (!platform.aik_certificate_chain_pem.empty()) aik["certificate_chain_pem"] = platform.aik_certificate_chain_pem;
  VTPMD_ASSIGN_OR_RETURN(TPML_PCR_SELECTION all_pcrs, AllPcrsOfEveryBank(tpm));
  boost::json::object tpm_json{{"manufacturer", identity.manufacturer},
                               {"manufacturer_id", HandleText(identity.manufacturer_id)},
                               {"vendor", identity.vendor},
                               {"firmware_version", std::to_string(identity.firmware_version >> 32) + "." +
                                                        std::to_string(identity.firmware_version & 0xffffffff)},
                               {"spec_revision", identity.spec_revision}};
  boost::json::object description{{"simulated", tpm.simulated()},
                                  {"tcti", platform.tcti},
                                  {"tpm", std::move(tpm_json)},
                                  {"endorsement_keys", std::move(eks)},
                                  {"attestation_key", aik}};
  return StaticPlatformJson{std::move(description), std::move(aik), all_pcrs};
}

Result<http::HttpResponse> DescribePlatform(vtpm::PlatformTpm& tpm, const StaticPlatformJson& rendered) {
  VTPMD_ASSIGN_OR_RETURN(auto pcr_values, tpm.ReadPcrs(rendered.all_pcrs));
  VTPMD_ASSIGN_OR_RETURN(boost::json::object pcrs, PcrValuesJson(pcr_values));
  boost::json::object out = rendered.description;
  out["pcrs"] = std::move(pcrs);
  return JsonResponse(200, out);
}

Result<http::HttpResponse> QuotePlatform(vtpm::PlatformTpm& tpm, const StaticPlatformJson& rendered,
                                         const http::HttpRequest& request) {
  VTPMD_ASSIGN_OR_RETURN(QuoteRequest parsed, ParseQuoteRequest(request));
  VTPMD_ASSIGN_OR_RETURN(vtpm::QuoteResult quote, tpm.Quote(parsed.nonce, parsed.selection));
  VTPMD_ASSIGN_OR_RETURN(boost::json::object pcrs, PcrValuesJson(quote.pcrs));
  return JsonResponse(200, boost::json::object{{"attest", Base64Encode(quote.attest)},
                                               {"signature", Base64Encode(quote.signature)},
                                               {"pcr_selection", tpm::PcrSelectionText(quote.selection)},
                                               {"pcrs", std::move(pcrs)},
                                               {"attestation_key", rendered.aik},
                                               {"simulated", tpm.simulated()}});
}

}  // namespace

Status AddPlatformRoutes(http::Router& router, const auth::Authorizer& authorizer, const PlatformView& platform) {
  VTPMD_ASSIGN_OR_RETURN(auto rendered, RenderStaticPlatform(platform));
  auto shared = std::make_shared<const StaticPlatformJson>(std::move(rendered));
  vtpm::PlatformTpm& tpm = platform.tpm;
  VTPMD_RETURN_IF_ERROR(router.Add("GET", "/v1/platform",
                                   [&authorizer, &tpm, shared](const http::HttpRequest& request,
                                                               const http::PathParams&) -> Result<http::HttpResponse> {
                                     VTPMD_RETURN_IF_ERROR(authorizer.Require(request, auth::RoleSet::Any()));
                                     return DescribePlatform(tpm, *shared);
                                   }));
  VTPMD_RETURN_IF_ERROR(
      router.Add("POST", "/v1/platform/quote",
                 [&authorizer, &tpm, shared](const http::HttpRequest& request,
                                             const http::PathParams&) -> Result<http::HttpResponse> {
                   VTPMD_RETURN_IF_ERROR(authorizer.Require(
                       request, auth::RoleSet{auth::Role::kAdmin, auth::Role::kChallenger, auth::Role::kHost}));
                   return QuotePlatform(tpm, *shared, request);
                 }));
  return Ok();
}

}  // namespace vtpmd::api
