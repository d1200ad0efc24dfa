#include "ca/tpm_subject_key.h"

#include <openssl/crypto.h>
#include <openssl/objects.h>

#include <climits>
#include <cstring>

#include "ca/der.h"
#include "core/openssl.h"
#include "core/tpm_keys.h"

namespace vtpmd::ca {
namespace {

struct KeyInfo {
  int algorithm_nid;
  int parameter_type;  // V_ASN1_NULL for RSA, V_ASN1_OBJECT (the curve) for ECC
  int curve_nid;
  Bytes key_bits;
};

Result<KeyInfo> RsaKeyInfo(const TPMT_PUBLIC& area) {
  const std::uint32_t exponent = tpm::RsaExponent(area.parameters.rsaDetail);
  const std::uint8_t exponent_bytes[] = {static_cast<std::uint8_t>(exponent >> 24),
                                         static_cast<std::uint8_t>(exponent >> 16),
                                         static_cast<std::uint8_t>(exponent >> 8), static_cast<std::uint8_t>(exponent)};
  VTPMD_ASSIGN_OR_RETURN(Bytes modulus, der::UnsignedInteger(ByteView(area.unique.rsa.buffer, area.unique.rsa.size)));
  VTPMD_ASSIGN_OR_RETURN(Bytes public_exponent, der::UnsignedInteger(exponent_bytes));
  // RFC 8017 RSAPublicKey.
  VTPMD_ASSIGN_OR_RETURN(Bytes rsa_public_key, der::Sequence({modulus, public_exponent}));
  return KeyInfo{NID_rsaEncryption, V_ASN1_NULL, NID_undef, std::move(rsa_public_key)};
}

Result<KeyInfo> EccKeyInfo(const TPMT_PUBLIC& area) {
  VTPMD_ASSIGN_OR_RETURN(tpm::EccPoint ecc, tpm::EccPointFromTpm(area));
  return KeyInfo{NID_X9_62_id_ecPublicKey, V_ASN1_OBJECT, ecc.curve_nid, std::move(ecc.point)};
}

}  // namespace

Status SetSubjectKeyFromTpm(X509* certificate, const TPMT_PUBLIC& area) {
  if (area.type != TPM2_ALG_RSA && area.type != TPM2_ALG_ECC) return Unsupported("TPM object is not an RSA or ECC key");
  VTPMD_ASSIGN_OR_RETURN(KeyInfo info, area.type == TPM2_ALG_RSA ? RsaKeyInfo(area) : EccKeyInfo(area));
  if (info.key_bits.size() > INT_MAX) return Internal("public key too large");
  // Ownership of the key bits passes to the certificate on success only.
  auto* bits = static_cast<unsigned char*>(OPENSSL_memdup(info.key_bits.data(), info.key_bits.size()));
  if (bits == nullptr) return ossl::LastError("OPENSSL_memdup");
  void* parameter = info.parameter_type == V_ASN1_OBJECT ? OBJ_nid2obj(info.curve_nid) : nullptr;
  if (X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(certificate), OBJ_nid2obj(info.algorithm_nid), info.parameter_type,
                             parameter, bits, static_cast<int>(info.key_bits.size())) != 1) {
    OPENSSL_free(bits);
    return ossl::LastError("X509_PUBKEY_set0_param");
  }
  return Ok();
}

}  // namespace vtpmd::ca
