#include "policy/attestation_history.h"

namespace vtpmd::policy {

ClockOrder CompareClock(const std::optional<ClockSnapshot>& last, const ClockSnapshot& observed) {
  if (!last) return ClockOrder::kFirst;
  if (observed.reset_count != last->reset_count) {
    return observed.reset_count > last->reset_count ? ClockOrder::kForward : ClockOrder::kResetCountBackwards;
  }
  if (observed.restart_count != last->restart_count) {
    return observed.restart_count > last->restart_count ? ClockOrder::kForward : ClockOrder::kRestartCountBackwards;
  }
  return observed.clock >= last->clock ? ClockOrder::kForward : ClockOrder::kClockBackwards;
}

}  // namespace vtpmd::policy
