#include "policy/appraisal.h"

#include <algorithm>

#include "core/tpm_alg.h"

namespace vtpmd::policy {
namespace {

PcrOutcome AppraisePcr(HashAlg bank, unsigned pcr, const AllowedDigests& allowed, const PcrValues& quoted) {
  PcrOutcome out{bank, pcr, std::nullopt, AppraisalReason::kPcrNotQuoted};
  const auto quoted_bank = quoted.find(bank);
  if (quoted_bank == quoted.end()) return out;
  const auto value = quoted_bank->second.find(pcr);
  if (value == quoted_bank->second.end()) return out;
  out.value = value->second;
  out.reason = allowed.contains(value->second) ? AppraisalReason::kPcrAllowed : AppraisalReason::kPcrNotAllowed;
  return out;
}

EventOutcome AppraiseEvent(const Event& event, const std::map<HashAlg, AllowedDigests>& rule) {
  EventOutcome out{event.type,   event.sequence, event.pcr,
                   std::nullopt, std::nullopt,   AppraisalReason::kEventDigestAllowed};
  for (const auto& [bank, allowed] : rule) {
    const std::uint16_t algorithm_id = tpm::TpmAlgFromHash(bank);
    const auto digest = std::find_if(event.digests.begin(), event.digests.end(),
                                     [&](const EventDigest& d) { return d.algorithm_id == algorithm_id; });
    if (digest == event.digests.end()) {
      out.bank = bank;
      out.reason = AppraisalReason::kEventDigestMissing;
      return out;
    }
    if (!allowed.contains(digest->value)) {
      out.bank = bank;
      out.digest = digest->value;
      out.reason = AppraisalReason::kEventDigestNotAllowed;
      return out;
    }
  }
  return out;
}

}  // namespace

std::string_view AppraisalReasonName(AppraisalReason reason) {
  switch (reason) {
    case AppraisalReason::kPcrAllowed: return "pcr-allowed";
    case AppraisalReason::kPcrNotAllowed: return "pcr-not-allowed";
    case AppraisalReason::kPcrNotQuoted: return "pcr-not-quoted";
    case AppraisalReason::kEventDigestAllowed: return "event-digest-allowed";
    case AppraisalReason::kEventDigestNotAllowed: return "event-digest-not-allowed";
    case AppraisalReason::kEventDigestMissing: return "event-digest-missing";
    case AppraisalReason::kEventLogMissing: return "event-log-missing";
  }
  return "event-log-missing";
}

bool IsPass(AppraisalReason reason) {
  return reason == AppraisalReason::kPcrAllowed || reason == AppraisalReason::kEventDigestAllowed;
}

Appraisal Appraise(const ReferenceValues& reference, const PcrValues& quoted, const EventLog* log) {
  Appraisal out;
  for (const auto& [bank, pcrs] : reference.pcrs) {
    for (const auto& [pcr, allowed] : pcrs) out.pcrs.push_back(AppraisePcr(bank, pcr, allowed, quoted));
  }
  if (log == nullptr) {
    for (const auto& [type, rule] : reference.events) {
      EventOutcome missing;
      missing.type = type;
      missing.reason = AppraisalReason::kEventLogMissing;
      out.events.push_back(std::move(missing));
    }
  } else {
    for (const Event& event : log->events()) {
      const auto rule = reference.events.find(event.type);
      if (rule != reference.events.end()) out.events.push_back(AppraiseEvent(event, rule->second));
    }
  }
  out.passed =
      std::all_of(out.pcrs.begin(), out.pcrs.end(), [](const PcrOutcome& o) { return IsPass(o.reason); }) &&
      std::all_of(out.events.begin(), out.events.end(), [](const EventOutcome& o) { return IsPass(o.reason); });
  return out;
}

}  // namespace vtpmd::policy
