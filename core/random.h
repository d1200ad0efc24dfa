#pragma once
// Randomness is injected: production uses the OS-seeded OpenSSL DRBG; tests use a
// deterministic generator so that runs repeat exactly.

#include <cstdint>
#include <span>

#include "core/bytes.h"
#include "core/result.h"
#include "core/secret_bytes.h"

namespace vtpmd {

class Rng {
 public:
  virtual ~Rng() = default;
  virtual Status Fill(std::span<std::uint8_t> out) = 0;

  Result<Bytes> Generate(std::size_t n);
  Result<SecretBytes> GenerateSecret(std::size_t n);
};

class OsRng final : public Rng {
 public:
  Status Fill(std::span<std::uint8_t> out) override;
};

// SHA-256 in counter mode over a seed: reproducible, not for production secrets.
class DeterministicRng final : public Rng {
 public:
  explicit DeterministicRng(std::uint64_t seed) : seed_(seed) {}
  Status Fill(std::span<std::uint8_t> out) override;

 private:
  std::uint64_t seed_;
  std::uint64_t counter_ = 0;
};

}  // namespace vtpmd
