// tpm2-tools PCR files (`tpm2_quote -o`) from challengers: whatever parses holds one
// value of its bank's digest size per PCR 0-23.
#include <cstddef>
#include <cstdint>

#include "core/pcr_selection.h"
#include "policy/quoted_pcrs.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto values = vtpmd::policy::ParseTpm2ToolsPcrs(vtpmd::ByteView(data, size));
  if (!values.ok()) return 0;
  for (const auto& [bank, pcrs] : *values) {
    if (pcrs.empty()) __builtin_trap();
    for (const auto& [index, value] : pcrs) {
      if (index >= vtpmd::tpm::kPcrCount || value.size() != vtpmd::DigestSize(bank)) __builtin_trap();
    }
  }
  return 0;
}
