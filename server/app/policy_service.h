#pragma once
// Attestation policies as the API sees them: named, versioned documents in the
// store. Every write is one transaction with its event (policy.created,
// policy.updated, policy.deleted); versions are kept for good, so an attestation
// result's policy name and version always mean one document.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/clock.h"
#include "core/store.h"
#include "policy/reference_policy.h"
#include "server/app/event_log.h"

namespace vtpmd::app {

struct PolicyVersion {
  std::string name;
  std::int64_t version = 0;
  std::int64_t latest_version = 0;
  bool deleted = false;         // the policy as a whole; its versions stay readable
  std::int64_t created_at = 0;  // of this version, Unix seconds
  std::string document_json;    // canonical
};

struct PolicySummary {
  std::string name;
  std::int64_t latest_version = 0;
  std::string description;
  std::int64_t updated_at = 0;  // when the latest version was written
};

struct PolicyFilter {
  std::string after_name;  // paging cursor: names after this one
  std::size_t limit = 100;
};

// An update that expected another version than the current one (If-Match) writes nothing.
struct StaleVersion {
  std::int64_t current_version = 0;
};

inline constexpr std::string_view kPolicyCreatedEvent = "policy.created";
inline constexpr std::string_view kPolicyUpdatedEvent = "policy.updated";
inline constexpr std::string_view kPolicyDeletedEvent = "policy.deleted";

// The table of policy names, for Store::RowChanges: every new version and every
// deletion changes it (the versions' own table is WITHOUT ROWID, which SQLite does
// not count).
inline constexpr std::string_view kPoliciesTable = "policies";

class PolicyService {
 public:
  PolicyService(Store& store, EventLog& events, const Clock& clock) : store_(store), events_(events), clock_(clock) {}

  // Version 1, or the next version of a deleted policy of that name; AlreadyExists
  // while a policy of that name is not deleted.
  Result<PolicyVersion> Create(const policy::PolicyDocument& document);
  // The next version of the existing policy document.name; NotFound when there is
  // none or it is deleted.
  Result<std::variant<PolicyVersion, StaleVersion>> Update(const policy::PolicyDocument& document,
                                                           std::optional<std::int64_t> expected_version);
  // NotFound when there is no such policy or it is deleted already.
  Status Delete(std::string_view name);

  // The latest version of a policy that is not deleted, or the given version of any.
  Result<PolicyVersion> Get(std::string_view name, std::optional<std::int64_t> version) const;
  // Policies that are not deleted, by name.
  Result<std::vector<PolicySummary>> List(const PolicyFilter& filter) const;

 private:
  Result<PolicyVersion> WriteVersion(const policy::PolicyDocument& document, std::int64_t version,
                                     std::string_view event_type);

  Store& store_;
  EventLog& events_;
  const Clock& clock_;
};

}  // namespace vtpmd::app
