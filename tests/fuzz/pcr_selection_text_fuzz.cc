// PCR selections typed by users and sent in requests ("sha256:0,1+sha1:0-7").
#include <cstddef>
#include <cstdint>

#include "core/pcr_selection.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = vtpmd::AsChars(vtpmd::ByteView(data, size));
  auto selection = vtpmd::tpm::ParsePcrSelectionText(text);
  if (!selection.ok()) return 0;
  // The canonical text must parse back to the same selection.
  auto again = vtpmd::tpm::ParsePcrSelectionText(vtpmd::tpm::PcrSelectionText(*selection));
  if (!again.ok()) __builtin_trap();
  auto first = vtpmd::tpm::MarshalPcrSelection(*selection);
  auto second = vtpmd::tpm::MarshalPcrSelection(*again);
  if (!first.ok() || !second.ok() || *first != *second) __builtin_trap();
  if (!vtpmd::tpm::PcrSlotsInTpmOrder(*selection).ok()) __builtin_trap();
  return 0;
}
