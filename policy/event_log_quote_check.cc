#include "policy/event_log_quote_check.h"

#include <string>
#include <vector>

#include "policy/event_log_replay.h"

namespace vtpmd::policy {
namespace {

std::string MismatchList(const std::vector<PcrMismatch>& mismatches) {
  std::string text;
  for (const PcrMismatch& mismatch : mismatches) {
    text += (text.empty() ? "" : ", ") + std::string(HashAlgName(mismatch.bank)) + " PCR " +
            std::to_string(mismatch.pcr) + (mismatch.replayed ? "" : " (bank not in the log)");
  }
  return text;
}

}  // namespace

CheckResult CheckEventLogAgainstQuote(const EventLog& log, const QuoteVerification& quote) {
  if (!quote.passed || !quote.facts) return CheckResult::Skipped(kCheckEventLog, "the quote did not verify");
  auto replayed = ReplayEventLog(log);
  if (!replayed.ok()) {
    return CheckResult::Failed(kCheckEventLog, ReasonCode::kEventLogMismatch,
                               "the log does not replay: " + replayed.error().message());
  }
  const std::vector<PcrMismatch> mismatches = ComparePcrs(*replayed, quote.facts->quoted_pcrs);
  if (!mismatches.empty()) {
    return CheckResult::Failed(kCheckEventLog, ReasonCode::kEventLogMismatch,
                               "the log's replay differs from the quoted " + MismatchList(mismatches));
  }
  return CheckResult::Passed(kCheckEventLog, "the log's replay equals every quoted PCR");
}

}  // namespace vtpmd::policy
