#pragma once
// Parsed certificates by their DER. OpenSSL 3.0 spends more decoding a
// certificate's public key than verifying its signature, and the same EK
// certificates come back at every enrollment of their TPM. The parsed objects are
// shared between threads, so callers only read them. Bounded: when full, it
// starts over.

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/bytes.h"
#include "core/openssl.h"
#include "core/result.h"

namespace vtpmd::ca {

class CertificateCache {
 public:
  explicit CertificateCache(std::size_t capacity) : capacity_(capacity) {}

  // Malformed DER is kInvalidArgument, as from ossl::ParseCertificateDer.
  Result<ossl::X509Ptr> Parse(ByteView der);

 private:
  const std::size_t capacity_;
  std::mutex mu_;
  std::unordered_map<std::string, ossl::X509Ptr> parsed_;
};

}  // namespace vtpmd::ca
