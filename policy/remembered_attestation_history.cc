#include "policy/remembered_attestation_history.h"

namespace vtpmd::policy {

Result<std::optional<ClockSnapshot>> RememberedAttestationHistory::LastLocked(const std::string& key) {
  if (auto found = last_.find(key); found != last_.end()) return found->second;
  VTPMD_ASSIGN_OR_RETURN(std::optional<ClockSnapshot> stored, durable_.Last(AsBytes(key)));
  if (last_.size() >= capacity_) last_.clear();
  last_.emplace(key, stored);
  return stored;
}

Result<ClockComparison> RememberedAttestationHistory::Compare(ByteView aik_name, const ClockSnapshot& observed) {
  std::lock_guard lock(mu_);
  VTPMD_ASSIGN_OR_RETURN(std::optional<ClockSnapshot> last, LastLocked(std::string(AsChars(aik_name))));
  return ClockComparison{last, CompareClock(last, observed)};
}

Result<ClockComparison> RememberedAttestationHistory::CompareAndRecord(ByteView aik_name,
                                                                      const ClockSnapshot& observed) {
  const std::string key(AsChars(aik_name));
  std::lock_guard lock(mu_);
  VTPMD_ASSIGN_OR_RETURN(std::optional<ClockSnapshot> last, LastLocked(key));
  const ClockComparison comparison{last, CompareClock(last, observed)};
  if (IsAcceptable(comparison.order)) last_[key] = observed;
  return comparison;
}

}  // namespace vtpmd::policy
