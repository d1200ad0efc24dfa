#pragma once
// The TPM's key derivation functions (TPM 2.0 Part 1 §11.4.10), which turn a shared
// seed into the keys that protect credentials, duplicated objects and sessions.
// Both return SecretBytes: their outputs are keys.

#include <cstddef>
#include <string_view>

#include "core/bytes.h"
#include "core/crypto.h"
#include "core/result.h"
#include "core/secret_bytes.h"

namespace vtpmd::ca {

// KDFa: SP 800-108 counter mode with HMAC-`alg` keyed by `key`, one block being
//   HMAC(key, [i]32 || label || 0x00 || context_u || context_v || [bits]32).
// `label` is given without its terminating zero octet (one ending in zero is used as is).
// When `bits` is not a multiple of 8 the unused high bits of the first octet are cleared.
Result<SecretBytes> KdfA(HashAlg alg, ByteView key, std::string_view label, ByteView context_u, ByteView context_v,
                         std::size_t bits);

// KDFe: SP 800-56A concatenation KDF over the ECDH shared x-coordinate `z`, one block being
//   H([i]32 || z || label || 0x00 || party_u || party_v).
Result<SecretBytes> KdfE(HashAlg alg, ByteView z, std::string_view label, ByteView party_u, ByteView party_v,
                         std::size_t bits);

}  // namespace vtpmd::ca
