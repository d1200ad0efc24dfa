// TPMS_ATTEST from clients (quotes): parse, round-trip, and walk a quote's selection.
#include <cstddef>
#include <cstdint>

#include "core/pcr_selection.h"
#include "core/tpm_wire.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const vtpmd::ByteView input(data, size);
  auto attest = vtpmd::tpm::ParseAttest(input);
  if (!attest.ok()) return 0;
  auto marshalled = vtpmd::tpm::MarshalAttest(*attest);
  if (!marshalled.ok() || !std::equal(marshalled->begin(), marshalled->end(), input.begin(), input.end())) {
    __builtin_trap();
  }
  if (attest->type == TPM2_ST_ATTEST_QUOTE) (void)vtpmd::tpm::PcrSlotsInTpmOrder(attest->attested.quote.pcrSelect);
  return 0;
}
