#pragma once
// PCR values as JSON, bank -> PCR index -> hex digest:
//   {"sha256": {"0": "3d45...", "16": "0000..."}, "sha1": {"0": "..."}}
// the shape `vtpmctl platform show --json` and `vtpmctl eventlog replay` print.

#include <cstddef>
#include <string_view>

#include "core/result.h"
#include "policy/pcr_values.h"

namespace vtpmd::policy {

// Four banks of 24 SHA-512 values take about 14 KiB.
inline constexpr std::size_t kMaxPcrValuesJsonSize = 64 * 1024;

// Strict: banks sha1, sha256, sha384 or sha512, each at most once and with at least
// one PCR; PCR indexes in decimal without leading zeros, 0 to 23, each at most once
// per bank; values hex of exactly the bank's digest size. Anything else (other
// types, other keys, duplicate keys, which JSON parsers disagree on) is refused.
Result<PcrValues> ParsePcrValuesJson(std::string_view json);

}  // namespace vtpmd::policy
