#include "ca/make_credential.h"

#include <openssl/evp.h>

#include <algorithm>
#include <string>

#include "ca/tpm_aes_cfb.h"
#include "ca/tpm_kdf.h"
#include "ca/tpm_secret_sharing.h"
#include "core/byte_reader.h"
#include "core/openssl.h"
#include "core/tpm_alg.h"

namespace vtpmd::ca {
namespace {

constexpr std::string_view kIdentityLabel = "IDENTITY";
constexpr std::string_view kStorageLabel = "STORAGE";
constexpr std::string_view kIntegrityLabel = "INTEGRITY";

Result<HashAlg> CheckEk(const TPMT_PUBLIC& ek) {
  if (ek.type != TPM2_ALG_RSA && ek.type != TPM2_ALG_ECC) return InvalidArgument("the EK is not an RSA or ECC key");
  const TPMA_OBJECT attributes = ek.objectAttributes;
  if ((attributes & TPMA_OBJECT_RESTRICTED) == 0 || (attributes & TPMA_OBJECT_DECRYPT) == 0 ||
      (attributes & TPMA_OBJECT_SIGN_ENCRYPT) != 0) {
    return InvalidArgument("the EK is not a restricted decryption (storage) key");
  }
  // rsaDetail and eccDetail both begin with the symmetric definition and scheme.
  const TPMS_ASYM_PARMS& params = ek.parameters.asymDetail;
  if (params.symmetric.algorithm != TPM2_ALG_AES || params.symmetric.mode.aes != TPM2_ALG_CFB) {
    return InvalidArgument("the EK's symmetric algorithm is not AES-CFB");
  }
  const unsigned key_bits = params.symmetric.keyBits.aes;
  if (key_bits != 128 && key_bits != 192 && key_bits != 256) {
    return InvalidArgument("the EK's AES key size is " + std::to_string(key_bits) + " bits");
  }
  if (params.scheme.scheme != TPM2_ALG_NULL) {
    return InvalidArgument("the EK has an asymmetric scheme; a storage key has none");
  }
  auto name_alg = tpm::HashAlgFromTpm(ek.nameAlg);
  if (!name_alg.ok()) return name_alg.error().WithContext("the EK's nameAlg");
  if (*name_alg == HashAlg::kSha1) return Unsupported("the EK's nameAlg is SHA-1; SHA-256 or stronger is required");
  return name_alg;
}

Status CheckObjectName(ByteView name) {
  ByteReader reader(name);
  auto alg = reader.U16();
  if (!alg.ok()) return InvalidArgument("the object name is truncated");
  auto hash = tpm::HashAlgFromTpm(*alg);
  if (!hash.ok()) return InvalidArgument("the object name's algorithm is not a supported hash");
  if (reader.remaining() != DigestSize(*hash)) {
    return InvalidArgument("the object name's digest does not have the size of its algorithm");
  }
  return Ok();
}

// The TPM unmarshals the credential into a TPM2B_DIGEST of the nameAlg's size.
Status CheckCredentialSize(HashAlg name_alg, const SecretBytes& credential) {
  if (credential.empty() || credential.size() > DigestSize(name_alg)) {
    return InvalidArgument("the credential must be 1 to " + std::to_string(DigestSize(name_alg)) +
                           " bytes (the nameAlg digest size)");
  }
  return Ok();
}

// encIdentity: the credential as a TPM2B_DIGEST, AES-CFB encrypted with a zero IV.
Result<Bytes> EncryptIdentity(const SecretBytes& key, const SecretBytes& credential) {
  SecretBytes plaintext(2 + credential.size());
  plaintext.data()[0] = static_cast<std::uint8_t>(credential.size() >> 8);
  plaintext.data()[1] = static_cast<std::uint8_t>(credential.size() & 0xff);
  std::copy(credential.view().begin(), credential.view().end(), plaintext.data() + 2);
  VTPMD_ASSIGN_OR_RETURN(SecretBytes encrypted, TpmAesCfb(key, plaintext.view(), CfbDirection::kEncrypt));
  return Bytes(encrypted.view().begin(), encrypted.view().end());
}

}  // namespace

Result<Bytes> ProtectCredential(HashAlg name_alg, std::size_t symmetric_key_bits, const SecretBytes& seed,
                                ByteView object_name, const SecretBytes& credential) {
  if (!IsAesKeySize(symmetric_key_bits)) return InvalidArgument("AES key size must be 128, 192 or 256 bits");
  VTPMD_RETURN_IF_ERROR(CheckCredentialSize(name_alg, credential));
  VTPMD_RETURN_IF_ERROR(CheckObjectName(object_name));
  // The name is the KDF context: the TPM derives the same key only when the
  // credential is activated for that very object.
  VTPMD_ASSIGN_OR_RETURN(SecretBytes symmetric_key,
                         KdfA(name_alg, seed.view(), kStorageLabel, object_name, {}, symmetric_key_bits));
  VTPMD_ASSIGN_OR_RETURN(Bytes enc_identity, EncryptIdentity(symmetric_key, credential));
  VTPMD_ASSIGN_OR_RETURN(SecretBytes hmac_key,
                         KdfA(name_alg, seed.view(), kIntegrityLabel, {}, {}, 8 * DigestSize(name_alg)));
  Bytes hmac_input = enc_identity;
  hmac_input.insert(hmac_input.end(), object_name.begin(), object_name.end());
  VTPMD_ASSIGN_OR_RETURN(Bytes integrity, Hmac(name_alg, hmac_key.view(), hmac_input));
  Bytes id_object = {static_cast<std::uint8_t>(integrity.size() >> 8), static_cast<std::uint8_t>(integrity.size())};
  id_object.insert(id_object.end(), integrity.begin(), integrity.end());
  id_object.insert(id_object.end(), enc_identity.begin(), enc_identity.end());
  return id_object;
}

Result<CredentialBlob> MakeCredential(const TPMT_PUBLIC& ek, ByteView object_name, const SecretBytes& credential,
                                      Rng& rng) {
  VTPMD_ASSIGN_OR_RETURN(HashAlg name_alg, CheckEk(ek));
  // Checked before the seed is shared, which costs an RSA or ECDH operation.
  VTPMD_RETURN_IF_ERROR(CheckCredentialSize(name_alg, credential));
  VTPMD_RETURN_IF_ERROR(CheckObjectName(object_name));
  VTPMD_ASSIGN_OR_RETURN(SharedSeed shared, ShareSeed(ek, kIdentityLabel, rng));
  VTPMD_ASSIGN_OR_RETURN(Bytes id_object, ProtectCredential(name_alg, ek.parameters.asymDetail.symmetric.keyBits.aes,
                                                            shared.seed, object_name, credential));
  return CredentialBlob{std::move(id_object), std::move(shared.encrypted_secret)};
}

}  // namespace vtpmd::ca
