#include "core/tpm_signature.h"

#include <openssl/ec.h>
#include <openssl/rsa.h>

#include <string>

#include "core/crypto.h"
#include "core/openssl.h"
#include "core/tpm_wire.h"

namespace vtpmd::tpm {
namespace {

using EcdsaSigPtr = ossl::Owned<ECDSA_SIG, ECDSA_SIG_free>;

Result<ossl::BignumPtr> BignumFrom(const TPM2B_ECC_PARAMETER& value) {
  return ossl::CheckPtr(ossl::BignumPtr(BN_bin2bn(value.buffer, value.size, nullptr)), "BN_bin2bn");
}

// The TPM sends r and s as raw integers; OpenSSL verifies the DER Ecdsa-Sig-Value.
Result<Bytes> EcdsaDer(const TPMS_SIGNATURE_ECC& ecdsa) {
  VTPMD_ASSIGN_OR_RETURN(ossl::BignumPtr r, BignumFrom(ecdsa.signatureR));
  VTPMD_ASSIGN_OR_RETURN(ossl::BignumPtr s, BignumFrom(ecdsa.signatureS));
  VTPMD_ASSIGN_OR_RETURN(EcdsaSigPtr sig, ossl::CheckPtr(EcdsaSigPtr(ECDSA_SIG_new()), "ECDSA_SIG_new"));
  VTPMD_RETURN_IF_ERROR(ossl::Check(ECDSA_SIG_set0(sig.get(), r.get(), s.get()), "ECDSA_SIG_set0"));
  (void)r.release();  // owned by sig now
  (void)s.release();
  const int size = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (size <= 0) return ossl::LastError("i2d_ECDSA_SIG");
  Bytes der(static_cast<std::size_t>(size));
  unsigned char* out = der.data();
  if (i2d_ECDSA_SIG(sig.get(), &out) != size) return ossl::LastError("i2d_ECDSA_SIG");
  return der;
}

struct EncodedSignature {
  Bytes bytes;
  const char* key_type;
  int rsa_padding;  // only meaningful for RSA keys
};

EncodedSignature RsaSignature(const TPM2B_PUBLIC_KEY_RSA& sig, int padding) {
  return {Bytes(sig.buffer, sig.buffer + sig.size), "RSA", padding};
}

Result<EncodedSignature> Encode(const TPMT_SIGNATURE& signature) {
  switch (signature.sigAlg) {
    case TPM2_ALG_RSASSA: return RsaSignature(signature.signature.rsassa.sig, RSA_PKCS1_PADDING);
    case TPM2_ALG_RSAPSS: return RsaSignature(signature.signature.rsapss.sig, RSA_PKCS1_PSS_PADDING);
    case TPM2_ALG_ECDSA: {
      VTPMD_ASSIGN_OR_RETURN(Bytes der, EcdsaDer(signature.signature.ecdsa));
      return EncodedSignature{std::move(der), "EC", 0};
    }
    default: return Unsupported("unsupported TPM signature scheme");
  }
}

}  // namespace

Result<Bytes> EcdsaSignatureDer(const TPMT_SIGNATURE& signature) {
  if (signature.sigAlg != TPM2_ALG_ECDSA) return InvalidArgument("not an ECDSA signature");
  return EcdsaDer(signature.signature.ecdsa);
}

Status VerifyTpmSignature(EVP_PKEY* key, ByteView signed_message, const TPMT_SIGNATURE& signature) {
  VTPMD_ASSIGN_OR_RETURN(HashAlg hash, SignatureHashAlg(signature));
  VTPMD_ASSIGN_OR_RETURN(EncodedSignature encoded, Encode(signature));
  if (EVP_PKEY_is_a(key, encoded.key_type) != 1) return InvalidArgument("signature scheme does not match the key type");

  ossl::MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return ossl::LastError("EVP_MD_CTX_new");
  EVP_PKEY_CTX* key_ctx = nullptr;  // owned by ctx
  const std::string digest_name(HashAlgName(hash));
  VTPMD_RETURN_IF_ERROR(ossl::Check(
      EVP_DigestVerifyInit_ex(ctx.get(), &key_ctx, digest_name.c_str(), nullptr, nullptr, key, nullptr),
      "EVP_DigestVerifyInit_ex"));
  if (signature.sigAlg != TPM2_ALG_ECDSA) {
    VTPMD_RETURN_IF_ERROR(ossl::Check(EVP_PKEY_CTX_set_rsa_padding(key_ctx, encoded.rsa_padding), "set RSA padding"));
  }
  if (signature.sigAlg == TPM2_ALG_RSAPSS) {
    // TPMs differ in PSS salt length (digest size or the maximum), so let OpenSSL
    // recover it from the signature.
    VTPMD_RETURN_IF_ERROR(
        ossl::Check(EVP_PKEY_CTX_set_rsa_pss_saltlen(key_ctx, RSA_PSS_SALTLEN_AUTO), "set PSS salt length"));
  }
  const int verified = EVP_DigestVerify(ctx.get(), encoded.bytes.data(), encoded.bytes.size(), signed_message.data(),
                                        signed_message.size());
  if (verified != 1) return ossl::LastError("TPM signature does not verify", ErrorCode::kInvalidArgument);
  return Ok();
}

}  // namespace vtpmd::tpm
