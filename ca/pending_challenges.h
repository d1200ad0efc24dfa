#pragma once
// AIK challenges that were issued and not yet answered. They live only in memory:
// a challenge is worth writing down once it has been used (as the audit record of
// the activation), and one lost to a restart only makes its client ask again. That
// spares every enrollment a durable write, and the flush it would wait for.

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/result.h"

namespace vtpmd::ca {

struct PendingChallenge {
  std::string instance_id;
  std::string vm_id;
  std::string host_name;
  TimePoint ek_not_after;
  Bytes aik_public;
  Bytes secret_hash;  // SHA-256 of the secret: the secret itself is only in the credential blob
  TimePoint created_at;
  TimePoint expires_at;
  bool host_signed = false;
  bool platform = false;
};

class PendingChallenges {
 public:
  // Every challenge lives `lifetime`; at most `capacity` unexpired ones at once.
  PendingChallenges(std::chrono::seconds lifetime, std::size_t capacity) : lifetime_(lifetime), capacity_(capacity) {}

  // kResourceExhausted when `capacity` challenges are pending and unexpired.
  Status Add(std::string id, PendingChallenge challenge, TimePoint now);

  // The challenge, expired or not, for the one attempt that may use it. Another
  // attempt meanwhile gets kFailedPrecondition, an id never issued (or forgotten,
  // or lost to a restart) kNotFound.
  Result<PendingChallenge> Take(std::string_view id, TimePoint now);

  // Once the attempt's outcome is recorded (or failed to be).
  void Forget(std::string_view id);

 private:
  struct Entry {
    PendingChallenge challenge;
    bool counted = true;  // pending, unexpired: counts against the capacity
    bool taken = false;
  };
  void DropExpired(TimePoint now);  // under mu_

  const std::chrono::seconds lifetime_;
  const std::size_t capacity_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  // Ids by expiry (one lifetime for all, so in the order they were added): those
  // still counted, then those kept one more lifetime so that a late answer learns
  // that its challenge expired rather than that it never existed.
  std::deque<std::pair<TimePoint, std::string>> counted_by_expiry_;
  std::deque<std::pair<TimePoint, std::string>> expired_;
  std::size_t counted_ = 0;
};

}  // namespace vtpmd::ca
