#pragma once
// Path validation against an explicit set of trust anchors, at an injected time.

#include <openssl/x509.h>

#include <span>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/openssl.h"
#include "core/result.h"

namespace vtpmd::ca {

// Ok when `leaf` chains through `intermediates` to one of `anchors`, every certificate
// valid at `at`. The error says why not (OpenSSL's verify error text and depth).
Status VerifyCertificateChain(X509* leaf, std::span<X509* const> intermediates, std::span<X509* const> anchors,
                              TimePoint at);

// All certificates of a PEM bundle; an empty or partly unparsable bundle is an error.
Result<std::vector<ossl::X509Ptr>> ParsePemBundle(std::string_view pem);

}  // namespace vtpmd::ca
