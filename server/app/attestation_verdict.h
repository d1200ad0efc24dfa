#pragma once
// How check outcomes become an attestation verdict: per submodule an EAR status
// (draft-fv-rats-ear: affirming, warning, contraindicated), the worst of them
// overall, and the JSON of both the full result and the signed EAR claims.
//
// A submodule is contraindicated when any of its checks failed, a warning when
// none failed but some could not be established (skipped: the evidence needed
// was not submitted or not requested), and affirming when every check passed.

#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "policy/evidence_check.h"

namespace vtpmd::app {

// Submodule names, stable: clients and relying parties key on them.
inline constexpr std::string_view kSubmodVtpmQuote = "vtpm-quote";
inline constexpr std::string_view kSubmodAikChain = "aik-chain";
inline constexpr std::string_view kSubmodEventLog = "event-log";
inline constexpr std::string_view kSubmodPlatform = "platform";
inline constexpr std::string_view kSubmodPolicy = "policy";
// A platform attestation's own quote.
inline constexpr std::string_view kSubmodPlatformQuote = "platform-quote";

// Checks beyond the quote verifier's (quote_verifier.h).
inline constexpr std::string_view kCheckAikChain = "aik-chain";
inline constexpr std::string_view kCheckAikInstance = "aik-instance";
inline constexpr std::string_view kCheckInclusionProof = "inclusion-proof";
inline constexpr std::string_view kCheckPlatformAik = "platform-aik";
inline constexpr std::string_view kCheckDeepQuote = "deep-quote";
inline constexpr std::string_view kCheckPolicy = "policy";
inline constexpr std::string_view kCheckPlatformPolicy = "platform-policy";

// The EAR profile this result follows.
inline constexpr std::string_view kEarProfile = "tag:github.com,2023:veraison/ear";

enum class EarStatus { kAffirming, kWarning, kContraindicated };
std::string_view EarStatusName(EarStatus status);

struct Submodule {
  std::string_view name;
  std::vector<policy::CheckResult> checks;
  EarStatus status() const;
};

EarStatus OverallStatus(const std::vector<Submodule>& submodules);

// {name: {"status", "checks": [{"check", "outcome", "reason"?, "message"}]}}
boost::json::object SubmodulesJson(const std::vector<Submodule>& submodules);

// The failed checks' reason codes, "submodule/check: reason" style, for events.
boost::json::array FailureReasonsJson(const std::vector<Submodule>& submodules);

struct EarContext {
  std::string attestation_id;
  std::int64_t issued_at = 0;  // Unix seconds
  Bytes nonce;
  std::string instance_id;  // "" for a platform attestation
  std::string vm_id;
  std::string policy_name;
  std::int64_t policy_version = 0;
};

// The claims of the signed token: eat_profile, iat, ear.verifier-id, eat_nonce,
// submods with ear.status each, and vtpmd's own claims (attestation id, subject,
// policy, the failed reasons per submodule).
boost::json::object EarClaims(const EarContext& context, const std::vector<Submodule>& submodules);

}  // namespace vtpmd::app
