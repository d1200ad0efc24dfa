#include "ca/tpm_secret_sharing.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <string>

#include "ca/tpm_kdf.h"
#include "core/crypto.h"
#include "core/openssl.h"
#include "core/tpm_alg.h"
#include "core/tpm_keys.h"

namespace vtpmd::ca {
namespace {

// The label as both Annex B (OAEP label) and KDFe use it: with its terminating zero.
Bytes TerminatedLabel(std::string_view label) {
  Bytes out(label.begin(), label.end());
  out.push_back(0);
  return out;
}

void AppendSized16(Bytes& out, ByteView data) {
  out.push_back(static_cast<std::uint8_t>(data.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(data.size() & 0xff));
  out.insert(out.end(), data.begin(), data.end());
}

Result<Bytes> RsaOaepEncrypt(EVP_PKEY* key, HashAlg alg, std::string_view label, const SecretBytes& message) {
  VTPMD_ASSIGN_OR_RETURN(ossl::PkeyCtxPtr ctx,
                         ossl::CheckPtr(ossl::PkeyCtxPtr(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr)),
                                        "EVP_PKEY_CTX_new_from_pkey"));
  std::string md(HashAlgName(alg));
  std::string pad(OSSL_PKEY_RSA_PAD_MODE_OAEP);
  Bytes oaep_label = TerminatedLabel(label);
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, pad.data(), 0),
      OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST, md.data(), 0),
      OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST, md.data(), 0),
      OSSL_PARAM_construct_octet_string(OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL, oaep_label.data(), oaep_label.size()),
      OSSL_PARAM_construct_end(),
  };
  VTPMD_RETURN_IF_ERROR(ossl::Check(EVP_PKEY_encrypt_init_ex(ctx.get(), params), "EVP_PKEY_encrypt_init_ex"));
  std::size_t size = 0;
  VTPMD_RETURN_IF_ERROR(
      ossl::Check(EVP_PKEY_encrypt(ctx.get(), nullptr, &size, message.data(), message.size()), "EVP_PKEY_encrypt"));
  Bytes out(size);
  VTPMD_RETURN_IF_ERROR(
      ossl::Check(EVP_PKEY_encrypt(ctx.get(), out.data(), &size, message.data(), message.size()), "EVP_PKEY_encrypt"));
  out.resize(size);
  return out;
}

Result<SharedSeed> ShareRsa(const TPMT_PUBLIC& key, HashAlg name_alg, std::string_view label, Rng& rng) {
  VTPMD_ASSIGN_OR_RETURN(ossl::PkeyPtr public_key, tpm::PublicKeyFromTpm(key));
  VTPMD_ASSIGN_OR_RETURN(SecretBytes seed, rng.GenerateSecret(DigestSize(name_alg)));
  VTPMD_ASSIGN_OR_RETURN(Bytes encrypted, RsaOaepEncrypt(public_key.get(), name_alg, label, seed));
  return SharedSeed{std::move(seed), std::move(encrypted)};
}

// An ephemeral key on the peer's curve. Generating from the peer key copies its
// group; generating from the curve's name would build the group again.
Result<ossl::PkeyPtr> EphemeralKeyLike(EVP_PKEY* peer) {
  VTPMD_ASSIGN_OR_RETURN(ossl::PkeyCtxPtr ctx,
                         ossl::CheckPtr(ossl::PkeyCtxPtr(EVP_PKEY_CTX_new_from_pkey(nullptr, peer, nullptr)),
                                        "EVP_PKEY_CTX_new_from_pkey"));
  VTPMD_RETURN_IF_ERROR(ossl::Check(EVP_PKEY_keygen_init(ctx.get()), "EVP_PKEY_keygen_init"));
  EVP_PKEY* key = nullptr;
  VTPMD_RETURN_IF_ERROR(ossl::Check(EVP_PKEY_keygen(ctx.get(), &key), "ephemeral ECDH key"));
  return ossl::PkeyPtr(key);
}

