#include "server/app/instance_records.h"

namespace vtpmd::app {
namespace {

constexpr std::string_view kColumns =
    "SELECT id, vm_id, label, certification_method, ek_algorithms, status, status_detail, binding_uid, "
    "state_key_sealed, created_at FROM instances";

Result<InstanceStatus> StatusFromName(std::string_view name) {
  for (InstanceStatus status : {InstanceStatus::kProvisioning, InstanceStatus::kRunning, InstanceStatus::kStopped,
                                InstanceStatus::kFailed}) {
    if (InstanceStatusName(status) == name) return status;
  }
  return Internal("unknown instance status in the store: " + std::string(name));
}

std::string JoinComma(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

std::vector<std::string> SplitComma(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    out.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

Result<InstanceRecord> ReadRecord(const Statement& row) {
  InstanceRecord record;
  record.id = row.Text(0);
  record.vm_id = row.Text(1);
  record.label = row.Text(2);
  record.certification_method = row.Text(3);
  record.ek_algorithms = SplitComma(row.Text(4));
  VTPMD_ASSIGN_OR_RETURN(record.status, StatusFromName(row.Text(5)));
  record.status_detail = row.Text(6);
  if (!row.IsNull(7)) record.binding_uid = static_cast<uid_t>(row.Int(7));
  record.state_key_sealed = row.Blob(8);
  record.created_at = row.Int(9);
  return record;
}

}  // namespace

std::string_view InstanceStatusName(InstanceStatus status) {
  switch (status) {
    case InstanceStatus::kProvisioning: return "provisioning";
    case InstanceStatus::kStarting: return "starting";
    case InstanceStatus::kRunning: return "running";
    case InstanceStatus::kStopped: return "stopped";
    case InstanceStatus::kFailed: return "failed";
  }
  return "failed";
}

Status InstanceRecords::Insert(const InstanceRecord& record) {
  VTPMD_ASSIGN_OR_RETURN(auto existing, store_.Prepare("SELECT id FROM instances WHERE vm_id = ?"));
  existing.Bind(1, record.vm_id);
  VTPMD_ASSIGN_OR_RETURN(bool taken, existing.Step());
  if (taken) return AlreadyExists("VM " + record.vm_id + " already has a vTPM: instance " + existing.Text(0));
  VTPMD_ASSIGN_OR_RETURN(auto insert, store_.Prepare(
      "INSERT INTO instances(id, vm_id, label, certification_method, ek_algorithms, status, status_detail, "
      "binding_uid, state_key_sealed, created_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  insert.Bind(1, record.id).Bind(2, record.vm_id).Bind(3, record.label).Bind(4, record.certification_method)
      .Bind(5, JoinComma(record.ek_algorithms)).Bind(6, InstanceStatusName(record.status))
      .Bind(7, record.status_detail).Bind(9, ByteView(record.state_key_sealed)).Bind(10, record.created_at);
  if (record.binding_uid) {
    insert.Bind(8, static_cast<std::int64_t>(*record.binding_uid));
  } else {
    insert.BindNull(8);
  }
  return insert.Run();
}

Result<std::vector<EndorsementKeyRecord>> InstanceRecords::EndorsementKeys(std::string_view id) const {
  VTPMD_ASSIGN_OR_RETURN(auto select, store_.Prepare(
      "SELECT algorithm, handle, nv_index, public_area, name, certificate_serial FROM instance_endorsement_keys "
      "WHERE instance_id = ? ORDER BY handle"));
  select.Bind(1, id);
  std::vector<EndorsementKeyRecord> out;
  while (true) {
    VTPMD_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    out.push_back({select.Text(0), static_cast<std::uint32_t>(select.Int(1)), static_cast<std::uint32_t>(select.Int(2)),
                   select.Blob(3), select.Blob(4), select.Text(5)});
  }
  return out;
}

Result<InstanceRecord> InstanceRecords::Get(std::string_view id) const {
  return GetWhere("id", id, "no instance " + std::string(id));
}

Result<InstanceRecord> InstanceRecords::GetByVm(std::string_view vm_id) const {
  return GetWhere("vm_id", vm_id, "no instance for VM " + std::string(vm_id));
}

Result<InstanceRecord> InstanceRecords::GetWhere(std::string_view column, std::string_view value,
                                                 const std::string& not_found) const {
  VTPMD_ASSIGN_OR_RETURN(auto select, store_.Prepare(std::string(kColumns) + " WHERE " + std::string(column) + " = ?"));
  select.Bind(1, value);
  VTPMD_ASSIGN_OR_RETURN(bool found, select.Step());
  if (!found) return NotFound(not_found);
  VTPMD_ASSIGN_OR_RETURN(InstanceRecord record, ReadRecord(select));
  VTPMD_ASSIGN_OR_RETURN(record.endorsement_keys, EndorsementKeys(record.id));
  return record;
}

Result<InstanceIdentity> InstanceRecords::Identity(std::string_view id) const {
  return IdentityWhere("id", id, "no instance " + std::string(id));
}

Result<InstanceIdentity> InstanceRecords::IdentityByVm(std::string_view vm_id) const {
  return IdentityWhere("vm_id", vm_id, "no instance for VM " + std::string(vm_id));
}

Result<InstanceIdentity> InstanceRecords::IdentityWhere(std::string_view column, std::string_view value,
                                                        const std::string& not_found) const {
  VTPMD_ASSIGN_OR_RETURN(auto select,
                         store_.Prepare("SELECT i.id, i.vm_id, k.name FROM instances i LEFT JOIN "
                                        "instance_endorsement_keys k ON k.instance_id = i.id WHERE i." +
                                        std::string(column) + " = ? ORDER BY k.handle LIMIT 1"));
  select.Bind(1, value);
  VTPMD_ASSIGN_OR_RETURN(bool found, select.Step());
  if (!found) return NotFound(not_found);
  return InstanceIdentity{.id = select.Text(0), .vm_id = select.Text(1),
                          .first_ek_name = select.IsNull(2) ? Bytes() : select.Blob(2)};
}

Result<std::vector<InstanceRecord>> InstanceRecords::List() const {
  VTPMD_ASSIGN_OR_RETURN(auto select, store_.Prepare(std::string(kColumns) + " ORDER BY created_at, id"));
  std::vector<InstanceRecord> out;
  while (true) {
    VTPMD_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    VTPMD_ASSIGN_OR_RETURN(InstanceRecord record, ReadRecord(select));
    VTPMD_ASSIGN_OR_RETURN(record.endorsement_keys, EndorsementKeys(record.id));
    out.push_back(std::move(record));
  }
  return out;
}

Status InstanceRecords::SetStatus(std::string_view id, InstanceStatus status, std::string_view detail) {
  VTPMD_ASSIGN_OR_RETURN(auto update, store_.Prepare("UPDATE instances SET status = ?, status_detail = ? WHERE id = ?"));
  VTPMD_RETURN_IF_ERROR(update.Bind(1, InstanceStatusName(status)).Bind(2, detail).Bind(3, id).Run());
  if (update.Changes() == 0) return NotFound("no instance " + std::string(id));
  return Ok();
}

Status InstanceRecords::CompleteProvisioning(std::string_view id, const std::vector<EndorsementKeyRecord>& keys) {
  VTPMD_ASSIGN_OR_RETURN(auto clear, store_.Prepare("DELETE FROM instance_endorsement_keys WHERE instance_id = ?"));
  VTPMD_RETURN_IF_ERROR(clear.Bind(1, id).Run());
  for (const EndorsementKeyRecord& key : keys) {
    VTPMD_ASSIGN_OR_RETURN(auto insert, store_.Prepare(
        "INSERT INTO instance_endorsement_keys(instance_id, algorithm, handle, nv_index, public_area, name, "
        "certificate_serial) VALUES(?, ?, ?, ?, ?, ?, ?)"));
    VTPMD_RETURN_IF_ERROR(insert.Bind(1, id).Bind(2, key.algorithm).Bind(3, std::int64_t{key.handle})
                              .Bind(4, std::int64_t{key.nv_index}).Bind(5, ByteView(key.public_area))
                              .Bind(6, ByteView(key.name)).Bind(7, key.certificate_serial).Run());
  }
  return SetStatus(id, InstanceStatus::kRunning, "");
}

Status InstanceRecords::Delete(std::string_view id) {
  VTPMD_ASSIGN_OR_RETURN(auto remove, store_.Prepare("DELETE FROM instances WHERE id = ?"));
  VTPMD_RETURN_IF_ERROR(remove.Bind(1, id).Run());
  if (remove.Changes() == 0) return NotFound("no instance " + std::string(id));
  return Ok();
}

}  // namespace vtpmd::app
