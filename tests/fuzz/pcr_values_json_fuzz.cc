// PCR values as JSON from challengers: whatever parses holds, per bank, at least one
// value of the bank's digest size per PCR 0-23.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/pcr_selection.h"
#include "policy/pcr_values_json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto values = vtpmd::policy::ParsePcrValuesJson(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!values.ok()) return 0;
  for (const auto& [bank, pcrs] : *values) {
    if (pcrs.empty()) __builtin_trap();
    for (const auto& [index, value] : pcrs) {
      if (index >= vtpmd::tpm::kPcrCount || value.size() != vtpmd::DigestSize(bank)) __builtin_trap();
    }
  }
  return 0;
}
