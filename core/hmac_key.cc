#include "core/hmac_key.h"

#include <openssl/core_names.h>
#include <openssl/params.h>

#include <string>

namespace vtpmd {
namespace {

using MacPtr = ossl::Owned<EVP_MAC, EVP_MAC_free>;

}  // namespace

Result<HmacKey> HmacKey::Create(HashAlg alg, ByteView key) {
  VTPMD_ASSIGN_OR_RETURN(MacPtr mac, ossl::CheckPtr(MacPtr(EVP_MAC_fetch(nullptr, "HMAC", nullptr)), "EVP_MAC_fetch"));
  VTPMD_ASSIGN_OR_RETURN(MacCtxPtr ctx, ossl::CheckPtr(MacCtxPtr(EVP_MAC_CTX_new(mac.get())), "EVP_MAC_CTX_new"));
  std::string digest(HashAlgName(alg));
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest.data(), 0),
      OSSL_PARAM_construct_end(),
  };
  VTPMD_RETURN_IF_ERROR(ossl::Check(EVP_MAC_init(ctx.get(), key.data(), key.size(), params), "EVP_MAC_init"));
  return HmacKey(std::move(ctx));
}

std::size_t HmacKey::size() const { return EVP_MAC_CTX_get_mac_size(keyed_.get()); }

Status HmacKey::MacInto(std::initializer_list<ByteView> parts, std::span<std::uint8_t> out) const {
  if (out.size() != size()) return Internal("HMAC output buffer has the wrong size");
  VTPMD_ASSIGN_OR_RETURN(MacCtxPtr ctx, ossl::CheckPtr(MacCtxPtr(EVP_MAC_CTX_dup(keyed_.get())), "EVP_MAC_CTX_dup"));
  for (ByteView part : parts) {
    VTPMD_RETURN_IF_ERROR(ossl::Check(EVP_MAC_update(ctx.get(), part.data(), part.size()), "EVP_MAC_update"));
  }
  std::size_t written = 0;
  VTPMD_RETURN_IF_ERROR(ossl::Check(EVP_MAC_final(ctx.get(), out.data(), &written, out.size()), "EVP_MAC_final"));
  if (written != out.size()) return Internal("HMAC wrote an unexpected size");
  return Ok();
}

Result<Bytes> HmacKey::Mac(std::initializer_list<ByteView> parts) const {
  Bytes out(size());
  VTPMD_RETURN_IF_ERROR(MacInto(parts, out));
  return out;
}

}  // namespace vtpmd
