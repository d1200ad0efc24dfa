#include "vtpm/tpm_templates.h"

#include <algorithm>
#include <string_view>

#include "core/tpm_wire.h"

namespace vtpmd::vtpm {
TPM2B_PUBLIC SrkTemplate() {
  TPM2B_PUBLIC pub{};
  pub.publicArea.type = TPM2_ALG_ECC;
  pub.publicArea.nameAlg = TPM2_ALG_SHA256;
  pub.publicArea.objectAttributes = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT | TPMA_OBJECT_FIXEDTPM |
                                    TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                                    TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA;
  // The TCG's storage parameters (P-256, AES-128-CFB) are the EK template's.
  pub.publicArea.parameters.eccDetail = tpm::EkEccTemplate().publicArea.parameters.eccDetail;
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

TPM2B_PUBLIC HostSigningKeyTemplate() {
  TPM2B_PUBLIC pub = AikTemplate();
  constexpr std::string_view kLabel = "vtpmd host signing key";
  TPM2B_ECC_PARAMETER& x = pub.publicArea.unique.ecc.x;
  x.size = static_cast<std::uint16_t>(kLabel.size());
  std::copy(kLabel.begin(), kLabel.end(), x.buffer);
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
