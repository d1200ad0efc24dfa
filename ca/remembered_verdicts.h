#pragma once
// Chain verdicts remembered by the certificate's encoding (its DER, or the PEM text
// of a whole chain): the anchors and intermediates a verifier trusts do not change
// while vtpmd runs, so a certificate that chained once chains again until the
// earliest notAfter on its path. Signatures are the
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

  std::optional<Verdict> Find(const std::string& encoding, TimePoint now) const {
    std::lock_guard lock(mu_);
    auto found = by_encoding_.find(encoding);
    if (found == by_encoding_.end() || now < found->second.valid_from || now > found->second.valid_until) {
      return std::nullopt;
    }
    return found->second.verdict;
  }

  // `valid_from`..`valid_until`: the window in which the chain check would pass again.
  void Remember(std::string encoding, Verdict verdict, TimePoint valid_from, TimePoint valid_until) {
    std::lock_guard lock(mu_);
    if (by_encoding_.size() >= capacity_) by_encoding_.clear();
    by_encoding_.insert_or_assign(std::move(encoding), Entry{std::move(verdict), valid_from, valid_until});
  }

 private:
  struct Entry {
    Verdict verdict;
    TimePoint valid_from;
    TimePoint valid_until;
  };
  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> by_encoding_;
};

}  // namespace vtpmd::ca
