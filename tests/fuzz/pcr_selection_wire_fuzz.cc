// TPML_PCR_SELECTION on the wire (inside quotes and PCR read responses).
#include <cstddef>
#include <cstdint>

#include "core/pcr_selection.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const vtpmd::ByteView input(data, size);
  auto selection = vtpmd::tpm::ParsePcrSelection(input);
  if (!selection.ok()) return 0;
  auto marshalled = vtpmd::tpm::MarshalPcrSelection(*selection);
  if (!marshalled.ok() || !std::equal(marshalled->begin(), marshalled->end(), input.begin(), input.end())) {
    __builtin_trap();
  }
  if (!vtpmd::tpm::PcrSlotsInTpmOrder(*selection).ok()) __builtin_trap();
  (void)vtpmd::tpm::PcrSelectionText(*selection);
  return 0;
}
