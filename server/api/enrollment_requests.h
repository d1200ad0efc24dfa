#pragma once
// Request bodies of AIK enrollment (/v1/aik/challenges), decoded as pure functions
// of untrusted bytes (fuzzed by tests/fuzz/api_requests_fuzz.cc). Binary TPM
// structures travel base64-encoded, byte for byte as tpm2-tools writes them.

#include <optional>
#include <string>

#include "core/bytes.h"
#include "core/result.h"
#include "core/secret_bytes.h"
#include "server/http/http_types.h"

namespace vtpmd::api {

struct AikChallengeRequest {
  std::optional<std::string> instance_id;  // canonical UUID of a vTPM of this host
  std::optional<std::string> ek_algorithm;  // which of the instance's EKs: "rsa2048" or "ecc-nist-p256"
  std::optional<Bytes> ek_certificate_der;  // sent as PEM text or base64 DER
  std::optional<Bytes> ek_public;           // TPM2B_PUBLIC, for EKs not made from a default template
  Bytes aik_public;                         // TPM2B_PUBLIC (tpm2_createak -u) or TPMT_PUBLIC
};

struct ActivationRequest {
  SecretBytes secret;  // what TPM2_ActivateCredential recovered (tpm2_activatecredential -o)
};

// Either instance_id or ek_certificate must be present.
Result<AikChallengeRequest> ParseAikChallengeRequest(const http::HttpRequest& request);
Result<ActivationRequest> ParseActivationRequest(const http::HttpRequest& request);

}  // namespace vtpmd::api
