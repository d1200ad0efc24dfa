#include "core/crypto.h"

#include <openssl/err.h>

#include "core/hmac_key.h"
#include "core/openssl.h"

namespace vtpmd {
namespace {

constexpr std::size_t kGcmNonceSize = 12;
constexpr std::size_t kGcmTagSize = 16;
constexpr std::size_t kAes256KeySize = 32;

// Fetched once, for the life of the process. Given EVP_sha256() and the like,
// OpenSSL 3 looks the implementation up again in every EVP_DigestInit_ex, under a
// global lock; the legacy objects remain should a fetch fail.
const EVP_MD* EvpMd(HashAlg alg) {
  struct Fetched {
    const EVP_MD* sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
    const EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    const EVP_MD* sha384 = EVP_MD_fetch(nullptr, "SHA384", nullptr);
    const EVP_MD* sha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  };
  static const Fetched fetched;
  switch (alg) {
    case HashAlg::kSha1: return fetched.sha1 != nullptr ? fetched.sha1 : EVP_sha1();
    case HashAlg::kSha256: return fetched.sha256 != nullptr ? fetched.sha256 : EVP_sha256();
    case HashAlg::kSha384: return fetched.sha384 != nullptr ? fetched.sha384 : EVP_sha384();
    case HashAlg::kSha512: return fetched.sha512 != nullptr ? fetched.sha512 : EVP_sha512();
  }
  return EVP_sha256();
}

int ToInt(std::size_t n) { return static_cast<int>(n); }

}  // namespace

std::size_t DigestSize(HashAlg alg) { return static_cast<std::size_t>(EVP_MD_get_size(EvpMd(alg))); }

std::string_view HashAlgName(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha1: return "sha1";
    case HashAlg::kSha256: return "sha256";
    case HashAlg::kSha384: return "sha384";
    case HashAlg::kSha512: return "sha512";
  }
  return "sha256";
}

Result<HashAlg> HashAlgFromName(std::string_view name) {
  for (HashAlg alg : {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384, HashAlg::kSha512}) {
    if (HashAlgName(alg) == name) return alg;
  }
  return InvalidArgument("unknown hash algorithm '" + std::string(name) + "'");
}

Result<Bytes> DigestParts(HashAlg alg, std::initializer_list<ByteView> parts) {
  ossl::MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return ossl::LastError("EVP_MD_CTX_new");
  VTPMD_RETURN_IF_ERROR(ossl::Check(EVP_DigestInit_ex(ctx.get(), EvpMd(alg), nullptr), "EVP_DigestInit_ex"));
  for (ByteView part : parts) {
    VTPMD_RETURN_IF_ERROR(ossl::Check(EVP_DigestUpdate(ctx.get(), part.data(), part.size()), "EVP_DigestUpdate"));
  }
  Bytes out(DigestSize(alg));
  unsigned int len = 0;
  VTPMD_RETURN_IF_ERROR(ossl::Check(EVP_DigestFinal_ex(ctx.get(), out.data(), &len), "EVP_DigestFinal_ex"));
  out.resize(len);
  return out;
}

Result<Bytes> Digest(HashAlg alg, ByteView data) { return DigestParts(alg, {data}); }
Result<Bytes> Sha256(ByteView data) { return Digest(HashAlg::kSha256, data); }

Result<Bytes> Hmac(HashAlg alg, ByteView key, ByteView data) {
  VTPMD_ASSIGN_OR_RETURN(HmacKey keyed, HmacKey::Create(alg, key));
  return keyed.Mac({data});
}

Result<Bytes> AesGcmSeal(const SecretBytes& key, ByteView plaintext, ByteView aad, Rng& rng) {
  if (key.size() != kAes256KeySize) return Internal("AES-256-GCM needs a 32-byte key");
  Bytes out(kGcmNonceSize + plaintext.size() + kGcmTagSize);
  VTPMD_RETURN_IF_ERROR(rng.Fill(std::span(out.data(), kGcmNonceSize)));
  ossl::CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return ossl::LastError("EVP_CIPHER_CTX_new");
  VTPMD_RETURN_IF_ERROR(ossl::Check(
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), out.data()), "EVP_EncryptInit_ex"));
  int len = 0;
  if (!aad.empty()) {
    VTPMD_RETURN_IF_ERROR(ossl::Check(
        EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), ToInt(aad.size())), "EVP_EncryptUpdate(aad)"));
  }
  std::uint8_t* ciphertext = out.data() + kGcmNonceSize;
  VTPMD_RETURN_IF_ERROR(ossl::Check(
      EVP_EncryptUpdate(ctx.get(), ciphertext, &len, plaintext.data(), ToInt(plaintext.size())), "EVP_EncryptUpdate"));
  int final_len = 0;
  VTPMD_RETURN_IF_ERROR(ossl::Check(EVP_EncryptFinal_ex(ctx.get(), ciphertext + len, &final_len), "EVP_EncryptFinal_ex"));
  VTPMD_RETURN_IF_ERROR(ossl::Check(
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kGcmTagSize, ciphertext + plaintext.size()),
      "EVP_CTRL_GCM_GET_TAG"));
  return out;
}

Result<SecretBytes> AesGcmOpen(const SecretBytes& key, ByteView sealed, ByteView aad) {
  if (key.size() != kAes256KeySize) return Internal("AES-256-GCM needs a 32-byte key");
  if (sealed.size() < kGcmNonceSize + kGcmTagSize) return InvalidArgument("sealed data is truncated");
  const ByteView nonce = sealed.first(kGcmNonceSize);
  const ByteView ciphertext = sealed.subspan(kGcmNonceSize, sealed.size() - kGcmNonceSize - kGcmTagSize);
  Bytes tag(sealed.end() - kGcmTagSize, sealed.end());
  ossl::CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return ossl::LastError("EVP_CIPHER_CTX_new");
  VTPMD_RETURN_IF_ERROR(ossl::Check(
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), nonce.data()), "EVP_DecryptInit_ex"));
  int len = 0;
  if (!aad.empty()) {
    VTPMD_RETURN_IF_ERROR(ossl::Check(
        EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), ToInt(aad.size())), "EVP_DecryptUpdate(aad)"));
  }
  SecretBytes plaintext(ciphertext.size());
  VTPMD_RETURN_IF_ERROR(ossl::Check(
      EVP_DecryptUpdate(ctx.get(), plaintext.data(), &len, ciphertext.data(), ToInt(ciphertext.size())),
      "EVP_DecryptUpdate"));
  VTPMD_RETURN_IF_ERROR(ossl::Check(
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kGcmTagSize, tag.data()), "EVP_CTRL_GCM_SET_TAG"));
  int final_len = 0;
  // A failed tag check leaves nothing on the error queue worth reporting; say what it means.
  if (EVP_DecryptFinal_ex(ctx.get(), plaintext.data() + len, &final_len) != 1) {
    ERR_clear_error();
    return InvalidArgument("authentication failed: wrong key or tampered data");
  }
  return plaintext;
}

}  // namespace vtpmd
