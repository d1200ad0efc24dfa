#include "ca/jwk.h"

#include <openssl/core_names.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>

#include <array>

#include "core/crypto.h"

namespace vtpmd::ca {
namespace {

constexpr int kMinRsaBits = 2048;

// `width` 0 means the fewest octets; otherwise left-padded with zeros to `width`.
Result<std::string> Base64UrlParam(EVP_PKEY* key, const char* name, std::size_t width) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) return ossl::LastError(std::string("reading key parameter ") + name);
  const ossl::BignumPtr value(raw);
  const auto size = static_cast<std::size_t>(BN_num_bytes(value.get()));
  if (width == 0) width = size;
  if (size > width) return Internal(std::string("key parameter ") + name + " is wider than its field");
  Bytes octets(width);
  if (BN_bn2binpad(value.get(), octets.data(), static_cast<int>(width)) < 0) return ossl::LastError("BN_bn2binpad");
  return Base64UrlEncode(octets);
}

Result<std::string> EcJwk(EVP_PKEY* key, std::string_view crv, std::size_t coordinate_size) {
  VTPMD_ASSIGN_OR_RETURN(std::string x, Base64UrlParam(key, OSSL_PKEY_PARAM_EC_PUB_X, coordinate_size));
  VTPMD_ASSIGN_OR_RETURN(std::string y, Base64UrlParam(key, OSSL_PKEY_PARAM_EC_PUB_Y, coordinate_size));
  return R"({"crv":")" + std::string(crv) + R"(","kty":"EC","x":")" + x + R"(","y":")" + y + R"("})";
}

Result<std::string> RsaJwk(EVP_PKEY* key) {
  VTPMD_ASSIGN_OR_RETURN(std::string e, Base64UrlParam(key, OSSL_PKEY_PARAM_RSA_E, 0));
  VTPMD_ASSIGN_OR_RETURN(std::string n, Base64UrlParam(key, OSSL_PKEY_PARAM_RSA_N, 0));
  return R"({"e":")" + e + R"(","kty":"RSA","n":")" + n + R"("})";
}

}  // namespace

Result<JwkKeyType> JwkKeyTypeOf(EVP_PKEY* key) {
  if (key == nullptr) return InvalidArgument("no key");
  // EVP_PKEY_RSA only: an RSA-PSS-restricted key (EVP_PKEY_RSA_PSS) may carry
  // parameters that contradict PS256's.
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA && EVP_PKEY_get_bits(key) >= kMinRsaBits) return JwkKeyType::kRsa;
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
    std::array<char, 64> group{};
    if (EVP_PKEY_get_group_name(key, group.data(), group.size(), nullptr) != 1) {
      return ossl::LastError("EVP_PKEY_get_group_name");
    }
    const int nid = OBJ_txt2nid(group.data());
    if (nid == NID_X9_62_prime256v1) return JwkKeyType::kEcP256;
    if (nid == NID_secp384r1) return JwkKeyType::kEcP384;
  }
  return Unsupported("JWS keys are ECDSA P-256, ECDSA P-384 or RSA of at least 2048 bits");
}

Result<std::string> CanonicalPublicJwk(EVP_PKEY* key) {
  VTPMD_ASSIGN_OR_RETURN(JwkKeyType type, JwkKeyTypeOf(key));
  switch (type) {
    case JwkKeyType::kEcP256: return EcJwk(key, "P-256", 32);
    case JwkKeyType::kEcP384: return EcJwk(key, "P-384", 48);
    case JwkKeyType::kRsa: return RsaJwk(key);
  }
  return Internal("unknown JWK key type");
}

Result<std::string> JwkThumbprint(EVP_PKEY* key) {
  VTPMD_ASSIGN_OR_RETURN(std::string jwk, CanonicalPublicJwk(key));
  VTPMD_ASSIGN_OR_RETURN(Bytes digest, Sha256(AsBytes(jwk)));
  return Base64UrlEncode(digest);
}

}  // namespace vtpmd::ca
