#pragma once
// The hash algorithms an event log names (TPM_ALG_ID values, in the Spec ID event
// and in every TCG_PCR_EVENT2) and the digest sizes the TCG algorithm registry
// fixes for those we know.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace vtpmd::policy {

inline constexpr std::size_t kMaxDigestSize = 64;  // sizeof(TPMU_HA)

// "sha256", "sm3_256", ...; an algorithm we do not know as "0x00ab".
std::string DigestAlgorithmName(std::uint16_t algorithm_id);
std::optional<std::size_t> KnownDigestSize(std::uint16_t algorithm_id);

}  // namespace vtpmd::policy
