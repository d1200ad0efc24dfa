#include "ca/tpm_kdf.h"

#include <openssl/evp.h>

#include <cstdint>
#include <string>

#include "core/hmac_key.h"
#include "core/openssl.h"

namespace vtpmd::ca {
namespace {

// No TPM structure derives more than a few keys' worth; the cap keeps the 32-bit
// counter and length fields far from overflow.
constexpr std::size_t kMaxBits = 8 * 4096;

void AppendU32(Bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

Bytes BigEndian32(std::uint32_t v) {
  Bytes out;
  AppendU32(out, v);
  return out;
}

// The label as the TPM hashes it: its octets and one terminating zero.
Bytes TerminatedLabel(std::string_view label) {
  Bytes out(label.begin(), label.end());
  if (out.empty() || out.back() != 0) out.push_back(0);
  return out;
}

Status CheckBits(std::size_t bits) {
  if (bits == 0 || bits > kMaxBits) return InvalidArgument("KDF output size out of range");
  return Ok();
}

const EVP_MD* Md(HashAlg alg) {
  return EVP_get_digestbyname(std::string(HashAlgName(alg)).c_str());
}

// Runs `block(counter, out)` for counters 1, 2, ... until `bits` are produced, then
// keeps the leftmost bits, clearing the unused high bits of the first octet.
template <typename BlockFn>
Result<SecretBytes> Expand(HashAlg alg, std::size_t bits, BlockFn block) {
  VTPMD_RETURN_IF_ERROR(CheckBits(bits));
  const std::size_t digest_size = DigestSize(alg);
  const std::size_t bytes = (bits + 7) / 8;
  const std::size_t blocks = (bytes + digest_size - 1) / digest_size;
  SecretBytes stream(blocks * digest_size);
  for (std::size_t i = 0; i < blocks; ++i) {
    VTPMD_RETURN_IF_ERROR(block(static_cast<std::uint32_t>(i + 1), stream.data() + i * digest_size));
  }
  SecretBytes out = SecretBytes::CopyFrom(stream.view().first(bytes));
  if (bits % 8 != 0) out.data()[0] &= static_cast<std::uint8_t>((1U << (bits % 8)) - 1);
  return out;
}

}  // namespace

Result<SecretBytes> KdfA(HashAlg alg, ByteView key, std::string_view label, ByteView context_u, ByteView context_v,
                         std::size_t bits) {
  VTPMD_ASSIGN_OR_RETURN(HmacKey keyed, HmacKey::Create(alg, key));
  const Bytes terminated = TerminatedLabel(label);
  const Bytes size_field = BigEndian32(static_cast<std::uint32_t>(bits));
  return Expand(alg, bits, [&](std::uint32_t counter, std::uint8_t* out) -> Status {
    const Bytes prefix = BigEndian32(counter);
    return keyed.MacInto({prefix, terminated, context_u, context_v, size_field}, std::span(out, keyed.size()));
  });
}

Result<SecretBytes> KdfE(HashAlg alg, ByteView z, std::string_view label, ByteView party_u, ByteView party_v,
                         std::size_t bits) {
  const Bytes terminated = TerminatedLabel(label);
  const EVP_MD* md = Md(alg);
  // z is secret: it is fed to the hash piecewise rather than copied into a buffer.
  return Expand(alg, bits, [&](std::uint32_t counter, std::uint8_t* out) -> Status {
    ossl::MdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx) return ossl::LastError("EVP_MD_CTX_new");
    VTPMD_RETURN_IF_ERROR(ossl::Check(EVP_DigestInit_ex(ctx.get(), md, nullptr), "EVP_DigestInit_ex"));
    const Bytes prefix = BigEndian32(counter);
    for (ByteView part : {ByteView(prefix), z, ByteView(terminated), party_u, party_v}) {
      VTPMD_RETURN_IF_ERROR(ossl::Check(EVP_DigestUpdate(ctx.get(), part.data(), part.size()), "EVP_DigestUpdate"));
    }
    unsigned int len = 0;
    return ossl::Check(EVP_DigestFinal_ex(ctx.get(), out, &len), "EVP_DigestFinal_ex");
  });
}

}  // namespace vtpmd::ca
