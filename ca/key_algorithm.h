#pragma once
// The key algorithms the CA hierarchy issues with, and the digest each one signs with.

#include <string_view>

#include "core/crypto.h"
#include "core/result.h"

namespace vtpmd::ca {

enum class KeyAlgorithm { kEcdsaP256, kEcdsaP384, kRsa3072 };

std::string_view KeyAlgorithmName(KeyAlgorithm algorithm);  // "ecdsa-p256", "ecdsa-p384", "rsa-3072"
Result<KeyAlgorithm> KeyAlgorithmFromName(std::string_view name);

// Matches the digest to the key's security strength (SP 800-57): RSA-3072 is ~128-bit,
// but SHA-384 keeps one digest for both "strong" choices.
HashAlg SignatureDigest(KeyAlgorithm algorithm);

}  // namespace vtpmd::ca
