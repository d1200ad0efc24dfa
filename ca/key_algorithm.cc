#include "ca/key_algorithm.h"

#include <array>
#include <string>
#include <utility>

namespace vtpmd::ca {
namespace {

constexpr std::array<std::pair<KeyAlgorithm, std::string_view>, 3> kNames = {{
    {KeyAlgorithm::kEcdsaP256, "ecdsa-p256"},
    {KeyAlgorithm::kEcdsaP384, "ecdsa-p384"},
    {KeyAlgorithm::kRsa3072, "rsa-3072"},
}};

}  // namespace

std::string_view KeyAlgorithmName(KeyAlgorithm algorithm) {
  for (const auto& [value, name] : kNames) {
    if (value == algorithm) return name;
  }
  return "unknown";
}

Result<KeyAlgorithm> KeyAlgorithmFromName(std::string_view name) {
  for (const auto& [value, known] : kNames) {
    if (known == name) return value;
  }
  return InvalidArgument("unknown key algorithm \"" + std::string(name) +
                         "\" (expected ecdsa-p256, ecdsa-p384 or rsa-3072)");
}

HashAlg SignatureDigest(KeyAlgorithm algorithm) {
  return algorithm == KeyAlgorithm::kEcdsaP256 ? HashAlg::kSha256 : HashAlg::kSha384;
}

}  // namespace vtpmd::ca
