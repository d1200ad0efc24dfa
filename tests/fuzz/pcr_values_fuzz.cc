// PCR values from challengers, in both forms vtpmd takes: tpm2-tools PCR files
// (`tpm2_quote -o`) and JSON. Whatever parses holds, per bank, at least one value
// of the bank's digest size per PCR 0-23.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/pcr_selection.h"
#include "policy/pcr_values_json.h"
#include "policy/quoted_pcrs.h"

namespace {

template <typename Parsed>
void ExpectWellFormed(const Parsed& values) {
  if (!values.ok()) return;
  for (const auto& [bank, pcrs] : *values) {
    if (pcrs.empty()) __builtin_trap();
    for (const auto& [index, value] : pcrs) {
      if (index >= vtpmd::tpm::kPcrCount || value.size() != vtpmd::DigestSize(bank)) __builtin_trap();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ExpectWellFormed(vtpmd::policy::ParseTpm2ToolsPcrs(vtpmd::ByteView(data, size)));
  ExpectWellFormed(
      vtpmd::policy::ParsePcrValuesJson(std::string_view(reinterpret_cast<const char*>(data), size)));
  return 0;
}
