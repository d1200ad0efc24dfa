// Appraisal against a policy section: synthetic rules for each reason code, and
// policies built from the real logs' own replays and events.
#include "policy/appraisal.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/tpm_alg.h"
#include "policy/event_log_replay.h"
#include "policy/event_types.h"
#include "tests/support/test_data.h"
#include "tests/unit/policy/event_log_vectors.h"

namespace vtpmd::policy {
namespace {

Result<EventLog> ParseTestLog(const std::string& file) {
  VTPMD_ASSIGN_OR_RETURN(Bytes bytes, testing::ReadTestData(file));
  return EventLog::Parse(bytes);
}

// What a log attests to, as a policy would list it: every replayed PCR, and every
// digest of every (extended) event, by type and bank.
ReferenceValues PolicyFromLog(const EventLog& log, const PcrValues& replayed) {
  ReferenceValues out;
  for (const auto& [bank, pcrs] : replayed) {
    for (const auto& [pcr, value] : pcrs) out.pcrs[bank][pcr].insert(value);
  }
  for (const Event& event : log.events()) {
    if (event.type == kEvNoAction) continue;
    for (const EventDigest& digest : event.digests) {
      auto bank = tpm::HashAlgFromTpm(digest.algorithm_id);
      if (bank.ok()) out.events[event.type][*bank].insert(digest.value);
    }
  }
  return out;
}

std::vector<AppraisalReason> Failures(const Appraisal& appraisal) {
  std::vector<AppraisalReason> out;
  for (const PcrOutcome& o : appraisal.pcrs) {
    if (!IsPass(o.reason)) out.push_back(o.reason);
  }
  for (const EventOutcome& o : appraisal.events) {
    if (!IsPass(o.reason)) out.push_back(o.reason);
  }
  return out;
}

TEST(Appraisal, PcrRulesNeedAQuotedAllowedValue) {
  ReferenceValues reference;
  reference.pcrs[HashAlg::kSha256][0] = {Bytes(32, 1), Bytes(32, 2)};
  reference.pcrs[HashAlg::kSha256][7] = {Bytes(32, 7)};
  reference.pcrs[HashAlg::kSha1][0] = {Bytes(20, 1)};
  PcrValues quoted;
  quoted[HashAlg::kSha256][0] = Bytes(32, 2);
  quoted[HashAlg::kSha256][7] = Bytes(32, 8);
  quoted[HashAlg::kSha256][9] = Bytes(32, 9);  // not listed: not judged

  const Appraisal appraisal = Appraise(reference, quoted, nullptr);
  EXPECT_FALSE(appraisal.passed);
  ASSERT_EQ(appraisal.pcrs.size(), 3u);
  EXPECT_EQ(appraisal.pcrs[0].bank, HashAlg::kSha1);
  EXPECT_EQ(appraisal.pcrs[0].reason, AppraisalReason::kPcrNotQuoted);
  EXPECT_FALSE(appraisal.pcrs[0].value);
  EXPECT_EQ(appraisal.pcrs[1].reason, AppraisalReason::kPcrAllowed);
  EXPECT_EQ(appraisal.pcrs[2].pcr, 7u);
  EXPECT_EQ(appraisal.pcrs[2].reason, AppraisalReason::kPcrNotAllowed);
  EXPECT_EQ(*appraisal.pcrs[2].value, Bytes(32, 8));
  EXPECT_TRUE(appraisal.events.empty());

  reference.pcrs.erase(HashAlg::kSha1);
  reference.pcrs[HashAlg::kSha256][7].insert(Bytes(32, 8));
  EXPECT_TRUE(Appraise(reference, quoted, nullptr).passed);
}

TEST(Appraisal, EventRulesWithoutALogFailPerType) {
  ReferenceValues reference;
  reference.events[kEvSeparator][HashAlg::kSha256] = {Bytes(32, 0)};
  reference.events[kEvIpl][HashAlg::kSha256] = {Bytes(32, 0)};
  const Appraisal appraisal = Appraise(reference, {}, nullptr);
  EXPECT_FALSE(appraisal.passed);
  ASSERT_EQ(appraisal.events.size(), 2u);
  EXPECT_EQ(appraisal.events[0].type, kEvSeparator);
  EXPECT_EQ(appraisal.events[0].reason, AppraisalReason::kEventLogMissing);
  EXPECT_FALSE(appraisal.events[0].sequence);
  EXPECT_EQ(appraisal.events[1].type, kEvIpl);
}

TEST(Appraisal, AnEmptySectionPasses) {
  EXPECT_TRUE(Appraise(ReferenceValues{}, {}, nullptr).passed);
}

TEST(Appraisal, ReasonsHaveStableNames) {
  EXPECT_EQ(AppraisalReasonName(AppraisalReason::kPcrAllowed), "pcr-allowed");
  EXPECT_EQ(AppraisalReasonName(AppraisalReason::kPcrNotAllowed), "pcr-not-allowed");
  EXPECT_EQ(AppraisalReasonName(AppraisalReason::kPcrNotQuoted), "pcr-not-quoted");
  EXPECT_EQ(AppraisalReasonName(AppraisalReason::kEventDigestAllowed), "event-digest-allowed");
  EXPECT_EQ(AppraisalReasonName(AppraisalReason::kEventDigestNotAllowed), "event-digest-not-allowed");
  EXPECT_EQ(AppraisalReasonName(AppraisalReason::kEventDigestMissing), "event-digest-missing");
  EXPECT_EQ(AppraisalReasonName(AppraisalReason::kEventLogMissing), "event-log-missing");
}

TEST(Appraisal, APolicyBuiltFromARealLogPassesItsOwnEvidence) {
  for (const std::string& file : testing::EventLogFiles()) {
    SCOPED_TRACE(file);
    auto log = ParseTestLog(file);
    ASSERT_TRUE(log.ok()) << log.error().message();
    auto replayed = ReplayEventLog(*log);
    ASSERT_TRUE(replayed.ok()) << replayed.error().message();
    const ReferenceValues reference = PolicyFromLog(*log, *replayed);
    ASSERT_FALSE(reference.events.empty());

    const Appraisal appraisal = Appraise(reference, *replayed, &*log);
    EXPECT_TRUE(appraisal.passed);
    EXPECT_TRUE(Failures(appraisal).empty());
    const auto extended =
        std::count_if(log->events().begin(), log->events().end(), [](const Event& e) { return e.type != kEvNoAction; });
    EXPECT_EQ(static_cast<std::ptrdiff_t>(appraisal.events.size()), extended) << "one outcome per judged event";
  }
}

TEST(Appraisal, TheRecordedPcrsOfEveryRealLogPassAPolicyOfThem) {
  auto vectors = testing::LoadEventLogVectors();
  ASSERT_TRUE(vectors.ok()) << vectors.error().message();
  for (const testing::EventLogVector& vector : *vectors) {
    SCOPED_TRACE(vector.name);
    auto log = ParseTestLog(vector.file);
    ASSERT_TRUE(log.ok());
    auto replayed = ReplayEventLog(*log);
    ASSERT_TRUE(replayed.ok());
    // The policy comes from the log alone, for the PCRs the machine's TPM reported;
    // the evidence is what that TPM reported.
    ReferenceValues reference = PolicyFromLog(*log, *replayed);
    std::erase_if(reference.pcrs, [&](const auto& bank) { return !vector.expected.contains(bank.first); });
    for (auto& bank_pcrs : reference.pcrs) {
      const auto& expected = vector.expected.at(bank_pcrs.first);
      std::erase_if(bank_pcrs.second, [&](const auto& pcr) { return !expected.contains(pcr.first); });
    }
    const Appraisal appraisal = Appraise(reference, vector.expected, &*log);
    EXPECT_TRUE(appraisal.passed);
    EXPECT_FALSE(appraisal.pcrs.empty());
  }
}

TEST(Appraisal, AChangedDigestFailsWithTheEventAndBankNamed) {
  auto log = ParseTestLog("eventlogs/cos-85-amd-sev.bin");
  ASSERT_TRUE(log.ok());
  auto replayed = ReplayEventLog(*log);
  ASSERT_TRUE(replayed.ok());
  ReferenceValues reference = PolicyFromLog(*log, *replayed);
  // The Secure Boot variable (event 3) must now have another value.
  const Event& secure_boot = log->events()[3];
  ASSERT_EQ(secure_boot.type, kEvEfiVariableDriverConfig);
  const Bytes logged = secure_boot.digests[1].value;  // sha256, the Spec ID event's second algorithm
  reference.events[kEvEfiVariableDriverConfig][HashAlg::kSha256].erase(logged);

  const Appraisal appraisal = Appraise(reference, *replayed, &*log);
  EXPECT_FALSE(appraisal.passed);
  ASSERT_EQ(Failures(appraisal), std::vector<AppraisalReason>{AppraisalReason::kEventDigestNotAllowed});
  const auto failed = std::find_if(appraisal.events.begin(), appraisal.events.end(),
                                   [](const EventOutcome& o) { return !IsPass(o.reason); });
  EXPECT_EQ(*failed->sequence, 3u);
  EXPECT_EQ(*failed->pcr, 7u);
  EXPECT_EQ(*failed->bank, HashAlg::kSha256);
  EXPECT_EQ(*failed->digest, logged);

  // PCR 7 changed too, as it would have with another Secure Boot state.
  PcrValues quoted = *replayed;
  quoted[HashAlg::kSha384][7][0] ^= 1;
  const Appraisal both = Appraise(reference, quoted, &*log);
  EXPECT_EQ(Failures(both),
            (std::vector<AppraisalReason>{AppraisalReason::kPcrNotAllowed, AppraisalReason::kEventDigestNotAllowed}));
}

TEST(Appraisal, ABankTheLogDoesNotCarryFailsEachEventOfTheType) {
  auto log = ParseTestLog("eventlogs/debian-10.bin");  // the SHA-1 format
  ASSERT_TRUE(log.ok());
  ReferenceValues reference;
  reference.events[kEvSeparator][HashAlg::kSha1] = {Bytes(20, 0)};
  reference.events[kEvSeparator][HashAlg::kSha256] = {Bytes(32, 0)};
  const Appraisal appraisal = Appraise(reference, {}, &*log);
  ASSERT_FALSE(appraisal.events.empty());
  for (const EventOutcome& outcome : appraisal.events) {
    EXPECT_EQ(outcome.type, kEvSeparator);
    // sha1 comes first and the separators' sha1 digests are not zeros.
    EXPECT_EQ(outcome.reason, AppraisalReason::kEventDigestNotAllowed);
  }
  reference.events[kEvSeparator].erase(HashAlg::kSha1);
  for (const EventOutcome& outcome : Appraise(reference, {}, &*log).events) {
    EXPECT_EQ(outcome.reason, AppraisalReason::kEventDigestMissing);
    EXPECT_EQ(*outcome.bank, HashAlg::kSha256);
  }
}

}  // namespace
}  // namespace vtpmd::policy
