#pragma once
// Signs attestation results (EAT Attestation Results) as JWTs in the JWS compact
// serialization (RFC 7515) with the attestation-result signer's key, and
// publishes that key as a JWKS (RFC 7517) whose x5c ties it to the CA hierarchy,
// so relying parties can check tokens offline.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/openssl.h"
#include "core/result.h"

namespace vtpmd::ca {

class JwsSigner {
 public:
  // `private_key` decides the algorithm: ECDSA P-256 -> ES256, P-384 -> ES384,
  // RSA of at least 2048 bits -> PS256; anything else is kUnsupported. `chain` is
  // the signer's certificate (for `private_key`'s public half) first, then its
  // issuers up to the root. Nothing is borrowed beyond the call.
  static Result<JwsSigner> Create(EVP_PKEY* private_key, const std::vector<X509*>& chain);

  JwsSigner(JwsSigner&&) noexcept = default;
  JwsSigner& operator=(JwsSigner&&) noexcept = default;

  std::string_view alg() const { return alg_; }
  // The RFC 7638 thumbprint of the public key (ca/jwk.h).
  const std::string& kid() const { return kid_; }

  // header.payload.signature, each base64url without padding; the protected
  // header is {"alg":...,"kid":...,"typ":"JWT"}. `payload_json` is the claims
  // set, signed as given. Safe to call from several threads at once.
  Result<std::string> SignCompact(std::string_view payload_json) const;

  // {"keys":[JWK]}: the public key with kid, alg, "use":"sig" and x5c (the chain,
  // leaf first, as standard base64 DER).
  const std::string& JwksJson() const { return jwks_json_; }

 private:
  JwsSigner(ossl::PkeyPtr key, std::string_view alg, const EVP_MD* digest, std::size_t ecdsa_coordinate_size,
            std::string kid, std::string jwks_json);

  // The JWS Signature over `signing_input`: raw r||s for ECDSA (RFC 7518 §3.4).
  Result<Bytes> Sign(ByteView signing_input) const;

  ossl::PkeyPtr key_;
  std::string_view alg_;
  const EVP_MD* digest_;
  std::size_t ecdsa_coordinate_size_;  // 0 for RSA
  std::string kid_;
  std::string jwks_json_;
  std::string header_b64_dot_;  // base64url(protected header) + "."
};

}  // namespace vtpmd::ca
