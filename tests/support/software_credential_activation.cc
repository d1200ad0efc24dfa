#include "tests/support/software_credential_activation.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <algorithm>
#include <string>

#include "ca/tpm_aes_cfb.h"
#include "ca/tpm_kdf.h"
#include "core/byte_reader.h"
#include "core/tpm_alg.h"

namespace vtpmd::testing {
namespace {

constexpr std::string_view kIdentityLabel = "IDENTITY";
constexpr std::string_view kIntegrityLabel = "INTEGRITY";
constexpr std::string_view kStorageLabel = "STORAGE";

Result<HashAlg> NameAlg(const TPMT_PUBLIC& ek) {
  return tpm::HashAlgFromTpm(ek.nameAlg);
}

Result<SecretBytes> RsaSeed(EVP_PKEY* ek_private, HashAlg name_alg, ByteView encrypted_secret) {
  VTPMD_ASSIGN_OR_RETURN(ossl::PkeyCtxPtr ctx,
                         ossl::CheckPtr(ossl::PkeyCtxPtr(EVP_PKEY_CTX_new_from_pkey(nullptr, ek_private, nullptr)),
                                        "EVP_PKEY_CTX_new_from_pkey"));
  std::string md(HashAlgName(name_alg));
  std::string pad(OSSL_PKEY_RSA_PAD_MODE_OAEP);
  // Annex B.10.4: the label goes into OAEP with its terminating zero.
  Bytes label(kIdentityLabel.begin(), kIdentityLabel.end());
  label.push_back(0);
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, pad.data(), 0),
      OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST, md.data(), 0),
      OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST, md.data(), 0),
      OSSL_PARAM_construct_octet_string(OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL, label.data(), label.size()),
      OSSL_PARAM_construct_end(),
  };
  VTPMD_RETURN_IF_ERROR(ossl::Check(EVP_PKEY_decrypt_init_ex(ctx.get(), params), "EVP_PKEY_decrypt_init_ex"));
  std::size_t size = 0;
  VTPMD_RETURN_IF_ERROR(
      ossl::Check(EVP_PKEY_decrypt(ctx.get(), nullptr, &size, encrypted_secret.data(), encrypted_secret.size()),
                  "EVP_PKEY_decrypt"));
  SecretBytes buffer(size);
  if (EVP_PKEY_decrypt(ctx.get(), buffer.data(), &size, encrypted_secret.data(), encrypted_secret.size()) != 1) {
    return ossl::LastError("OAEP decryption of the seed (TPM_RC_VALUE)", ErrorCode::kInvalidArgument);
  }
  // The TPM takes the seed as a digest of the nameAlg.
  if (size > DigestSize(name_alg)) return InvalidArgument("the seed is longer than a nameAlg digest (TPM_RC_VALUE)");
  return SecretBytes::CopyFrom(buffer.view().first(size));
}

Result<Bytes> LeftPadded(ByteView coordinate, std::size_t field_bytes) {
  if (coordinate.size() > field_bytes) return InvalidArgument("an ephemeral coordinate is larger than the field");
  Bytes out(field_bytes - coordinate.size(), 0);
  out.insert(out.end(), coordinate.begin(), coordinate.end());
  return out;
}

Result<SecretBytes> EccSeed(EVP_PKEY* ek_private, const TPMT_PUBLIC& ek, HashAlg name_alg, ByteView encrypted_secret) {
  // The encrypted secret is a marshalled TPMS_ECC_POINT: the ephemeral public key.
  ByteReader reader(encrypted_secret);
  VTPMD_ASSIGN_OR_RETURN(ByteView x, reader.Sized16());
  VTPMD_ASSIGN_OR_RETURN(ByteView y, reader.Sized16());
  VTPMD_RETURN_IF_ERROR(reader.ExpectEnd("ephemeral point"));
  const std::size_t field_bytes = static_cast<std::size_t>(EVP_PKEY_get_bits(ek_private) + 7) / 8;
  VTPMD_ASSIGN_OR_RETURN(Bytes x_padded, LeftPadded(x, field_bytes));
  VTPMD_ASSIGN_OR_RETURN(Bytes y_padded, LeftPadded(y, field_bytes));
  Bytes encoded = {POINT_CONVERSION_UNCOMPRESSED};
  encoded.insert(encoded.end(), x_padded.begin(), x_padded.end());
  encoded.insert(encoded.end(), y_padded.begin(), y_padded.end());

  VTPMD_ASSIGN_OR_RETURN(ossl::PkeyPtr ephemeral, ossl::CheckPtr(ossl::PkeyPtr(EVP_PKEY_new()), "EVP_PKEY_new"));
  VTPMD_RETURN_IF_ERROR(ossl::Check(EVP_PKEY_copy_parameters(ephemeral.get(), ek_private), "EVP_PKEY_copy_parameters"));
  // OpenSSL refuses a point off the curve here, as the TPM does (TPM_RC_ECC_POINT).
  if (EVP_PKEY_set1_encoded_public_key(ephemeral.get(), encoded.data(), encoded.size()) != 1) {
    return ossl::LastError("the ephemeral point (TPM_RC_ECC_POINT)", ErrorCode::kInvalidArgument);
  }
  VTPMD_ASSIGN_OR_RETURN(ossl::PkeyCtxPtr ctx,
                         ossl::CheckPtr(ossl::PkeyCtxPtr(EVP_PKEY_CTX_new_from_pkey(nullptr, ek_private, nullptr)),
                                        "EVP_PKEY_CTX_new_from_pkey"));
  VTPMD_RETURN_IF_ERROR(ossl::Check(EVP_PKEY_derive_init(ctx.get()), "EVP_PKEY_derive_init"));
  VTPMD_RETURN_IF_ERROR(ossl::Check(EVP_PKEY_derive_set_peer(ctx.get(), ephemeral.get()), "EVP_PKEY_derive_set_peer"));
  SecretBytes z(field_bytes);
  std::size_t z_size = z.size();
  VTPMD_RETURN_IF_ERROR(ossl::Check(EVP_PKEY_derive(ctx.get(), z.data(), &z_size), "EVP_PKEY_derive"));
  if (z_size != field_bytes) return Internal("ECDH output is not a field element");
  // Part 1 C.6.4: partyUInfo is the ephemeral x, partyVInfo the EK's x as its public
  // area carries it.
  const TPM2B_ECC_PARAMETER& ek_x = ek.unique.ecc.x;
  return ca::KdfE(name_alg, z.view(), kIdentityLabel, x, ByteView(ek_x.buffer, ek_x.size), 8 * DigestSize(name_alg));
}

}  // namespace

