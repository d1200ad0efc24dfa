#pragma once
// The DER of each certificate in a PEM text, without parsing the certificates: a
// chain that arrives with every attestation is decoded here and parsed through a
// CertificateCache, so the same certificates are not parsed again and again.

#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"

namespace vtpmd::ca {

// Longer chains than any this host issues are refused as malformed.
inline constexpr std::size_t kMaxPemCertificates = 8;

// Only "CERTIFICATE" blocks, separated by nothing but whitespace; at least one.
Result<std::vector<Bytes>> PemCertificateDers(std::string_view pem);

}  // namespace vtpmd::ca