Result<SecretBytes> SharedX(EVP_PKEY* ephemeral, EVP_PKEY* peer) {
  VTPMD_ASSIGN_OR_RETURN(ossl::PkeyCtxPtr ctx,
                         ossl::CheckPtr(ossl::PkeyCtxPtr(EVP_PKEY_CTX_new_from_pkey(nullptr, ephemeral, nullptr)),
                                        "EVP_PKEY_CTX_new_from_pkey"));
  VTPMD_RETURN_IF_ERROR(ossl::Check(EVP_PKEY_derive_init(ctx.get()), "EVP_PKEY_derive_init"));
  // `peer` comes from PublicKeyFromTpm, which refuses a point off the curve. On the
  // TPM's curves (NIST P-256 and P-384, cofactor 1) every other point has the
  // group's prime order, so OpenSSL's own peer check would only repeat that with a
  // full scalar multiplication (n·Q = O) on every seed.
  VTPMD_RETURN_IF_ERROR(ossl::Check(EVP_PKEY_derive_set_peer_ex(ctx.get(), peer, /*validate_peer=*/0),
                                    "EVP_PKEY_derive_set_peer_ex"));
  std::size_t size = 0;
  VTPMD_RETURN_IF_ERROR(ossl::Check(EVP_PKEY_derive(ctx.get(), nullptr, &size), "EVP_PKEY_derive"));
  // OpenSSL's ECDH output is the x-coordinate padded to the field size, which is
  // how the TPM hashes Z.
  SecretBytes z(size);
  VTPMD_RETURN_IF_ERROR(ossl::Check(EVP_PKEY_derive(ctx.get(), z.data(), &size), "EVP_PKEY_derive"));
  if (size != z.size()) return Internal("ECDH output has an unexpected size");
  return z;
}

Result<SharedSeed> ShareEcc(const TPMT_PUBLIC& key, HashAlg name_alg, std::string_view label) {
  // PublicKeyFromTpm checks that the point lies on the curve: a point off it could
  // make ECDH leak bits of the ephemeral key.
  VTPMD_ASSIGN_OR_RETURN(ossl::PkeyPtr peer, tpm::PublicKeyFromTpm(key));
  const std::size_t field_bytes = static_cast<std::size_t>(EVP_PKEY_get_bits(peer.get()) + 7) / 8;
  VTPMD_ASSIGN_OR_RETURN(ossl::PkeyPtr ephemeral, EphemeralKeyLike(peer.get()));
  VTPMD_ASSIGN_OR_RETURN(SecretBytes z, SharedX(ephemeral.get(), peer.get()));
  // Uncompressed: 04 || x || y, each coordinate padded to the field size.
  Bytes encoded(1 + 2 * field_bytes);
  std::size_t encoded_size = 0;
  VTPMD_RETURN_IF_ERROR(ossl::Check(EVP_PKEY_get_octet_string_param(ephemeral.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                                                    encoded.data(), encoded.size(), &encoded_size),
                                    "ephemeral public point"));
  if (encoded_size != encoded.size() || encoded[0] != POINT_CONVERSION_UNCOMPRESSED) {
    return Internal("the ephemeral public point is not in uncompressed form");
  }
  const ByteView x(encoded.data() + 1, field_bytes);
  const ByteView y(encoded.data() + 1 + field_bytes, field_bytes);
  // partyVInfo is the key's x exactly as its public area carries it: that is what
  // the TPM hashes on its side.
  const TPM2B_ECC_PARAMETER& key_x = key.unique.ecc.x;
  VTPMD_ASSIGN_OR_RETURN(SecretBytes seed, KdfE(name_alg, z.view(), label, x, ByteView(key_x.buffer, key_x.size),
                                                8 * DigestSize(name_alg)));
  Bytes point;
  AppendSized16(point, x);
  AppendSized16(point, y);
  return SharedSeed{std::move(seed), std::move(point)};
}

}  // namespace

Result<SharedSeed> ShareSeed(const TPMT_PUBLIC& key, std::string_view label, Rng& rng) {
  VTPMD_ASSIGN_OR_RETURN(HashAlg name_alg, tpm::HashAlgFromTpm(key.nameAlg));
  switch (key.type) {
    case TPM2_ALG_RSA: return ShareRsa(key, name_alg, label, rng);
    case TPM2_ALG_ECC: return ShareEcc(key, name_alg, label);
    default: return Unsupported("secret sharing needs an RSA or ECC key");
  }
}

}  // namespace vtpmd::ca
