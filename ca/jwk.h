#pragma once
// The public half of a signing key as a JSON Web Key (RFC 7517, RFC 7518 §6) and
// its RFC 7638 thumbprint, which names the key ("kid") in JWS headers and JWKS.

#include <string>

#include "core/openssl.h"
#include "core/result.h"

namespace vtpmd::ca {

// The key types a JWS signer may use: RFC 7518 §3.3 forbids RSA under 2048 bits,
// and JOSE libraries widely support these curves only.
enum class JwkKeyType { kEcP256, kEcP384, kRsa };

// Anything other than an EC key on P-256/P-384 or an RSA key of at least 2048
// bits is kUnsupported.
Result<JwkKeyType> JwkKeyTypeOf(EVP_PKEY* key);

// The required public members only, in lexicographic order and without
// whitespace: exactly what RFC 7638 hashes, and a valid JWK by itself. EC
// coordinates are zero-padded to the field size (RFC 7518 §6.2.1.2); RSA n and e
// use the fewest octets (§6.3.1.1).
Result<std::string> CanonicalPublicJwk(EVP_PKEY* key);

// base64url(SHA-256(CanonicalPublicJwk(key))).
Result<std::string> JwkThumbprint(EVP_PKEY* key);

}  // namespace vtpmd::ca
