#pragma once
// Ties an event log to a verified quote: only a log whose replay reproduces the
// quoted PCRs describes the state the TPM attested.

#include <string_view>

#include "policy/event_log.h"
#include "policy/evidence_check.h"
#include "policy/quote_verifier.h"

namespace vtpmd::policy {

inline constexpr std::string_view kCheckEventLog = "event-log";

// Passed when the replay of `log` equals every PCR the quote covers (ComparePcrs:
// a PCR the log never touches must hold its reset value); failed with
// event-log-mismatch otherwise; skipped when the quote did not pass, since there
// are no attested values to compare with.
CheckResult CheckEventLogAgainstQuote(const EventLog& log, const QuoteVerification& quote);

}  // namespace vtpmd::policy
