#pragma once
// AES in CFB mode with a zero IV, as TPM 2.0 uses it for credential (encIdentity)
// and duplication blobs: the key is derived afresh for every seed, so the IV need
// not vary. The privacy CA encrypts; a software TPM in tests decrypts.

#include <cstddef>

#include "core/bytes.h"
#include "core/result.h"
#include "core/secret_bytes.h"

namespace vtpmd::ca {

bool IsAesKeySize(std::size_t key_bits);

enum class CfbDirection { kEncrypt, kDecrypt };

// The key must be 16, 24 or 32 bytes (kInvalidArgument otherwise).
Result<SecretBytes> TpmAesCfb(const SecretBytes& key, ByteView input, CfbDirection direction);

}  // namespace vtpmd::ca
