// TPM2B_PUBLIC from clients (AK/EK public areas): parse, and whatever parses must
// re-marshal to the same bytes and survive name and key derivation.
#include <cstddef>
#include <cstdint>

#include "core/tpm_keys.h"
#include "core/tpm_name.h"
#include "core/tpm_wire.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const vtpmd::ByteView input(data, size);
  auto pub = vtpmd::tpm::ParsePublic(input);
  if (!pub.ok()) return 0;
  auto marshalled = vtpmd::tpm::MarshalPublic(*pub);
  if (!marshalled.ok() || !std::equal(marshalled->begin(), marshalled->end(), input.begin(), input.end())) {
    __builtin_trap();
  }
  if (!vtpmd::tpm::ObjectName(pub->publicArea).ok()) __builtin_trap();
  (void)vtpmd::tpm::PublicKeyFromTpm(pub->publicArea);
  return 0;
}
