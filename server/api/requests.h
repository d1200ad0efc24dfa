#pragma once
// Decoding of request bodies into validated values, separate from the handlers that
// act on them: these are pure functions of untrusted bytes, which is what lets
// tests/fuzz/api_requests_fuzz.cc drive them directly.

#include <tss2/tss2_tpm2_types.h>

#include <chrono>
#include <optional>
#include <string>

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

Result<QuoteRequest> ParseQuoteRequest(const http::HttpRequest& request);
Result<TokenRequest> ParseTokenRequest(const http::HttpRequest& request);

}  // namespace vtpmd::api
