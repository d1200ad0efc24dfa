#pragma once
// An HMAC key set up once and used for many messages. OpenSSL 3's one-shot HMAC()
// fetches the algorithm and hashes the key again on every call; here each MAC
// starts from a copy of the keyed state. The key lives only inside OpenSSL's
// context, which wipes it when freed.

#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>

#include "core/bytes.h"
#include "core/crypto.h"
#include "core/openssl.h"
#include "core/result.h"

namespace vtpmd {

class HmacKey {
 public:
  // `key` is copied into OpenSSL's context; the caller keeps and wipes its own.
  static Result<HmacKey> Create(HashAlg alg, ByteView key);

  // The MAC of the parts' concatenation, without concatenating them. Safe to call
  // from several threads at once: the keyed state is only read.
  Result<Bytes> Mac(std::initializer_list<ByteView> parts) const;
  // The same into `out`, which must be the MAC's size: for a MAC that is itself
  // secret (a key derived from it), so it goes straight where it is kept.
  Status MacInto(std::initializer_list<ByteView> parts, std::span<std::uint8_t> out) const;
  std::size_t size() const;

 private:
  using MacCtxPtr = ossl::Owned<EVP_MAC_CTX, EVP_MAC_CTX_free>;
  explicit HmacKey(MacCtxPtr keyed) : keyed_(std::move(keyed)) {}

  MacCtxPtr keyed_;
};

}  // namespace vtpmd
