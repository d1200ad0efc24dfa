#pragma once
// Stored attestation results: one row per verdict, never changed. Written in
// batches (one transaction, one flush for every result of a deep-quote batch)
// together with the attestation.failed events of the contraindicated ones.

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"
#include "core/store.h"
#include "policy/attestation_history.h"
#include "server/app/event_log.h"
#include "server/app/stored_result.h"

namespace vtpmd::app {

inline constexpr std::string_view kAttestationFailedEvent = "attestation.failed";

struct AttestationRecord {
  std::string id;
  std::int64_t created_at = 0;  // Unix seconds
  std::string subject;          // "instance" or "platform"
  std::string instance_id;      // "" for the platform
  std::string vm_id;
  std::string status;  // "affirming", "warning", "contraindicated"
  std::string policy_name;
  std::optional<std::int64_t> policy_version;
  std::string token;
  std::string result_json;  // as the challenger received it
  // Only in a record to be written: result_json as stored, with the chains it
  // refers to (stored_result.h).
  std::string stored_result_json;
  std::vector<StoredChain> chains;
  // For a contraindicated result: the attestation.failed event's data.
  std::string failure_event_json;
  // The AIK clock snapshot this attestation accepted (remembered_attestation_history.h),
  // made durable with the result.
  std::optional<std::pair<Bytes, policy::ClockSnapshot>> accepted_clock;
};

struct AttestationFilter {
  std::string instance_id;  // "" for any
  std::string status;       // "" for any
  std::optional<std::int64_t> before_seq;  // paging: newest first
  std::size_t limit = 100;
};

struct AttestationSummary {
  std::int64_t seq = 0;
  AttestationRecord record;  // without result_json
};

class AttestationRecords {
 public:
  AttestationRecords(Store& store, EventLog& events) : store_(store), events_(events) {}
  AttestationRecords(const AttestationRecords&) = delete;
  AttestationRecords& operator=(const AttestationRecords&) = delete;

  // All or nothing, with an event for each contraindicated result and the accepted clocks.
  Status InsertAll(const std::vector<const AttestationRecord*>& records);
  Result<AttestationRecord> Get(std::string_view id) const;  // NotFound if absent
  Result<std::vector<AttestationSummary>> List(const AttestationFilter& filter) const;
  // Deletes results created before `before` (Unix seconds) among the oldest `limit`
  // stored; returns how many. Results are stored in about creation order, so one
  // that is not yet due (after the clock went back) only delays those behind it.
  // The certificate chains stay: one per AIK, shared by its results.
  Result<std::size_t> PruneOlderThan(std::int64_t before, std::size_t limit);

 private:
  // Writes the record's chains not stored yet; `added` collects them.
  Status StoreChains(const AttestationRecord& record, std::unordered_set<std::string>& added);
  Result<std::string> ChainPem(ByteView sha256) const;

  Store& store_;
  EventLog& events_;
  // Digests of chains known to be stored, so a batch repeating them writes nothing
  // for them. Added to only after the transaction that stored them committed.
  std::mutex known_chains_mu_;
  std::unordered_set<std::string> known_chains_;
};

}  // namespace vtpmd::app
