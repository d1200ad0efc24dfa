#include "policy/evidence_check.h"

namespace vtpmd::policy {

std::string_view CheckOutcomeName(CheckOutcome outcome) {
  switch (outcome) {
    case CheckOutcome::kPassed: return "passed";
    case CheckOutcome::kFailed: return "failed";
    case CheckOutcome::kSkipped: return "skipped";
  }
  return "skipped";
}

std::string_view ReasonCodeName(ReasonCode reason) {
  switch (reason) {
    case ReasonCode::kNone: return "";
    case ReasonCode::kMalformedEvidence: return "malformed-evidence";
    case ReasonCode::kUnsupportedSignatureScheme: return "unsupported-signature-scheme";
    case ReasonCode::kSignatureInvalid: return "signature-invalid";
    case ReasonCode::kNotTpmGenerated: return "not-tpm-generated";
    case ReasonCode::kNotAQuote: return "not-a-quote";
    case ReasonCode::kNonceMismatch: return "nonce-mismatch";
    case ReasonCode::kUnsupportedPcrBank: return "unsupported-pcr-bank";
    case ReasonCode::kPcrValuesMissing: return "pcr-values-missing";
    case ReasonCode::kPcrSelectionMismatch: return "pcr-selection-mismatch";
    case ReasonCode::kPcrDigestMismatch: return "pcr-digest-mismatch";
    case ReasonCode::kResetCountWentBackwards: return "reset-count-went-backwards";
    case ReasonCode::kRestartCountWentBackwards: return "restart-count-went-backwards";
    case ReasonCode::kClockWentBackwards: return "clock-went-backwards";
    case ReasonCode::kEventLogMismatch: return "event-log-mismatch";
    case ReasonCode::kAikChainMalformed: return "aik-chain-malformed";
    case ReasonCode::kAikChainUntrusted: return "aik-chain-untrusted";
    case ReasonCode::kAikCertificateInvalid: return "aik-certificate-invalid";
    case ReasonCode::kAikUnknown: return "aik-unknown";
    case ReasonCode::kAikRevoked: return "aik-revoked";
    case ReasonCode::kAikNotForInstance: return "aik-not-for-instance";
    case ReasonCode::kPlatformQuoteUnavailable: return "platform-quote-unavailable";
    case ReasonCode::kInclusionProofInvalid: return "inclusion-proof-invalid";
    case ReasonCode::kPlatformAikUntrusted: return "platform-aik-untrusted";
    case ReasonCode::kPolicyNotMet: return "policy-not-met";
  }
  return "";
}

}  // namespace vtpmd::policy
