#pragma once
// Requests of /v1/attestations and /v1/platform/attestations, decoded as pure
// functions of untrusted bytes (fuzzed by tests/fuzz/api_requests_fuzz.cc).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/result.h"
#include "server/app/attestation_service.h"
#include "server/http/http_types.h"

namespace vtpmd::api {

// A challenger's nonce: at least 8 bytes (EAT's minimum for eat_nonce) and at most
// what a TPM quote's qualifying data holds.
inline constexpr std::size_t kMinNonceBytes = 8;
inline constexpr std::size_t kMaxNonceBytes = 64;

// POST /v1/attestations:
//   {"instance_id" | "vm_id", "nonce": hex, "policy", "policy_version"?, "deep_quote"?,
//    "evidence": {"quote": b64, "signature": b64, "pcrs": b64 (tpm2_quote -o) |
//                 "pcr_values": {bank: {pcr: hex}}, "aik_certificate_chain": PEM,
//                 "event_log": b64?}}
Result<app::GuestAttestationRequest> ParseGuestAttestationRequest(const http::HttpRequest& request);
// POST /v1/platform/attestations: {"nonce": hex, "policy", "policy_version"?}
Result<app::PlatformAttestationRequest> ParsePlatformAttestationRequest(const http::HttpRequest& request);

struct AttestationListQuery {
  app::AttestationFilter filter;
};
// GET /v1/attestations?instance=ID&status=S&before=CURSOR&limit=N
Result<AttestationListQuery> ParseAttestationListQuery(const http::HttpRequest& request);

}  // namespace vtpmd::api
