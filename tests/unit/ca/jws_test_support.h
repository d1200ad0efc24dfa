#pragma once
// Shared helpers for the JWS signer tests: a signer key certified under a root,
// splitting compact tokens, and checking signatures with OpenSSL alone.

#include <optional>
#include <string>
#include <string_view>

#include "ca/jws_signer.h"
#include "ca/key_algorithm.h"
#include "core/bytes.h"
#include "core/openssl.h"

namespace vtpmd::ca::testing {

// What an attestation result looks like; no member name looks like an integer,
// so JavaScript keeps the order when it prints the claims back.
inline constexpr std::string_view kEarPayload =
    R"({"eat_profile":"tag:github.com,2023:veraison/ear","iat":1704067200,)"
    R"("ear.verifier-id":{"developer":"vtpmd","build":"0.1.0"},)"
    R"("submods":{"vm":{"ear.status":"affirming"}}})";

// A fresh `algorithm` key with its certificate, issued by a fresh P-256 root.
struct SignerChain {
  ossl::PkeyPtr key;
  ossl::X509Ptr leaf;
  ossl::X509Ptr root;
};
Result<SignerChain> MakeSignerChain(KeyAlgorithm algorithm);
Result<JwsSigner> MakeSigner(const SignerChain& chain);

struct CompactParts {
  std::string signing_input;  // header.payload, as encoded
  Bytes header;
  Bytes payload;
  Bytes signature;
};
// Three base64url parts, or nullopt.
std::optional<CompactParts> SplitCompact(std::string_view token);

// Verifies a JWS Signature with OpenSSL directly: r||s is turned back into DER
// for ECDSA; PS256 is PSS over SHA-256 with MGF1-SHA-256 and a 32-byte salt.
bool OpensslVerifies(EVP_PKEY* key, std::string_view alg, std::string_view signing_input, ByteView signature);

}  // namespace vtpmd::ca::testing
