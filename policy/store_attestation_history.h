#pragma once
// AttestationHistory in the SQLite store (table attestation_history, migration 0005).

#include "core/store.h"
#include "policy/attestation_history.h"

namespace vtpmd::policy {

class StoreAttestationHistory final : public AttestationHistory {
 public:
  explicit StoreAttestationHistory(Store& store) : store_(store) {}

  Result<ClockComparison> Compare(ByteView aik_name, const ClockSnapshot& observed) override;
  // One IMMEDIATE transaction: the read and the write hold the store's lock and
  // SQLite's write lock together.
  Result<ClockComparison> CompareAndRecord(ByteView aik_name, const ClockSnapshot& observed) override;

  Result<std::optional<ClockSnapshot>> Last(ByteView aik_name);
  // Writes `snapshot` unless the stored one is later (reset count, then restart
  // count, then clock): snapshots decided elsewhere may be written out of order.
  Status RecordIfLater(ByteView aik_name, const ClockSnapshot& snapshot);

 private:
  Store& store_;
};

}  // namespace vtpmd::policy
