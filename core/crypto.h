#pragma once
// Hashes, HMAC and authenticated encryption over OpenSSL's EVP interfaces.

#include <string_view>

#include "core/bytes.h"
#include "core/random.h"
#include "core/result.h"
#include "core/secret_bytes.h"

namespace vtpmd {

enum class HashAlg { kSha1, kSha256, kSha384, kSha512 };

std::size_t DigestSize(HashAlg alg);
std::string_view HashAlgName(HashAlg alg);  // "sha1", "sha256", ...
Result<HashAlg> HashAlgFromName(std::string_view name);

Result<Bytes> Digest(HashAlg alg, ByteView data);
// Digest over several parts without concatenating them first.
Result<Bytes> DigestParts(HashAlg alg, std::initializer_list<ByteView> parts);
Result<Bytes> Sha256(ByteView data);
Result<Bytes> Hmac(HashAlg alg, ByteView key, ByteView data);

// AES-256-GCM with a fresh random 96-bit nonce. Output: nonce || ciphertext || tag.
// `aad` binds the ciphertext to its purpose (e.g. which key record it is).
Result<Bytes> AesGcmSeal(const SecretBytes& key, ByteView plaintext, ByteView aad, Rng& rng);
Result<SecretBytes> AesGcmOpen(const SecretBytes& key, ByteView sealed, ByteView aad);

}  // namespace vtpmd
