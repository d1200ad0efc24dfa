#pragma once
// When a failed delivery is tried again: exponential backoff from `first`, capped at
// `max`, with jitter so that receivers that failed together are not retried in
// lockstep (the delay is drawn from the upper half of the backoff interval).

#include <chrono>
#include <cstdint>

#include "core/random.h"
#include "core/result.h"

namespace vtpmd::webhooks {

struct RetrySchedule {
  std::chrono::milliseconds first{5000};
  std::chrono::milliseconds max{3600 * 1000};
};

// The delay after the `failures`-th consecutive failure (1 for the first);
// `unit` is uniform in [0, 1).
std::chrono::milliseconds RetryDelay(const RetrySchedule& schedule, std::int64_t failures, double unit);
// A uniform draw in [0, 1) from `rng`.
Result<double> UnitInterval(Rng& rng);

}  // namespace vtpmd::webhooks
