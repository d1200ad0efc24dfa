#include "policy/digest_algorithm.h"

#include <tss2/tss2_tpm2_types.h>

#include <array>
#include <cstdio>
#include <string_view>

#include "core/crypto.h"
#include "core/tpm_alg.h"

namespace vtpmd::policy {
namespace {

// Hashes a TPM may have PCR banks of that core/crypto.h does not implement: a log
// may carry them, and we still parse (but cannot replay) those banks.
struct OtherHash {
  std::uint16_t id;
  std::string_view name;
  std::size_t digest_size;
};
constexpr std::array<OtherHash, 4> kOtherHashes = {{
    {TPM2_ALG_SM3_256, "sm3_256", 32},
    {TPM2_ALG_SHA3_256, "sha3_256", 32},
    {TPM2_ALG_SHA3_384, "sha3_384", 48},
    {TPM2_ALG_SHA3_512, "sha3_512", 64},
}};

const OtherHash* FindOtherHash(std::uint16_t algorithm_id) {
  for (const OtherHash& hash : kOtherHashes) {
    if (hash.id == algorithm_id) return &hash;
  }
  return nullptr;
}

}  // namespace

std::string DigestAlgorithmName(std::uint16_t algorithm_id) {
  if (auto alg = tpm::HashAlgFromTpm(algorithm_id); alg.ok()) return std::string(HashAlgName(*alg));
  if (const OtherHash* other = FindOtherHash(algorithm_id)) return std::string(other->name);
  char hex[8];
  std::snprintf(hex, sizeof(hex), "0x%04x", static_cast<unsigned>(algorithm_id));
  return hex;
}

std::optional<std::size_t> KnownDigestSize(std::uint16_t algorithm_id) {
  if (auto alg = tpm::HashAlgFromTpm(algorithm_id); alg.ok()) return DigestSize(*alg);
  if (const OtherHash* other = FindOtherHash(algorithm_id)) return other->digest_size;
  return std::nullopt;
}

}  // namespace vtpmd::policy
