#include "ca/tpm_aes_cfb.h"

#include <openssl/evp.h>

#include <climits>

#include "core/openssl.h"

namespace vtpmd::ca {
namespace {

const EVP_CIPHER* AesCfbCipher(std::size_t key_bits) {
  switch (key_bits) {
    case 128: return EVP_aes_128_cfb128();
    case 192: return EVP_aes_192_cfb128();
    case 256: return EVP_aes_256_cfb128();
    default: return nullptr;
  }
}

}  // namespace

bool IsAesKeySize(std::size_t key_bits) {
  return AesCfbCipher(key_bits) != nullptr;
}

Result<SecretBytes> TpmAesCfb(const SecretBytes& key, ByteView input, CfbDirection direction) {
  const EVP_CIPHER* cipher = AesCfbCipher(8 * key.size());
  if (cipher == nullptr) return InvalidArgument("no AES-CFB for this key size");
  if (input.size() > INT_MAX) return InvalidArgument("AES-CFB input too large");
  const int encrypt = direction == CfbDirection::kEncrypt ? 1 : 0;
  const std::uint8_t iv[16] = {};
  ossl::CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return ossl::LastError("EVP_CIPHER_CTX_new");
  VTPMD_RETURN_IF_ERROR(
      ossl::Check(EVP_CipherInit_ex(ctx.get(), cipher, nullptr, key.data(), iv, encrypt), "EVP_CipherInit_ex"));
  SecretBytes out(input.size());
  int len = 0;
  VTPMD_RETURN_IF_ERROR(ossl::Check(
      EVP_CipherUpdate(ctx.get(), out.data(), &len, input.data(), static_cast<int>(input.size())), "EVP_CipherUpdate"));
  int final_len = 0;
  VTPMD_RETURN_IF_ERROR(ossl::Check(EVP_CipherFinal_ex(ctx.get(), out.data() + len, &final_len), "EVP_CipherFinal_ex"));
  if (static_cast<std::size_t>(len + final_len) != input.size()) return Internal("AES-CFB changed the length");
  return out;
}

}  // namespace vtpmd::ca
