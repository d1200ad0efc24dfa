#include "server/webhooks/retry_schedule.h"

#include <algorithm>
#include <array>

namespace vtpmd::webhooks {

std::chrono::milliseconds RetryDelay(const RetrySchedule& schedule, std::int64_t failures, double unit) {
  const std::int64_t first = std::max<std::int64_t>(schedule.first.count(), 1);
  const std::int64_t cap = std::max(schedule.max.count(), first);
  std::int64_t backoff = first;
  for (std::int64_t i = 1; i < failures && backoff < cap; ++i) backoff *= 2;
  backoff = std::min(backoff, cap);
  const double clamped = std::clamp(unit, 0.0, 1.0);
  const auto half = backoff / 2;
  return std::chrono::milliseconds(backoff - half + static_cast<std::int64_t>(static_cast<double>(half) * clamped));
}

Result<double> UnitInterval(Rng& rng) {
  std::array<std::uint8_t, 4> bytes{};
  VTPMD_RETURN_IF_ERROR(rng.Fill(bytes));
  const std::uint32_t value = (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
                              (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]};
  return static_cast<double>(value) / 4294967296.0;
}

}  // namespace vtpmd::webhooks
