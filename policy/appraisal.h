#pragma once
// Appraising evidence against one section (guest or platform) of a policy. Pure:
// the caller has already verified the quote and, for events, that the log's
// replay equals the quoted PCRs (event_log_replay.h); only then do the PCR
// values and the events describe the attested machine.
//
// Rules:
//   - every PCR the section lists, per bank, must have been quoted in that bank
//     and hold one of the allowed values;
//   - every event of a type the section lists must carry, in each bank listed for
//     that type, one of the allowed digests; a type with no events in the log
//     passes (the rules are allow-lists, and the PCR rules bind the log's extent);
//   - event rules need a log: without one, each listed type fails.
// PCRs, banks and event types the section does not list are not judged.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/crypto.h"
#include "policy/event_log.h"
#include "policy/pcr_values.h"
#include "policy/reference_policy.h"

namespace vtpmd::policy {

// Stable codes, reported in attestation results.
enum class AppraisalReason {
  kPcrAllowed,             // pass
  kPcrNotAllowed,          // the quoted value is none of the allowed ones
  kPcrNotQuoted,           // the evidence has no value for this bank and PCR
  kEventDigestAllowed,     // pass: allowed in every bank the rule names
  kEventDigestNotAllowed,  // a digest in a named bank is none of the allowed ones
  kEventDigestMissing,     // the event has no digest in a bank the rule names
  kEventLogMissing,        // the section has event rules and there is no log
};

std::string_view AppraisalReasonName(AppraisalReason reason);  // "pcr-not-allowed", ...
bool IsPass(AppraisalReason reason);

struct PcrOutcome {
  HashAlg bank = HashAlg::kSha256;
  unsigned pcr = 0;
  std::optional<Bytes> value;  // the quoted value; none when not quoted
  AppraisalReason reason = AppraisalReason::kPcrNotQuoted;
};

// One per event of a listed type, or one per listed type when there is no log.
struct EventOutcome {
  std::uint32_t type = 0;
  std::optional<std::uint32_t> sequence;  // the event's position in the log
  std::optional<std::uint32_t> pcr;
  std::optional<HashAlg> bank;  // the bank that failed
  std::optional<Bytes> digest;  // the digest that was not allowed
  AppraisalReason reason = AppraisalReason::kEventLogMissing;
};

struct Appraisal {
  bool passed = false;               // every outcome passed
  std::vector<PcrOutcome> pcrs;      // in bank and PCR order
  std::vector<EventOutcome> events;  // in log order
};

// `log` is null when the evidence has no event log.
Appraisal Appraise(const ReferenceValues& reference, const PcrValues& quoted, const EventLog* log);

}  // namespace vtpmd::policy
