#include "server/app/instance_identities.h"

namespace vtpmd::app {

Result<InstanceIdentity> InstanceIdentities::ById(std::string_view id) {
  return Find(by_id_, id, [this](std::string_view key) { return records_.Identity(key); });
}

Result<InstanceIdentity> InstanceIdentities::ByVm(std::string_view vm_id) {
  return Find(by_vm_, vm_id, [this](std::string_view key) { return records_.IdentityByVm(key); });
}

std::uint64_t InstanceIdentities::TableChanges() const {
  return store_.RowChanges(kInstancesTable) + store_.RowChanges(kEndorsementKeysTable);
}

template <typename Read>
Result<InstanceIdentity> InstanceIdentities::Find(Remembered& remembered, std::string_view key, Read read) {
  const std::uint64_t changes = TableChanges();
  std::string owned_key(key);
  if (auto known = remembered.Recall(owned_key, changes)) return **known;
  VTPMD_ASSIGN_OR_RETURN(InstanceIdentity identity, read(key));
  remembered.Remember(std::move(owned_key), std::make_shared<const InstanceIdentity>(identity), changes);
  return identity;
}

}  // namespace vtpmd::app
