#pragma once
// Chain verdicts remembered by the certificate's DER: the anchors and intermediates
// a verifier trusts do not change while vtpmd runs, so a certificate that chained
// once chains again until the earliest notAfter on its path. Signatures are the
// expensive part of a chain check and the same certificates come back at every
// enrollment or attestation of their TPM. Revocation is not remembered: callers
// read it every time. Bounded: when full, it starts over.

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/clock.h"

namespace vtpmd::ca {

template <typename Verdict>
class RememberedVerdicts {
 public:
  explicit RememberedVerdicts(std::size_t capacity) : capacity_(capacity) {}

  std::optional<Verdict> Find(const std::string& der, TimePoint now) const {
    std::lock_guard lock(mu_);
    auto found = by_der_.find(der);
    if (found == by_der_.end() || now < found->second.valid_from || now > found->second.valid_until) {
      return std::nullopt;
    }
    return found->second.verdict;
  }

  // `valid_from`..`valid_until`: the window in which the chain check would pass again.
  void Remember(std::string der, Verdict verdict, TimePoint valid_from, TimePoint valid_until) {
    std::lock_guard lock(mu_);
    if (by_der_.size() >= capacity_) by_der_.clear();
    by_der_.insert_or_assign(std::move(der), Entry{std::move(verdict), valid_from, valid_until});
  }

 private:
  struct Entry {
    Verdict verdict;
    TimePoint valid_from;
    TimePoint valid_until;
  };
  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> by_der_;
};

}  // namespace vtpmd::ca
