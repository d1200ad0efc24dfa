#pragma once
// The AIK clock history decided in memory, for the attestation service: reading and
// writing the store for every quote would make each request wait for a flush on
// an I/O thread. An AIK not seen since start is read through from the store.
// CompareAndRecord decides atomically in memory; the caller makes each recorded
// snapshot durable with StoreAttestationHistory::RecordIfLater in the transaction
// that stores the attestation's result, before the answer leaves. A snapshot whose
// result never became durable was never answered, and freshness against replay is
// the challenger's nonce's job; the clock history is the second line (rollback).
// Bounded: when full, it starts over and reads through again.

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include "policy/attestation_history.h"
#include "policy/store_attestation_history.h"

namespace vtpmd::policy {

class RememberedAttestationHistory final : public AttestationHistory {
 public:
  explicit RememberedAttestationHistory(StoreAttestationHistory& durable, std::size_t capacity = 1 << 20)
      : durable_(durable), capacity_(capacity) {}

  Result<ClockComparison> Compare(ByteView aik_name, const ClockSnapshot& observed) override;
  Result<ClockComparison> CompareAndRecord(ByteView aik_name, const ClockSnapshot& observed) override;

 private:
  // The last snapshot, from memory or the store; called with mu_ held.
  Result<std::optional<ClockSnapshot>> LastLocked(const std::string& key);

  StoreAttestationHistory& durable_;
  const std::size_t capacity_;
  std::mutex mu_;
  std::unordered_map<std::string, std::optional<ClockSnapshot>> last_;
};

}  // namespace vtpmd::policy
