#include "tests/support/software_aik.h"

#include <openssl/core_names.h>
#include <openssl/obj_mac.h>
#include <tss2/tss2_tpm2_types.h>

#include <cstring>

#include "core/tpm_wire.h"

namespace vtpmd::testing {
namespace {

constexpr std::size_t kP256CoordinateBytes = 32;

Status CopyCoordinate(EVP_PKEY* key, const char* which, TPM2B_ECC_PARAMETER& out) {
  BIGNUM* raw = nullptr;
  VTPMD_RETURN_IF_ERROR(ossl::Check(EVP_PKEY_get_bn_param(key, which, &raw), "EVP_PKEY_get_bn_param"));
  ossl::BignumPtr value(raw);
  if (BN_bn2binpad(value.get(), out.buffer, kP256CoordinateBytes) != static_cast<int>(kP256CoordinateBytes)) {
    return ossl::LastError("BN_bn2binpad");
  }
  out.size = kP256CoordinateBytes;
  return Ok();
}

}  // namespace

Result<Bytes> SoftwareAikPublic(EVP_PKEY* key) {
  char curve[32] = {};
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
      EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve, nullptr) != 1 ||
      std::strcmp(curve, SN_X9_62_prime256v1) != 0) {
    return InvalidArgument("a software AIK needs an EC key on NIST P-256");
  }
  TPM2B_PUBLIC pub{};
  TPMT_PUBLIC& area = pub.publicArea;
  area.type = TPM2_ALG_ECC;
  area.nameAlg = TPM2_ALG_SHA256;
  area.objectAttributes = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_FIXEDTPM |
                          TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH;
  TPMS_ECC_PARMS& ecc = area.parameters.eccDetail;
  ecc.symmetric.algorithm = TPM2_ALG_NULL;
  ecc.scheme.scheme = TPM2_ALG_ECDSA;
  ecc.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
  ecc.curveID = TPM2_ECC_NIST_P256;
  ecc.kdf.scheme = TPM2_ALG_NULL;
  VTPMD_RETURN_IF_ERROR(CopyCoordinate(key, OSSL_PKEY_PARAM_EC_PUB_X, area.unique.ecc.x));
  VTPMD_RETURN_IF_ERROR(CopyCoordinate(key, OSSL_PKEY_PARAM_EC_PUB_Y, area.unique.ecc.y));
  return tpm::MarshalPublic(pub);
}

}  // namespace vtpmd::testing
