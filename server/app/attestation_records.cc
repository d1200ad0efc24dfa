#include "server/app/attestation_records.h"

#include "policy/store_attestation_history.h"

namespace vtpmd::app {
namespace {

void BindOptionalText(Statement& statement, int index, std::string_view text) {
  if (text.empty()) {
    statement.BindNull(index);
  } else {
    statement.Bind(index, text);
  }
}

}  // namespace

Status AttestationRecords::InsertAll(const std::vector<const AttestationRecord*>& records) {
  if (records.empty()) return Ok();
  policy::StoreAttestationHistory history(store_);
  return store_.Transaction([&]() -> Status {
    for (const AttestationRecord* record : records) {
      if (record->accepted_clock) {
        VTPMD_RETURN_IF_ERROR(history.RecordIfLater(record->accepted_clock->first, record->accepted_clock->second));
      }
      VTPMD_ASSIGN_OR_RETURN(
          Statement insert,
          store_.Prepare("INSERT INTO attestations(id, created_at, subject, instance_id, vm_id, status, policy_name, "
                         "policy_version, token, result_json) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
      insert.Bind(1, record->id).Bind(2, record->created_at).Bind(3, record->subject);
      BindOptionalText(insert, 4, record->instance_id);
      BindOptionalText(insert, 5, record->vm_id);
      insert.Bind(6, record->status);
      BindOptionalText(insert, 7, record->policy_name);
      if (record->policy_version) {
        insert.Bind(8, *record->policy_version);
      } else {
        insert.BindNull(8);
      }
      VTPMD_RETURN_IF_ERROR(insert.Bind(9, record->token).Bind(10, record->result_json).Run());
      if (!record->failure_event_json.empty()) {
        VTPMD_RETURN_IF_ERROR(
            events_.Record(kAttestationFailedEvent, "attestations/" + record->id, record->failure_event_json,
                           EventScope{record->instance_id, record->vm_id}));
      }
    }
    return Ok();
  });
}

Result<AttestationRecord> AttestationRecords::Get(std::string_view id) const {
  VTPMD_ASSIGN_OR_RETURN(Statement select,
                         store_.Prepare("SELECT created_at, subject, COALESCE(instance_id, ''), COALESCE(vm_id, ''), "
                                        "status, COALESCE(policy_name, ''), policy_version, token, result_json "
                                        "FROM attestations WHERE id = ?"));
  select.Bind(1, id);
  VTPMD_ASSIGN_OR_RETURN(bool found, select.Step());
  if (!found) return NotFound("no attestation " + std::string(id));
  AttestationRecord record{.id = std::string(id),
                           .created_at = select.Int(0),
                           .subject = select.Text(1),
                           .instance_id = select.Text(2),
                           .vm_id = select.Text(3),
                           .status = select.Text(4),
                           .policy_name = select.Text(5),
                           .policy_version = select.IsNull(6) ? std::nullopt : std::optional(select.Int(6)),
                           .token = select.Text(7),
                           .result_json = select.Text(8),
                           .failure_event_json = {},
                           .accepted_clock = {}};
  return record;
}

Result<std::vector<AttestationSummary>> AttestationRecords::List(const AttestationFilter& filter) const {
  VTPMD_ASSIGN_OR_RETURN(
      Statement select,
      store_.Prepare("SELECT seq, id, created_at, subject, COALESCE(instance_id, ''), COALESCE(vm_id, ''), status, "
                     "COALESCE(policy_name, ''), policy_version, token FROM attestations "
                     "WHERE (?1 = '' OR instance_id = ?1) AND (?2 = '' OR status = ?2) AND seq < ?3 "
                     "ORDER BY seq DESC LIMIT ?4"));
  select.Bind(1, filter.instance_id)
      .Bind(2, filter.status)
      .Bind(3, filter.before_seq.value_or(INT64_MAX))
      .Bind(4, static_cast<std::int64_t>(filter.limit));
  std::vector<AttestationSummary> out;
  while (true) {
    VTPMD_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return out;
    out.push_back({.seq = select.Int(0),
                   .record = {.id = select.Text(1),
                              .created_at = select.Int(2),
                              .subject = select.Text(3),
                              .instance_id = select.Text(4),
                              .vm_id = select.Text(5),
                              .status = select.Text(6),
                              .policy_name = select.Text(7),
                              .policy_version = select.IsNull(8) ? std::nullopt : std::optional(select.Int(8)),
                              .token = select.Text(9),
                              .result_json = {},
                              .failure_event_json = {},
                              .accepted_clock = {}}});
  }
}

}  // namespace vtpmd::app
