#pragma once
// A policy: named reference values that evidence is appraised against, separately
// for the guest (a VM's vTPM) and for the platform (the host's TPM). Each section
// allows digests per PCR and bank, and digests per event type and bank for the
// events of a TCG event log. The JSON form is schema/policy.schema.json; this
// parser accepts exactly what that schema does, plus the limits a schema cannot
// state (a total digest count, the document's size). See docs/attestation.md,
// "Policies".

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/crypto.h"
#include "core/result.h"

namespace vtpmd::policy {

inline constexpr std::size_t kMaxPolicyNameLength = 63;
inline constexpr std::size_t kMaxPolicyDescriptionLength = 1024;  // in code points, as JSON Schema counts
inline constexpr std::size_t kMaxAllowedDigestsPerRule = 1024;    // per PCR, or per event type and bank
inline constexpr std::size_t kMaxDigestsPerPolicy = 8192;
inline constexpr std::size_t kMaxPolicyDocumentSize = 1024 * 1024;  // vtpmd's default request body limit

using AllowedDigests = std::set<Bytes>;

// One section, "guest" or "platform".
struct ReferenceValues {
  std::map<HashAlg, std::map<unsigned, AllowedDigests>> pcrs;         // bank -> PCR -> allowed values
  std::map<std::uint32_t, std::map<HashAlg, AllowedDigests>> events;  // event type -> bank -> allowed digests

  bool operator==(const ReferenceValues&) const = default;
};

struct PolicyDocument {
  std::string name;
  std::string description;
  std::optional<ReferenceValues> guest;
  std::optional<ReferenceValues> platform;

  bool operator==(const PolicyDocument&) const = default;
};

// ^[a-z0-9][a-z0-9._-]{0,62}$: safe in a URL path segment, a file name and a log line.
Status ValidatePolicyName(std::string_view name);

// Refuses (InvalidArgument, naming the offending field) unknown fields, a section
// without rules, a PCR outside 0-23, a bank other than sha1/sha256/sha384/sha512,
// an event type policy/event_types.h does not name and EV_NO_ACTION (never
// extended), digests that are not lower-case hex of the bank's size, empty or
// repeated allowed values, and anything beyond the limits above.
Result<PolicyDocument> ParsePolicyDocument(const boost::json::object& json);
// The same from text, refusing documents above kMaxPolicyDocumentSize.
Result<PolicyDocument> ParsePolicyDocumentJson(std::string_view text);

// The canonical JSON form: keys in a fixed order, banks, PCRs and event types in
// ascending order, digests sorted. ParsePolicyDocument() of it gives `document` back.
boost::json::object PolicyDocumentJson(const PolicyDocument& document);

}  // namespace vtpmd::policy