Result<SecretBytes> RecoverCredentialSeed(EVP_PKEY* ek_private, const TPMT_PUBLIC& ek_public,
                                          ByteView encrypted_secret) {
  if (ek_private == nullptr) return InvalidArgument("no EK private key");
  VTPMD_ASSIGN_OR_RETURN(HashAlg name_alg, NameAlg(ek_public));
  switch (ek_public.type) {
    case TPM2_ALG_RSA: return RsaSeed(ek_private, name_alg, encrypted_secret);
    case TPM2_ALG_ECC: return EccSeed(ek_private, ek_public, name_alg, encrypted_secret);
    default: return Unsupported("the EK is neither RSA nor ECC");
  }
}

Result<SecretBytes> UnprotectCredential(HashAlg name_alg, std::size_t symmetric_key_bits, const SecretBytes& seed,
                                        ByteView object_name, ByteView id_object) {
  ByteReader reader(id_object);
  VTPMD_ASSIGN_OR_RETURN(ByteView integrity, reader.Sized16());
  VTPMD_ASSIGN_OR_RETURN(ByteView enc_identity, reader.Take(reader.remaining()));
  if (integrity.size() != DigestSize(name_alg)) return InvalidArgument("integrityHMAC is not a nameAlg digest");

  VTPMD_ASSIGN_OR_RETURN(SecretBytes hmac_key,
                         ca::KdfA(name_alg, seed.view(), kIntegrityLabel, {}, {}, 8 * DigestSize(name_alg)));
  Bytes hmac_input(enc_identity.begin(), enc_identity.end());
  hmac_input.insert(hmac_input.end(), object_name.begin(), object_name.end());
  VTPMD_ASSIGN_OR_RETURN(Bytes expected, Hmac(name_alg, hmac_key.view(), hmac_input));
  // Checked before anything is decrypted: the TPM reveals nothing about a credential
  // meant for another object or altered on the way.
  if (!ConstantTimeEquals(expected, integrity)) {
    return InvalidArgument("the credential's integrity HMAC does not match (TPM_RC_INTEGRITY)");
  }

  VTPMD_ASSIGN_OR_RETURN(SecretBytes symmetric_key,
                         ca::KdfA(name_alg, seed.view(), kStorageLabel, object_name, {}, symmetric_key_bits));
  VTPMD_ASSIGN_OR_RETURN(SecretBytes plaintext, ca::TpmAesCfb(symmetric_key, enc_identity, ca::CfbDirection::kDecrypt));
  ByteReader digest(plaintext.view());
  VTPMD_ASSIGN_OR_RETURN(ByteView credential, digest.Sized16());
  VTPMD_RETURN_IF_ERROR(digest.ExpectEnd("encIdentity"));
  if (credential.size() > DigestSize(name_alg)) return InvalidArgument("the credential is larger than a TPM2B_DIGEST");
  return SecretBytes::CopyFrom(credential);
}

Result<SecretBytes> ActivateCredential(EVP_PKEY* ek_private, const TPMT_PUBLIC& ek_public, ByteView object_name,
                                       const ca::CredentialBlob& blob) {
  VTPMD_ASSIGN_OR_RETURN(HashAlg name_alg, NameAlg(ek_public));
  VTPMD_ASSIGN_OR_RETURN(SecretBytes seed, RecoverCredentialSeed(ek_private, ek_public, blob.encrypted_secret));
  return UnprotectCredential(name_alg, ek_public.parameters.asymDetail.symmetric.keyBits.aes, seed, object_name,
                             blob.id_object);
}

}  // namespace vtpmd::testing
