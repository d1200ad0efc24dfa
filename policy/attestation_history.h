#pragma once
// The clock a TPM reports in every attestation (TPMS_CLOCK_INFO), remembered per
// AIK: a quote whose clock runs behind one already accepted from the same AIK is
// older than it claims or comes from a TPM whose state was rolled back.
//
// The rule, with the TPM's semantics: resetCount counts TPM Resets (Startup(CLEAR)
// after power loss or Shutdown(CLEAR)) and never decreases; restartCount counts
// Restarts and Resumes since the last Reset, so it may only fall when resetCount
// grows; clock (milliseconds) may fall back to its last saved value only across a
// Reset or Restart. So, against the last snapshot accepted for the AIK:
//   - a smaller resetCount is refused;
//   - with the same resetCount, a smaller restartCount is refused;
//   - with both the same, a smaller clock is refused.
// An identical snapshot is allowed: two quotes can be made within one millisecond,
// and a fresh nonce, not the clock, is what tells a replayed quote.

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"

namespace vtpmd::policy {

struct ClockSnapshot {
  std::uint64_t clock = 0;  // milliseconds the TPM has been powered since it was made
  std::uint32_t reset_count = 0;
  std::uint32_t restart_count = 0;
  bool operator==(const ClockSnapshot&) const = default;
};

enum class ClockOrder {
  kFirst,    // nothing recorded for the AIK yet
  kForward,  // the snapshot is equal to or later than the last one
  kResetCountBackwards,
  kRestartCountBackwards,
  kClockBackwards,
};

// Where `observed` stands relative to `last`, by the rule above.
ClockOrder CompareClock(const std::optional<ClockSnapshot>& last, const ClockSnapshot& observed);
inline bool IsAcceptable(ClockOrder order) {
  return order == ClockOrder::kFirst || order == ClockOrder::kForward;
}

struct ClockComparison {
  std::optional<ClockSnapshot> last;  // what `observed` was compared with
  ClockOrder order = ClockOrder::kFirst;
};

// Snapshots by AIK name (the TPM name, nameAlg || H(public area)). Errors are the
// store's (kUnavailable, kInternal); a snapshot going backwards is a ClockOrder.
class AttestationHistory {
 public:
  virtual ~AttestationHistory() = default;

  // Compares only; records nothing.
  virtual Result<ClockComparison> Compare(ByteView aik_name, const ClockSnapshot& observed) = 0;
  // Compares, and records `observed` if it is acceptable, as one atomic step: of
  // two attestations racing with snapshots of the same AIK, the second compares
  // against what the first recorded.
  virtual Result<ClockComparison> CompareAndRecord(ByteView aik_name, const ClockSnapshot& observed) = 0;
};

}  // namespace vtpmd::policy
