#include "vtpm/tpm_templates.h"

#include <algorithm>
#include <array>

#include "core/tpm_wire.h"

namespace vtpmd::vtpm {
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

TPM2B_PUBLIC EkBase(TPMI_ALG_PUBLIC type) {
  TPM2B_PUBLIC pub{};
  pub.publicArea.type = type;
  pub.publicArea.nameAlg = TPM2_ALG_SHA256;
  pub.publicArea.objectAttributes = kEkAttributes;
  pub.publicArea.authPolicy.size = kEkPolicy.size();
  std::copy(kEkPolicy.begin(), kEkPolicy.end(), pub.publicArea.authPolicy.buffer);
  return pub;
}

TPMS_ECC_PARMS EccStorageParameters() {
  TPMS_ECC_PARMS ecc{};
  ecc.symmetric = kAes128Cfb;
  ecc.scheme.scheme = TPM2_ALG_NULL;
  ecc.curveID = TPM2_ECC_NIST_P256;
  ecc.kdf.scheme = TPM2_ALG_NULL;
  return ecc;
}

}  // namespace

TPM2B_PUBLIC EkRsaTemplate() {
  TPM2B_PUBLIC pub = EkBase(TPM2_ALG_RSA);
  TPMS_RSA_PARMS& rsa = pub.publicArea.parameters.rsaDetail;
  rsa.symmetric = kAes128Cfb;
  rsa.scheme.scheme = TPM2_ALG_NULL;
  rsa.keyBits = 2048;
  rsa.exponent = 0;
  pub.publicArea.unique.rsa.size = 256;  // zero-filled, as L-1 specifies
  return pub;
}

TPM2B_PUBLIC EkEccTemplate() {
  TPM2B_PUBLIC pub = EkBase(TPM2_ALG_ECC);
  pub.publicArea.parameters.eccDetail = EccStorageParameters();
  pub.publicArea.unique.ecc.x.size = 32;  // zero-filled, as L-2 specifies
  pub.publicArea.unique.ecc.y.size = 32;
  return pub;
}

TPM2B_PUBLIC SrkTemplate() {
  TPM2B_PUBLIC pub{};
  pub.publicArea.type = TPM2_ALG_ECC;
  pub.publicArea.nameAlg = TPM2_ALG_SHA256;
  pub.publicArea.objectAttributes = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT | TPMA_OBJECT_FIXEDTPM |
                                    TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                                    TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA;
  pub.publicArea.parameters.eccDetail = EccStorageParameters();
  return pub;
}

TPM2B_PUBLIC AikTemplate() {
  TPM2B_PUBLIC pub{};
  pub.publicArea.type = TPM2_ALG_ECC;
  pub.publicArea.nameAlg = TPM2_ALG_SHA256;
  pub.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                                    TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
  TPMS_ECC_PARMS& ecc = pub.publicArea.parameters.eccDetail;
  ecc.symmetric.algorithm = TPM2_ALG_NULL;
  ecc.scheme.scheme = TPM2_ALG_ECDSA;
  ecc.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
  ecc.curveID = TPM2_ECC_NIST_P256;
  ecc.kdf.scheme = TPM2_ALG_NULL;
  return pub;
}

TPM2B_PUBLIC SealedDataTemplate() {
  TPM2B_PUBLIC pub{};
  pub.publicArea.type = TPM2_ALG_KEYEDHASH;
  pub.publicArea.nameAlg = TPM2_ALG_SHA256;
  pub.publicArea.objectAttributes =
      TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_NODA;
  pub.publicArea.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;
  return pub;
}

Result<bool> MatchesTemplate(const TPM2B_PUBLIC& actual, const TPM2B_PUBLIC& tmpl) {
  TPM2B_PUBLIC a = actual;
  TPM2B_PUBLIC t = tmpl;
  a.publicArea.unique = {};
  t.publicArea.unique = {};
  VTPMD_ASSIGN_OR_RETURN(Bytes a_bytes, tpm::MarshalPublic(a));
  VTPMD_ASSIGN_OR_RETURN(Bytes t_bytes, tpm::MarshalPublic(t));
  return a_bytes == t_bytes;
}

}  // namespace vtpmd::vtpm
