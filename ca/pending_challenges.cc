#include "ca/pending_challenges.h"

namespace vtpmd::ca {

void PendingChallenges::DropExpired(TimePoint now) {
  while (!counted_by_expiry_.empty() && counted_by_expiry_.front().first <= now) {
    auto& [expires_at, id] = counted_by_expiry_.front();
    if (auto it = entries_.find(id); it != entries_.end() && it->second.counted) {
      it->second.counted = false;
      --counted_;
    }
    expired_.emplace_back(expires_at, std::move(id));
    counted_by_expiry_.pop_front();
  }
  while (!expired_.empty() && expired_.front().first + lifetime_ <= now) {
    if (auto it = entries_.find(expired_.front().second); it != entries_.end() && !it->second.taken) entries_.erase(it);
    expired_.pop_front();
  }
}

Status PendingChallenges::Add(std::string id, PendingChallenge challenge, TimePoint now) {
  std::lock_guard lock(mu_);
  DropExpired(now);
  if (counted_ >= capacity_) {
    return ResourceExhausted("too many AIK enrollments are pending; retry once some have completed or expired");
  }
  const TimePoint expires_at = challenge.expires_at;
  auto [it, added] = entries_.try_emplace(std::move(id), Entry{std::move(challenge)});
  if (!added) return Internal("an AIK challenge id was issued twice");
  counted_by_expiry_.emplace_back(expires_at, it->first);
  ++counted_;
  return Ok();
}

Result<PendingChallenge> PendingChallenges::Take(std::string_view id, TimePoint now) {
  std::lock_guard lock(mu_);
  DropExpired(now);
  auto it = entries_.find(std::string(id));
  if (it == entries_.end()) return NotFound("no AIK challenge " + std::string(id));
  Entry& entry = it->second;
  if (entry.taken) return FailedPrecondition("the AIK challenge was already used");
  entry.taken = true;
  if (entry.counted) {
    entry.counted = false;
    --counted_;
  }
  // Nobody reads the entry again: it only marks the challenge as being used.
  return std::move(entry.challenge);
}

void PendingChallenges::Forget(std::string_view id) {
  std::lock_guard lock(mu_);
  entries_.erase(std::string(id));
}

}  // namespace vtpmd::ca
