#include "vtpm/key_certification.h"

#include <algorithm>
#include <string>

#include "core/tpm_name.h"
#include "core/tpm_wire.h"
#include "vtpm/esys_context.h"

namespace vtpmd::vtpm {
namespace {

// The TPM's answer is only worth passing on if it speaks about the object we
// asked for: a relying party checks the name against the key it certifies.
Status CheckCertifyAttest(ByteView attest, const TPM2B_PUBLIC& object_public, ByteView qualifying_data) {
  VTPMD_ASSIGN_OR_RETURN(TPMS_ATTEST parsed, tpm::ParseAttest(attest));
  if (parsed.type != TPM2_ST_ATTEST_CERTIFY) {
    return Internal("TPM2_Certify returned something other than a certify attestation");
  }
  VTPMD_ASSIGN_OR_RETURN(Bytes expected_name, tpm::ObjectName(object_public.publicArea));
  const TPM2B_NAME& name = parsed.attested.certify.name;
  if (!ConstantTimeEquals(expected_name, ByteView(name.name, name.size))) {
    return Internal("TPM2_Certify attested a different object than the one requested");
  }
  const TPM2B_DATA& extra = parsed.extraData;
  if (!ConstantTimeEquals(qualifying_data, ByteView(extra.buffer, extra.size))) {
    return Internal("TPM2_Certify attestation does not carry the qualifying data");
  }
  return Ok();
}

}  // namespace

Result<CertifyResult> CertifyObject(ESYS_CONTEXT* esys, ESYS_TR object, const TPM2B_PUBLIC& object_public,
                                    ESYS_TR signer, ByteView qualifying_data) {
  TPM2B_DATA nonce{};
  if (qualifying_data.size() > sizeof(nonce.buffer)) {
    return InvalidArgument("qualifying data is longer than " + std::to_string(sizeof(nonce.buffer)) + " bytes");
  }
  nonce.size = static_cast<std::uint16_t>(qualifying_data.size());
  std::copy(qualifying_data.begin(), qualifying_data.end(), nonce.buffer);
  TPMT_SIG_SCHEME scheme{};
  scheme.scheme = TPM2_ALG_ECDSA;
  scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;

  TPM2B_ATTEST* attest_raw = nullptr;
  TPMT_SIGNATURE* signature_raw = nullptr;
  VTPMD_RETURN_IF_ERROR(CheckTss(Esys_Certify(esys, object, signer, ESYS_TR_PASSWORD, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                              &nonce, &scheme, &attest_raw, &signature_raw),
                                 "TPM2_Certify"));
  EsysOwned<TPM2B_ATTEST> attest(attest_raw);
  EsysOwned<TPMT_SIGNATURE> signature(signature_raw);

  CertifyResult result;
  result.attest.assign(attest->attestationData, attest->attestationData + attest->size);
  VTPMD_RETURN_IF_ERROR(CheckCertifyAttest(result.attest, object_public, qualifying_data));
  VTPMD_ASSIGN_OR_RETURN(result.signature, tpm::MarshalSignature(*signature));
  return result;
}

}  // namespace vtpmd::vtpm
