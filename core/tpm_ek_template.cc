#include "core/tpm_ek_template.h"

#include <openssl/core_names.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace vtpmd::tpm {
namespace {

// PolicySecret(TPM_RH_ENDORSEMENT) with an empty policyRef: TCG EK Credential
// Profile, section B.3.3.
constexpr std::array<std::uint8_t, 32> kEkPolicy = {0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc,
                                                    0x8d, 0x46, 0xa5, 0xd7, 0x24, 0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52,
                                                    0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa};

constexpr TPMA_OBJECT kEkAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                                      TPMA_OBJECT_ADMINWITHPOLICY | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;

constexpr TPMT_SYM_DEF_OBJECT kAes128Cfb = {
    .algorithm = TPM2_ALG_AES, .keyBits = {.aes = 128}, .mode = {.aes = TPM2_ALG_CFB}};

constexpr std::size_t kRsa2048Bytes = 256;
constexpr std::size_t kP256CoordinateBytes = 32;

TPM2B_PUBLIC EkBase(TPMI_ALG_PUBLIC type) {
  TPM2B_PUBLIC pub{};
  pub.publicArea.type = type;
  pub.publicArea.nameAlg = TPM2_ALG_SHA256;
  pub.publicArea.objectAttributes = kEkAttributes;
  pub.publicArea.authPolicy.size = kEkPolicy.size();
  std::copy(kEkPolicy.begin(), kEkPolicy.end(), pub.publicArea.authPolicy.buffer);
  return pub;
}

Result<TPMT_PUBLIC> RsaEk(EVP_PKEY* key) {
  BIGNUM* modulus_raw = nullptr;
  BIGNUM* exponent_raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &modulus_raw) != 1 ||
      EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &exponent_raw) != 1) {
    BN_free(modulus_raw);
    BN_free(exponent_raw);
    return ossl::LastError("reading the EK's RSA key", ErrorCode::kInvalidArgument);
  }
  ossl::BignumPtr modulus(modulus_raw);
  ossl::BignumPtr exponent(exponent_raw);
  if (BN_num_bits(modulus.get()) != 2048 || !BN_is_word(exponent.get(), 65537)) {
    return Unsupported("the EK's RSA key is not RSA-2048 with exponent 65537 (template L-1)");
  }
  TPMT_PUBLIC area = EkRsaTemplate().publicArea;
  if (BN_bn2binpad(modulus.get(), area.unique.rsa.buffer, kRsa2048Bytes) != static_cast<int>(kRsa2048Bytes)) {
    return ossl::LastError("BN_bn2binpad");
  }
  return area;
}

Result<TPMT_PUBLIC> EccEk(EVP_PKEY* key) {
  char curve[32] = {};
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve, nullptr) != 1 ||
      std::strcmp(curve, "prime256v1") != 0) {
    return Unsupported("the EK's ECC key is not on NIST P-256 (template L-2)");
  }
  BIGNUM* x_raw = nullptr;
  BIGNUM* y_raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x_raw) != 1 ||
      EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y_raw) != 1) {
    BN_free(x_raw);
    BN_free(y_raw);
    return ossl::LastError("reading the EK's ECC point", ErrorCode::kInvalidArgument);
  }
  ossl::BignumPtr x(x_raw);
  ossl::BignumPtr y(y_raw);
  TPMT_PUBLIC area = EkEccTemplate().publicArea;
  if (BN_bn2binpad(x.get(), area.unique.ecc.x.buffer, kP256CoordinateBytes) != static_cast<int>(kP256CoordinateBytes) ||
      BN_bn2binpad(y.get(), area.unique.ecc.y.buffer, kP256CoordinateBytes) != static_cast<int>(kP256CoordinateBytes)) {
    return ossl::LastError("BN_bn2binpad");
  }
  return area;
}

}  // namespace

TPM2B_PUBLIC EkRsaTemplate() {
  TPM2B_PUBLIC pub = EkBase(TPM2_ALG_RSA);
  TPMS_RSA_PARMS& rsa = pub.publicArea.parameters.rsaDetail;
  rsa.symmetric = kAes128Cfb;
  rsa.scheme.scheme = TPM2_ALG_NULL;
  rsa.keyBits = 2048;
  rsa.exponent = 0;
  pub.publicArea.unique.rsa.size = kRsa2048Bytes;  // zero-filled, as L-1 specifies
  return pub;
}

TPM2B_PUBLIC EkEccTemplate() {
  TPM2B_PUBLIC pub = EkBase(TPM2_ALG_ECC);
  TPMS_ECC_PARMS& ecc = pub.publicArea.parameters.eccDetail;
  ecc.symmetric = kAes128Cfb;
  ecc.scheme.scheme = TPM2_ALG_NULL;
  ecc.curveID = TPM2_ECC_NIST_P256;
  ecc.kdf.scheme = TPM2_ALG_NULL;
  pub.publicArea.unique.ecc.x.size = kP256CoordinateBytes;  // zero-filled, as L-2 specifies
  pub.publicArea.unique.ecc.y.size = kP256CoordinateBytes;
  return pub;
}

Result<TPMT_PUBLIC> EkPublicFromKey(EVP_PKEY* key) {
  if (key == nullptr) return InvalidArgument("no EK key");
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA: return RsaEk(key);
    case EVP_PKEY_EC: return EccEk(key);
    default: return Unsupported("the EK's key is neither RSA nor ECC");
  }
}

}  // namespace vtpmd::tpm
