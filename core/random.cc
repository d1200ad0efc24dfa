#include "core/random.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <climits>

#include "core/openssl.h"

namespace vtpmd {

Result<Bytes> Rng::Generate(std::size_t n) {
  Bytes out(n);
  VTPMD_RETURN_IF_ERROR(Fill(out));
  return out;
}

Result<SecretBytes> Rng::GenerateSecret(std::size_t n) {
  SecretBytes out(n);
  VTPMD_RETURN_IF_ERROR(Fill(out.mutable_view()));
  return out;
}

Status OsRng::Fill(std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    const int chunk = static_cast<int>(std::min<std::size_t>(out.size() - done, INT_MAX));
    if (RAND_bytes(out.data() + done, chunk) != 1) return ossl::LastError("RAND_bytes", ErrorCode::kUnavailable);
    done += static_cast<std::size_t>(chunk);
  }
  return Ok();
}

Status DeterministicRng::Fill(std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    std::uint8_t block_input[16];
    for (int i = 0; i < 8; ++i) {
      block_input[i] = static_cast<std::uint8_t>(seed_ >> (8 * i));
      block_input[8 + i] = static_cast<std::uint8_t>(counter_ >> (8 * i));
    }
    ++counter_;
    std::uint8_t block[SHA256_DIGEST_LENGTH];
    SHA256(block_input, sizeof block_input, block);
    const std::size_t n = std::min(out.size() - done, sizeof block);
    std::copy_n(block, n, out.data() + done);
    done += n;
  }
  return Ok();
}

}  // namespace vtpmd
