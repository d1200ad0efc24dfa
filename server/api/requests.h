#pragma once
// Decoding of request bodies into validated values, separate from the handlers that
// act on them: these are pure functions of untrusted bytes, which is what lets
// tests/fuzz/api_requests_fuzz.cc drive them directly.

#include <sys/types.h>
#include <tss2/tss2_tpm2_types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"
#include "server/auth/role.h"
#include "server/http/http_types.h"

namespace vtpmd::api {

struct QuoteRequest {
  Bytes nonce;  // 8..64 bytes: the quote's qualifying data
  TPML_PCR_SELECTION selection;
};

struct TokenRequest {
  auth::Role role;
  std::string label;
  std::optional<std::chrono::seconds> ttl;
};

struct CreateInstanceRequest {
  std::string vm_id;  // canonical UUID
  std::string label;
  std::string certification_method;
  std::vector<std::string> ek_algorithms;  // "rsa2048", "ecc-nist-p256"; no duplicates
  std::optional<uid_t> binding_uid;        // peers of the VM-facing sockets must have this uid
};

Result<QuoteRequest> ParseQuoteRequest(const http::HttpRequest& request);
Result<CreateInstanceRequest> ParseCreateInstanceRequest(const http::HttpRequest& request);
Result<TokenRequest> ParseTokenRequest(const http::HttpRequest& request);

}  // namespace vtpmd::api
