#pragma once
// The VM-to-vTPM table: what vtpmd knows about each instance, in the store, so that
// a restart (or kill -9) brings every instance back.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"
#include "core/store.h"

namespace vtpmd::app {

// kStarting is never stored: it is how a recorded-running instance reads while
// vtpmd brings it back after a restart and its relay is not up yet.
enum class InstanceStatus { kProvisioning, kStarting, kRunning, kStopped, kFailed };
std::string_view InstanceStatusName(InstanceStatus status);

struct EndorsementKeyRecord {
  std::string algorithm;  // "rsa2048", "ecc-nist-p256"
  std::uint32_t handle;
  std::uint32_t nv_index;
  Bytes public_area;  // marshalled TPM2B_PUBLIC
  Bytes name;
  std::string certificate_serial;
};

struct InstanceRecord {
  std::string id;
  std::string vm_id;
  std::string label;
  std::string certification_method;
  std::vector<std::string> ek_algorithms;
  InstanceStatus status = InstanceStatus::kProvisioning;
  std::string status_detail;
  std::optional<uid_t> binding_uid;
  Bytes state_key_sealed;
  std::int64_t created_at = 0;
  std::vector<EndorsementKeyRecord> endorsement_keys;
};

// The tables InstanceRecords keeps, for Store::RowChanges.
inline constexpr std::string_view kInstancesTable = "instances";
inline constexpr std::string_view kEndorsementKeysTable = "instance_endorsement_keys";

// What an attestation needs of its instance, in one narrow read.
struct InstanceIdentity {
  std::string id;
  std::string vm_id;
  // The EK that vouches for the instance: its first by handle (RSA by default);
  // empty until provisioning recorded the keys.
  Bytes first_ek_name;
};

class InstanceRecords {
 public:
  explicit InstanceRecords(Store& store) : store_(store) {}

  // Writers run inside the caller's transaction, which also records the change's event.
  // AlreadyExists, naming the existing instance, when the VM already has a vTPM.
  Status Insert(const InstanceRecord& record);
  Result<InstanceRecord> Get(std::string_view id) const;  // NotFound if absent
  Result<InstanceRecord> GetByVm(std::string_view vm_id) const;  // NotFound if absent
  Result<std::vector<InstanceRecord>> List() const;
  Result<InstanceIdentity> Identity(std::string_view id) const;         // NotFound if absent
  Result<InstanceIdentity> IdentityByVm(std::string_view vm_id) const;  // NotFound if absent
  Status SetStatus(std::string_view id, InstanceStatus status, std::string_view detail);
  // Records the manufactured EKs and marks the instance running, atomically.
  Status CompleteProvisioning(std::string_view id, const std::vector<EndorsementKeyRecord>& keys);
  Status Delete(std::string_view id);

 private:
  // `column` is one of ours ("id", "vm_id"), never input.
  Result<InstanceRecord> GetWhere(std::string_view column, std::string_view value, const std::string& not_found) const;
  Result<std::vector<EndorsementKeyRecord>> EndorsementKeys(std::string_view id) const;
  Result<InstanceIdentity> IdentityWhere(std::string_view column, std::string_view value,
                                         const std::string& not_found) const;

  Store& store_;
};

}  // namespace vtpmd::app
