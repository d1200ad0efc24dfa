#include "ca/jws_signer.h"

#include <openssl/ecdsa.h>
#include <openssl/rsa.h>

#include "ca/jwk.h"

namespace vtpmd::ca {
namespace {

using EcdsaSigPtr = ossl::Owned<ECDSA_SIG, ECDSA_SIG_free>;

// RFC 7518 §3.5: the salt is as long as the digest.
constexpr int kPs256SaltLength = 32;

struct Algorithm {
  std::string_view alg;
  const EVP_MD* digest;
  std::size_t ecdsa_coordinate_size;
};

Algorithm AlgorithmFor(JwkKeyType type) {
  switch (type) {
    case JwkKeyType::kEcP256: return {"ES256", EVP_sha256(), 32};
    case JwkKeyType::kEcP384: return {"ES384", EVP_sha384(), 48};
    case JwkKeyType::kRsa: return {"PS256", EVP_sha256(), 0};
  }
  return {"PS256", EVP_sha256(), 0};  // unreachable: the switch is exhaustive
}

// OpenSSL produces the DER ECDSA-Sig-Value; JWS wants r and s as fixed-width
// big-endian integers, concatenated.
Result<Bytes> RawEcdsaSignature(ByteView der, std::size_t coordinate_size) {
  const unsigned char* p = der.data();
  EcdsaSigPtr signature(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!signature) return ossl::LastError("d2i_ECDSA_SIG");
  if (p != der.data() + der.size()) return Internal("trailing bytes after the ECDSA signature");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(signature.get(), &r, &s);
  const int width = static_cast<int>(coordinate_size);
  Bytes raw(2 * coordinate_size);
  if (BN_bn2binpad(r, raw.data(), width) != width || BN_bn2binpad(s, raw.data() + coordinate_size, width) != width) {
    return Internal("ECDSA signature value wider than the curve");
  }
  return raw;
}

Result<std::string> X5c(const std::vector<X509*>& chain) {
  std::string out = "[";
  for (X509* certificate : chain) {
    VTPMD_ASSIGN_OR_RETURN(Bytes der, ossl::CertificateDer(certificate));
    if (out.size() > 1) out += ',';
    out += '"' + Base64Encode(der) + '"';
  }
  return out + "]";
}

Status CheckChain(EVP_PKEY* private_key, const std::vector<X509*>& chain) {
  if (chain.empty()) return InvalidArgument("the JWS signer needs its certificate chain");
  for (X509* certificate : chain) {
    if (certificate == nullptr) return InvalidArgument("null certificate in the JWS signer's chain");
  }
  EVP_PKEY* certified = X509_get0_pubkey(chain.front());
  if (certified == nullptr) return ossl::LastError("reading the JWS signer certificate's key");
  if (EVP_PKEY_eq(certified, private_key) != 1) {
    return InvalidArgument("the first certificate of the chain is not for the JWS signing key");
  }
  return Ok();
}

}  // namespace

JwsSigner::JwsSigner(ossl::PkeyPtr key, std::string_view alg, const EVP_MD* digest,
                     std::size_t ecdsa_coordinate_size, std::string kid, std::string jwks_json)
    : key_(std::move(key)),
      alg_(alg),
      digest_(digest),
      ecdsa_coordinate_size_(ecdsa_coordinate_size),
      kid_(std::move(kid)),
      jwks_json_(std::move(jwks_json)),
      header_b64_dot_(Base64UrlEncode(AsBytes(R"({"alg":")" + std::string(alg_) + R"(","kid":")" + kid_ +
                                              R"(","typ":"JWT"})")) +
                      '.') {}

Result<JwsSigner> JwsSigner::Create(EVP_PKEY* private_key, const std::vector<X509*>& chain) {
  VTPMD_ASSIGN_OR_RETURN(JwkKeyType type, JwkKeyTypeOf(private_key));
  VTPMD_RETURN_IF_ERROR(CheckChain(private_key, chain));
  const Algorithm algorithm = AlgorithmFor(type);
  VTPMD_ASSIGN_OR_RETURN(std::string jwk, CanonicalPublicJwk(private_key));
  VTPMD_ASSIGN_OR_RETURN(std::string kid, JwkThumbprint(private_key));
  VTPMD_ASSIGN_OR_RETURN(std::string x5c, X5c(chain));
  // The canonical JWK is a complete JWK: reopen it to append the optional members.
  jwk.pop_back();
  std::string jwks = R"({"keys":[)" + jwk + R"(,"kid":")" + kid + R"(","alg":")" + std::string(algorithm.alg) +
                     R"(","use":"sig","x5c":)" + x5c + "}]}";

  if (EVP_PKEY_up_ref(private_key) != 1) return ossl::LastError("EVP_PKEY_up_ref");
  JwsSigner signer(ossl::PkeyPtr(private_key), algorithm.alg, algorithm.digest, algorithm.ecdsa_coordinate_size,
                   std::move(kid), std::move(jwks));
  // A key without its private half (or one its provider cannot sign with) fails
  // here, at start-up, rather than on the first attestation.
  Result<Bytes> probe = signer.Sign(AsBytes("vtpmd"));
  if (!probe.ok()) return probe.error().WithContext("the JWS signing key cannot sign");
  return signer;
}

Result<std::string> JwsSigner::SignCompact(std::string_view payload_json) const {
  std::string token = header_b64_dot_ + Base64UrlEncode(AsBytes(payload_json));
  VTPMD_ASSIGN_OR_RETURN(Bytes signature, Sign(AsBytes(token)));
  token += '.';
  token += Base64UrlEncode(signature);
  return token;
}

Result<Bytes> JwsSigner::Sign(ByteView signing_input) const {
  // A context per call: contexts are not shareable, while the EVP_PKEY is for reading.
  ossl::MdCtxPtr context(EVP_MD_CTX_new());
  if (!context) return ossl::LastError("EVP_MD_CTX_new");
  EVP_PKEY_CTX* key_context = nullptr;  // owned by `context`
  VTPMD_RETURN_IF_ERROR(
      ossl::Check(EVP_DigestSignInit(context.get(), &key_context, digest_, nullptr, key_.get()), "EVP_DigestSignInit"));
  if (ecdsa_coordinate_size_ == 0) {
    VTPMD_RETURN_IF_ERROR(ossl::Check(EVP_PKEY_CTX_set_rsa_padding(key_context, RSA_PKCS1_PSS_PADDING),
                                      "EVP_PKEY_CTX_set_rsa_padding"));
    VTPMD_RETURN_IF_ERROR(
        ossl::Check(EVP_PKEY_CTX_set_rsa_mgf1_md(key_context, EVP_sha256()), "EVP_PKEY_CTX_set_rsa_mgf1_md"));
    VTPMD_RETURN_IF_ERROR(ossl::Check(EVP_PKEY_CTX_set_rsa_pss_saltlen(key_context, kPs256SaltLength),
                                      "EVP_PKEY_CTX_set_rsa_pss_saltlen"));
  }
  std::size_t length = 0;
  VTPMD_RETURN_IF_ERROR(ossl::Check(
      EVP_DigestSign(context.get(), nullptr, &length, signing_input.data(), signing_input.size()), "EVP_DigestSign"));
  Bytes signature(length);
  VTPMD_RETURN_IF_ERROR(ossl::Check(
      EVP_DigestSign(context.get(), signature.data(), &length, signing_input.data(), signing_input.size()),
      "EVP_DigestSign"));
  signature.resize(length);
  if (ecdsa_coordinate_size_ == 0) return signature;
  return RawEcdsaSignature(signature, ecdsa_coordinate_size_);
}

}  // namespace vtpmd::ca
