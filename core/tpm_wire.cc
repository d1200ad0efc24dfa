#include "core/tpm_wire.h"

#include "core/byte_reader.h"
#include "core/tpm_alg.h"
#include "core/tpm_mu.h"

namespace vtpmd::tpm {
namespace {

Status CheckPublicArea(const TPMT_PUBLIC& area) {
  switch (area.type) {
    case TPM2_ALG_RSA:
    case TPM2_ALG_ECC:
    case TPM2_ALG_KEYEDHASH:
    case TPM2_ALG_SYMCIPHER: break;
    default: return Unsupported("unsupported TPM object type");
  }
  auto name_alg = HashAlgFromTpm(area.nameAlg);
  if (!name_alg.ok()) return name_alg.error().WithContext("public area nameAlg");
  return Ok();
}

Status CheckAttest(const TPMS_ATTEST& attest) {
  if (attest.magic != TPM2_GENERATED_VALUE) return InvalidArgument("TPMS_ATTEST magic is not TPM_GENERATED_VALUE");
  switch (attest.type) {
    case TPM2_ST_ATTEST_CERTIFY:
    case TPM2_ST_ATTEST_QUOTE:
    case TPM2_ST_ATTEST_SESSION_AUDIT:
    case TPM2_ST_ATTEST_COMMAND_AUDIT:
    case TPM2_ST_ATTEST_TIME:
    case TPM2_ST_ATTEST_CREATION:
    case TPM2_ST_ATTEST_NV: return Ok();
    default: return InvalidArgument("unknown TPMS_ATTEST type");
  }
}

}  // namespace

Result<HashAlg> SignatureHashAlg(const TPMT_SIGNATURE& signature) {
  TPMI_ALG_HASH hash = TPM2_ALG_NULL;
  switch (signature.sigAlg) {
    case TPM2_ALG_RSASSA: hash = signature.signature.rsassa.hash; break;
    case TPM2_ALG_RSAPSS: hash = signature.signature.rsapss.hash; break;
    case TPM2_ALG_ECDSA: hash = signature.signature.ecdsa.hash; break;
    default: return Unsupported("unsupported TPM signature scheme");
  }
  auto alg = HashAlgFromTpm(hash);
  if (!alg.ok()) return alg.error().WithContext("signature hash");
  return alg;
}

Result<TPMT_PUBLIC> ParsePublicArea(ByteView data) {
  VTPMD_ASSIGN_OR_RETURN(TPMT_PUBLIC area,
                         mu::UnmarshalExact<TPMT_PUBLIC>(Tss2_MU_TPMT_PUBLIC_Unmarshal, data, "TPMT_PUBLIC"));
  VTPMD_RETURN_IF_ERROR(CheckPublicArea(area));
  return area;
}

Result<TPM2B_PUBLIC> ParsePublic(ByteView data) {
  // The outer size is checked here rather than trusted to libtss2-mu: it must cover
  // the area exactly, and an empty TPM2B_PUBLIC is not a key.
  ByteReader reader(data);
  VTPMD_ASSIGN_OR_RETURN(ByteView inner, reader.Sized16());
  VTPMD_RETURN_IF_ERROR(reader.ExpectEnd("TPM2B_PUBLIC"));
  if (inner.empty()) return InvalidArgument("empty TPM2B_PUBLIC");
  TPM2B_PUBLIC pub{};
  VTPMD_ASSIGN_OR_RETURN(pub.publicArea, ParsePublicArea(inner));
  pub.size = static_cast<UINT16>(inner.size());
  return pub;
}

Result<Bytes> MarshalPublicArea(const TPMT_PUBLIC& area) {
  VTPMD_RETURN_IF_ERROR(CheckPublicArea(area));
  return mu::Marshal(Tss2_MU_TPMT_PUBLIC_Marshal, area, "TPMT_PUBLIC");
}

Result<Bytes> MarshalPublic(const TPM2B_PUBLIC& pub) {
  // The size field is derived from the area, never copied from the struct, so a
  // stale size cannot produce an inconsistent encoding.
  VTPMD_ASSIGN_OR_RETURN(Bytes area, MarshalPublicArea(pub.publicArea));
  Bytes out = {static_cast<std::uint8_t>(area.size() >> 8), static_cast<std::uint8_t>(area.size() & 0xff)};
  out.insert(out.end(), area.begin(), area.end());
  return out;
}

Result<TPMS_ATTEST> ParseAttestStructure(ByteView data) {
  return mu::UnmarshalExact<TPMS_ATTEST>(Tss2_MU_TPMS_ATTEST_Unmarshal, data, "TPMS_ATTEST");
}

Result<TPMS_ATTEST> ParseAttest(ByteView data) {
  VTPMD_ASSIGN_OR_RETURN(TPMS_ATTEST attest, ParseAttestStructure(data));
  VTPMD_RETURN_IF_ERROR(CheckAttest(attest));
  return attest;
}

Result<Bytes> MarshalAttest(const TPMS_ATTEST& attest) {
  VTPMD_RETURN_IF_ERROR(CheckAttest(attest));
  return mu::Marshal(Tss2_MU_TPMS_ATTEST_Marshal, attest, "TPMS_ATTEST");
}

Result<TPMT_SIGNATURE> ParseSignature(ByteView data) {
  VTPMD_ASSIGN_OR_RETURN(TPMT_SIGNATURE signature,
                         mu::UnmarshalExact<TPMT_SIGNATURE>(Tss2_MU_TPMT_SIGNATURE_Unmarshal, data, "TPMT_SIGNATURE"));
  VTPMD_RETURN_IF_ERROR(SignatureHashAlg(signature));
  return signature;
}

Result<Bytes> MarshalSignature(const TPMT_SIGNATURE& signature) {
  VTPMD_RETURN_IF_ERROR(SignatureHashAlg(signature));
  return mu::Marshal(Tss2_MU_TPMT_SIGNATURE_Marshal, signature, "TPMT_SIGNATURE");
}

}  // namespace vtpmd::tpm
