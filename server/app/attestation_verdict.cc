#include "server/app/attestation_verdict.h"

#include <boost/json.hpp>

#include <algorithm>

namespace vtpmd::app {
namespace {

boost::json::object CheckJson(const policy::CheckResult& check) {
  boost::json::object out{{"check", check.check}, {"outcome", policy::CheckOutcomeName(check.outcome)}};
  if (check.reason != policy::ReasonCode::kNone) out["reason"] = policy::ReasonCodeName(check.reason);
  out["message"] = check.message;
  return out;
}

boost::json::array FailedReasons(const Submodule& submodule) {
  boost::json::array reasons;
  for (const policy::CheckResult& check : submodule.checks) {
    if (check.outcome == policy::CheckOutcome::kFailed) reasons.emplace_back(policy::ReasonCodeName(check.reason));
  }
  return reasons;
}

}  // namespace

std::string_view EarStatusName(EarStatus status) {
  switch (status) {
    case EarStatus::kAffirming: return "affirming";
    case EarStatus::kWarning: return "warning";
    case EarStatus::kContraindicated: return "contraindicated";
  }
  return "contraindicated";
}

EarStatus Submodule::status() const {
  EarStatus worst = EarStatus::kAffirming;
  for (const policy::CheckResult& check : checks) {
    if (check.outcome == policy::CheckOutcome::kFailed) return EarStatus::kContraindicated;
    if (check.outcome == policy::CheckOutcome::kSkipped) worst = EarStatus::kWarning;
  }
  // A submodule with nothing checked established nothing.
  return checks.empty() ? EarStatus::kWarning : worst;
}

EarStatus OverallStatus(const std::vector<Submodule>& submodules) {
  EarStatus worst = EarStatus::kAffirming;
  for (const Submodule& submodule : submodules) worst = std::max(worst, submodule.status());
  return worst;
}

boost::json::object SubmodulesJson(const std::vector<Submodule>& submodules) {
  boost::json::object out;
  for (const Submodule& submodule : submodules) {
    boost::json::array checks;
    for (const policy::CheckResult& check : submodule.checks) checks.push_back(CheckJson(check));
    out[submodule.name] = boost::json::object{{"status", EarStatusName(submodule.status())}, {"checks", std::move(checks)}};
  }
  return out;
}

boost::json::array FailureReasonsJson(const std::vector<Submodule>& submodules) {
  boost::json::array out;
  for (const Submodule& submodule : submodules) {
    for (const policy::CheckResult& check : submodule.checks) {
      if (check.outcome != policy::CheckOutcome::kFailed) continue;
      out.push_back(boost::json::object{{"submod", submodule.name},
                                        {"check", check.check},
                                        {"reason", policy::ReasonCodeName(check.reason)}});
    }
  }
  return out;
}

boost::json::object EarClaims(const EarContext& context, const std::vector<Submodule>& submodules) {
  boost::json::object submods;
  for (const Submodule& submodule : submodules) {
    boost::json::object claims{{"ear.status", EarStatusName(submodule.status())}};
    if (boost::json::array reasons = FailedReasons(submodule); !reasons.empty()) {
      claims["vtpmd.reasons"] = std::move(reasons);
    }
    submods[submodule.name] = std::move(claims);
  }
  boost::json::object claims{{"eat_profile", kEarProfile},
                             {"iat", context.issued_at},
                             {"ear.verifier-id", {{"developer", "vtpmd"}, {"build", "vtpmd " VTPMD_VERSION}}},
                             {"eat_nonce", Base64UrlEncode(context.nonce)},
                             {"submods", std::move(submods)},
                             {"jti", context.attestation_id}};
  if (!context.instance_id.empty()) {
    claims["vtpmd.instance-id"] = context.instance_id;
    claims["vtpmd.vm-id"] = context.vm_id;
  }
  if (!context.policy_name.empty()) {
    claims["vtpmd.policy"] = boost::json::object{{"name", context.policy_name}, {"version", context.policy_version}};
  }
  return claims;
}

}  // namespace vtpmd::app
