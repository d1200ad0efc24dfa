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

Status AttestationRecords::StoreChains(const AttestationRecord& record, std::unordered_set<std::string>& added) {
  for (const StoredChain& chain : record.chains) {
    std::string key(AsChars(chain.sha256));
    if (added.contains(key)) continue;
    {
      std::lock_guard lock(known_chains_mu_);
      if (known_chains_.contains(key)) continue;
    }
    VTPMD_ASSIGN_OR_RETURN(Statement insert,
                           store_.Prepare("INSERT OR IGNORE INTO attestation_chains(sha256, pem) VALUES(?, ?)"));
    VTPMD_RETURN_IF_ERROR(insert.Bind(1, ByteView(chain.sha256)).Bind(2, chain.pem).Run());
    added.insert(std::move(key));
  }
  return Ok();
}

Result<std::string> AttestationRecords::ChainPem(ByteView sha256) const {
  VTPMD_ASSIGN_OR_RETURN(Statement select, store_.Prepare("SELECT pem FROM attestation_chains WHERE sha256 = ?"));
  select.Bind(1, sha256);
  VTPMD_ASSIGN_OR_RETURN(bool found, select.Step());
  // Chains are never deleted, so this is a damaged store, not a missing result.
  if (!found) {
    return Internal("a stored attestation result refers to certificate chain " + HexEncode(sha256) +
                    ", which the store does not have");
  }
  return select.Text(0);
}

Status AttestationRecords::InsertAll(const std::vector<const AttestationRecord*>& records) {
  if (records.empty()) return Ok();
  policy::StoreAttestationHistory history(store_);
  std::unordered_set<std::string> added_chains;
  VTPMD_RETURN_IF_ERROR(store_.Transaction([&]() -> Status {
    added_chains.clear();
    for (const AttestationRecord* record : records) {
      VTPMD_RETURN_IF_ERROR(StoreChains(*record, added_chains));
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
      VTPMD_RETURN_IF_ERROR(insert.Bind(9, record->token).Bind(10, record->stored_result_json).Run());
      if (!record->failure_event_json.empty()) {
        VTPMD_RETURN_IF_ERROR(
            events_.Record(kAttestationFailedEvent, "attestations/" + record->id, record->failure_event_json,
                           EventScope{record->instance_id, record->vm_id}));
      }
    }
    return Ok();
  }));
  std::lock_guard lock(known_chains_mu_);
  // Bounded: AIKs come and go; forgetting one costs a lookup.
  constexpr std::size_t kMaxKnownChains = 65536;
  if (known_chains_.size() + added_chains.size() > kMaxKnownChains) known_chains_.clear();
  known_chains_.merge(added_chains);
  return Ok();
}

Result<std::size_t> AttestationRecords::PruneOlderThan(std::int64_t before, std::size_t limit) {
  std::size_t deleted = 0;
  VTPMD_RETURN_IF_ERROR(store_.Transaction(
      [&]() -> Status {
        VTPMD_ASSIGN_OR_RETURN(
            Statement prune,
            store_.Prepare("DELETE FROM attestations WHERE seq IN (SELECT seq FROM (SELECT seq, created_at FROM "
                           "attestations ORDER BY seq LIMIT ?1) WHERE created_at < ?2)"));
        VTPMD_RETURN_IF_ERROR(prune.Bind(1, static_cast<std::int64_t>(limit)).Bind(2, before).Run());
        deleted = static_cast<std::size_t>(prune.Changes());
        return Ok();
      },
      // Losing a deletion to a power failure only means doing it again.
      Store::Durability::kWithNextFlush));
  return deleted;
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
                           .result_json = {},
                           .stored_result_json = {},
                           .chains = {},
                           .failure_event_json = {},
                           .accepted_clock = {}};
  VTPMD_ASSIGN_OR_RETURN(record.result_json,
                         ExpandStoredResult(select.Text(8), [this](ByteView sha256) { return ChainPem(sha256); }));
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
                              .stored_result_json = {},
                              .chains = {},
                              .failure_event_json = {},
                              .accepted_clock = {}}});
  }
}

}  // namespace vtpmd::app
