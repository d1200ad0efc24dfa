// Request bodies of the REST API: arbitrary bytes as a JSON body must yield a value
// or an Error, never a crash, hang or exception.

#include <cstddef>
#include <cstdint>
#include <string>

#include "ca/pem_certificates.h"
#include "server/api/attestation_requests.h"
#include "server/api/ek_certificate_requests.h"
#include "server/api/enrollment_requests.h"
#include "server/api/policy_requests.h"
#include "server/api/query.h"
#include "server/api/event_type_patterns.h"
#include "server/api/requests.h"
#include "server/api/subscription_requests.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  vtpmd::http::HttpRequest request;
  request.method = "POST";
  request.headers.emplace_back("Content-Type", "application/json");
  request.body.assign(reinterpret_cast<const char*>(data), size);
  (void)vtpmd::api::ParseQuoteRequest(request);
  (void)vtpmd::api::ParseTokenRequest(request);
  (void)vtpmd::api::ParseCreateInstanceRequest(request);
  (void)vtpmd::api::ParseAikChallengeRequest(request);
  (void)vtpmd::api::ParseActivationRequest(request);
  (void)vtpmd::api::ParseEkCertificateRequest(request);
  (void)vtpmd::api::ParsePolicyDocumentRequest(request);
  (void)vtpmd::api::ParseGuestAttestationRequest(request);
  (void)vtpmd::api::ParsePlatformAttestationRequest(request);
  (void)vtpmd::api::ParseCreateSubscriptionRequest(request);
  (void)vtpmd::api::ParseSubscriptionPatchRequest(request);
  (void)vtpmd::api::ParseRedeliverRequest(request);
  (void)vtpmd::api::ParseEventTypePatterns(request.body);
  (void)vtpmd::ca::PemCertificateDers(request.body);
  (void)vtpmd::api::ParseQuery(request.body);
  request.query = request.body;
  (void)vtpmd::api::ParseAttestationListQuery(request);
  return 0;
}
