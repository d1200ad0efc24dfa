#pragma once
// EV_NO_ACTION events are logged but never extended into a PCR. Their data opens
// with a 16-byte signature, NUL-padded, that names what follows: "Spec ID Event03"
// (the log's header, see spec_id_event.h), "StartupLocality", "SP800-155 Event",
// "NvIndexInstance", ... Only StartupLocality changes a replay: the locality from
// which TPM2_Startup ran is PCR 0's initial value (0...0 || locality) in every bank.

#include <cstdint>
#include <optional>
#include <string>

#include "core/bytes.h"
#include "core/result.h"

namespace vtpmd::policy {

// The localities a TPM defines below the extended ones; startup happens in 0 or, for
// an H-CRTM, 3 or 4.
inline constexpr std::uint8_t kMaxStartupLocality = 4;

struct NoActionEvent {
  std::string signature;  // without its NUL padding; empty when it is not printable ASCII
  std::optional<std::uint8_t> startup_locality;
};

// Fails only for a StartupLocality event that is not exactly its signature and one
// locality byte of at most kMaxStartupLocality; other data is reported, not judged.
Result<NoActionEvent> ParseNoActionEvent(ByteView data);

}  // namespace vtpmd::policy
