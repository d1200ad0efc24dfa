#pragma once
// Instance identities for the attestation path: read from the store once and
// remembered while neither instance table changes (core/remembered_reads.h). An
// identity changes only when its instance is created, provisioned or deleted, and
// each of those changes a row of these tables.

#include <memory>
#include <string>
#include <string_view>

#include "core/remembered_reads.h"
#include "core/result.h"
#include "core/store.h"
#include "server/app/instance_records.h"

namespace vtpmd::app {

class InstanceIdentities {
 public:
  explicit InstanceIdentities(Store& store) : store_(store), records_(store) {}

  Result<InstanceIdentity> ById(std::string_view id);     // NotFound if absent
  Result<InstanceIdentity> ByVm(std::string_view vm_id);  // NotFound if absent

 private:
  using Remembered = RememberedReads<std::string, std::shared_ptr<const InstanceIdentity>>;

  std::uint64_t TableChanges() const;
  template <typename Read>
  Result<InstanceIdentity> Find(Remembered& remembered, std::string_view key, Read read);

  // Bounded by the instances there are: one per VM.
  static constexpr std::size_t kMaxRemembered = 65536;

  Store& store_;
  const InstanceRecords records_;
  Remembered by_id_{kMaxRemembered};
  Remembered by_vm_{kMaxRemembered};
};

}  // namespace vtpmd::app
