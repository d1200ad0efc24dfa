#pragma once
// The outcome of one check of attestation evidence, with a reason code that stays
// stable for clients to act on (docs/attestation.md lists them).

#include <string>
#include <string_view>
#include <utility>

namespace vtpmd::policy {

enum class CheckOutcome {
  kPassed,
  kFailed,
  // Not established: a prerequisite failed, so the check could not run or what it
  // compared cannot be trusted (see quote_verifier.h).
  kSkipped,
};
std::string_view CheckOutcomeName(CheckOutcome outcome);  // "passed", "failed", "skipped"

enum class ReasonCode {
  kNone,  // passed or skipped
  kMalformedEvidence,
  kUnsupportedSignatureScheme,
  kSignatureInvalid,
  kNotTpmGenerated,
  kNotAQuote,
  kNonceMismatch,
  kUnsupportedPcrBank,
  kPcrValuesMissing,
  kPcrSelectionMismatch,
  kPcrDigestMismatch,
  kResetCountWentBackwards,
  kRestartCountWentBackwards,
  kClockWentBackwards,
  kEventLogMismatch,
  // The AIK certificate chain (aik_chain_verifier.h in ca/).
  kAikChainMalformed,
  kAikChainUntrusted,
  kAikCertificateInvalid,
  kAikUnknown,
  kAikRevoked,
  kAikNotForInstance,  // issued for another instance, or a platform AIK for a guest
  // The platform link (deep quote).
  kPlatformQuoteUnavailable,
  kInclusionProofInvalid,
  kPlatformAikUntrusted,
  // Appraisal against reference values (appraisal.h gives the details).
  kPolicyNotMet,
};
std::string_view ReasonCodeName(ReasonCode reason);  // "signature-invalid", ...; "" for kNone

struct CheckResult {
  std::string_view check;  // "signature", "nonce", ... (stable)
  CheckOutcome outcome = CheckOutcome::kSkipped;
  ReasonCode reason = ReasonCode::kNone;
  std::string message;  // for people; may change

  static CheckResult Passed(std::string_view check, std::string message) {
    return {check, CheckOutcome::kPassed, ReasonCode::kNone, std::move(message)};
  }
  static CheckResult Failed(std::string_view check, ReasonCode reason, std::string message) {
    return {check, CheckOutcome::kFailed, reason, std::move(message)};
  }
  static CheckResult Skipped(std::string_view check, std::string message) {
    return {check, CheckOutcome::kSkipped, ReasonCode::kNone, std::move(message)};
  }
  bool passed() const { return outcome == CheckOutcome::kPassed; }
};

}  // namespace vtpmd::policy
