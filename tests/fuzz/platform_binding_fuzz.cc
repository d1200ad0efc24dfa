// The platform binding extension of EK' certificates (certification method
// aik-certifies-ek) is read from certificates a client sends: arbitrary bytes must
// parse or fail cleanly, and whatever parses must re-encode to the same bytes.

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "ca/platform_binding.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const vtpmd::ByteView input(data, size);
  auto binding = vtpmd::ca::ParsePlatformBinding(input);
  if (!binding.ok()) return 0;
  auto encoded = vtpmd::ca::EncodePlatformBinding(*binding);
  if (!encoded.ok() || *encoded != vtpmd::Bytes(input.begin(), input.end())) std::abort();
  return 0;
}
