#include "server/app/policy_service.h"

#include <boost/json.hpp>

#include <chrono>

namespace vtpmd::app {
namespace {

struct PolicyRow {
  std::int64_t latest_version = 0;
  bool deleted = false;
};

Result<std::optional<PolicyRow>> FindPolicy(Store& store, std::string_view name) {
  VTPMD_ASSIGN_OR_RETURN(auto select,
                         store.Prepare("SELECT latest_version, deleted_at IS NOT NULL FROM policies WHERE name = ?"));
  select.Bind(1, name);
  VTPMD_ASSIGN_OR_RETURN(bool found, select.Step());
  if (!found) return std::optional<PolicyRow>();
  return std::optional<PolicyRow>(PolicyRow{select.Int(0), select.Int(1) != 0});
}

Error NoSuchPolicy(std::string_view name) {
  return NotFound("no policy named \"" + std::string(name) + "\"");
}

std::string EventJson(std::string_view name, std::int64_t version) {
  return boost::json::serialize(boost::json::object{{"name", name}, {"version", version}});
}

}  // namespace

Result<PolicyVersion> PolicyService::WriteVersion(const policy::PolicyDocument& document, std::int64_t version,
                                                  std::string_view event_type) {
  PolicyVersion out{document.name,
                    version,
                    version,
                    false,
                    std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count(),
                    boost::json::serialize(policy::PolicyDocumentJson(document))};
  VTPMD_ASSIGN_OR_RETURN(
      auto upsert,
      store_.Prepare("INSERT INTO policies(name, latest_version, deleted_at) VALUES(?, ?, NULL) "
                     "ON CONFLICT(name) DO UPDATE SET latest_version = excluded.latest_version, deleted_at = NULL"));
  VTPMD_RETURN_IF_ERROR(upsert.Bind(1, out.name).Bind(2, out.version).Run());
  VTPMD_ASSIGN_OR_RETURN(
      auto insert,
      store_.Prepare(
          "INSERT INTO policy_versions(name, version, description, document_json, created_at) VALUES(?, ?, ?, ?, ?)"));
  VTPMD_RETURN_IF_ERROR(insert.Bind(1, out.name)
                            .Bind(2, out.version)
                            .Bind(3, document.description)
                            .Bind(4, out.document_json)
                            .Bind(5, out.created_at)
                            .Run());
  VTPMD_RETURN_IF_ERROR(events_.Record(event_type, "policies/" + out.name, EventJson(out.name, out.version)));
  return out;
}

Result<PolicyVersion> PolicyService::Create(const policy::PolicyDocument& document) {
  PolicyVersion written;
  VTPMD_RETURN_IF_ERROR(store_.Transaction([&]() -> Status {
    VTPMD_ASSIGN_OR_RETURN(std::optional<PolicyRow> existing, FindPolicy(store_, document.name));
    if (existing && !existing->deleted) {
      return AlreadyExists("a policy named \"" + document.name + "\" exists; PUT writes a new version of it");
    }
    // A deleted name continues its numbering: its old versions stay what they were.
    const std::int64_t version = existing ? existing->latest_version + 1 : 1;
    VTPMD_ASSIGN_OR_RETURN(written, WriteVersion(document, version, kPolicyCreatedEvent));
    return Ok();
  }));
  return written;
}

Result<std::variant<PolicyVersion, StaleVersion>> PolicyService::Update(const policy::PolicyDocument& document,
                                                                        std::optional<std::int64_t> expected_version) {
  std::variant<PolicyVersion, StaleVersion> outcome;
  VTPMD_RETURN_IF_ERROR(store_.Transaction([&]() -> Status {
    VTPMD_ASSIGN_OR_RETURN(std::optional<PolicyRow> existing, FindPolicy(store_, document.name));
    if (!existing || existing->deleted) return NoSuchPolicy(document.name);
    if (expected_version && *expected_version != existing->latest_version) {
      outcome = StaleVersion{existing->latest_version};
      return Ok();
    }
    VTPMD_ASSIGN_OR_RETURN(outcome, WriteVersion(document, existing->latest_version + 1, kPolicyUpdatedEvent));
    return Ok();
  }));
  return outcome;
}

Status PolicyService::Delete(std::string_view name) {
  return store_.Transaction([&]() -> Status {
    VTPMD_ASSIGN_OR_RETURN(std::optional<PolicyRow> existing, FindPolicy(store_, name));
    if (!existing || existing->deleted) return NoSuchPolicy(name);
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count();
    VTPMD_ASSIGN_OR_RETURN(auto mark, store_.Prepare("UPDATE policies SET deleted_at = ? WHERE name = ?"));
    VTPMD_RETURN_IF_ERROR(mark.Bind(1, std::int64_t{now}).Bind(2, name).Run());
    return events_.Record(kPolicyDeletedEvent, "policies/" + std::string(name),
                          EventJson(name, existing->latest_version));
  });
}

Result<PolicyVersion> PolicyService::Get(std::string_view name, std::optional<std::int64_t> version) const {
  VTPMD_ASSIGN_OR_RETURN(std::optional<PolicyRow> policy, FindPolicy(store_, name));
  if (!policy) return NoSuchPolicy(name);
  if (!version && policy->deleted) {
    return NotFound("policy \"" + std::string(name) + "\" was deleted; its versions stay readable with ?version=N");
  }
  VTPMD_ASSIGN_OR_RETURN(
      auto select,
      store_.Prepare("SELECT version, created_at, document_json FROM policy_versions WHERE name = ? AND version = ?"));
  select.Bind(1, name).Bind(2, version.value_or(policy->latest_version));
  VTPMD_ASSIGN_OR_RETURN(bool found, select.Step());
  if (!found) {
    return NotFound("policy \"" + std::string(name) + "\" has no version " + std::to_string(*version) +
                    " (the latest is " + std::to_string(policy->latest_version) + ")");
  }
  return PolicyVersion{std::string(name), select.Int(0), policy->latest_version,
                       policy->deleted,   select.Int(1), select.Text(2)};
}

Result<std::vector<PolicySummary>> PolicyService::List(const PolicyFilter& filter) const {
  VTPMD_ASSIGN_OR_RETURN(auto select,
                         store_.Prepare("SELECT p.name, p.latest_version, v.description, v.created_at FROM policies p "
                                        "JOIN policy_versions v ON v.name = p.name AND v.version = p.latest_version "
                                        "WHERE p.deleted_at IS NULL AND p.name > ? ORDER BY p.name LIMIT ?"));
  select.Bind(1, filter.after_name).Bind(2, static_cast<std::int64_t>(filter.limit));
  std::vector<PolicySummary> out;
  while (true) {
    VTPMD_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    out.push_back({select.Text(0), select.Int(1), select.Text(2), select.Int(3)});
  }
  return out;
}

}  // namespace vtpmd::app
