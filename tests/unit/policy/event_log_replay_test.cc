#include "policy/event_log_replay.h"

#include <gtest/gtest.h>
#include <tss2/tss2_tpm2_types.h>

#include "policy/event_types.h"
#include "tests/unit/policy/event_log_builder.h"

namespace vtpmd::testing {
namespace {

using policy::EventLog;
using policy::PcrValues;

const Bytes kSeparator = {0, 0, 0, 0};

Bytes Extend(HashAlg bank, const Bytes& pcr, ByteView data) {
  return *DigestParts(bank, {pcr, *Digest(bank, data)});
}

PcrValues Replay(const EventLogBuilder& builder) {
  auto log = EventLog::Parse(builder.bytes());
  EXPECT_TRUE(log.ok()) << log.error().message();
  if (!log.ok()) return {};
  auto replayed = policy::ReplayEventLog(*log);
  EXPECT_TRUE(replayed.ok()) << replayed.error().message();
  return replayed.ok() ? *replayed : PcrValues{};
}

TEST(EventLogReplay, StartsPcr0AtTheStartupLocality) {
  EventLogBuilder builder = EventLogBuilder::Sha1AndSha256();
  builder.Add(0, policy::kEvNoAction, StartupLocalityData(3))
      .Add(0, policy::kEvSCrtmVersion, Utf16Le(u"v1"))
      .Add(0, policy::kEvSeparator, kSeparator)
      .Add(7, policy::kEvSeparator, kSeparator);
  const PcrValues replayed = Replay(builder);
  ASSERT_EQ(replayed.size(), 2u);
  for (HashAlg bank : {HashAlg::kSha1, HashAlg::kSha256}) {
    Bytes locality_3(DigestSize(bank) - 1, 0);
    locality_3.push_back(3);
    const Bytes pcr0 = Extend(bank, Extend(bank, locality_3, Utf16Le(u"v1")), kSeparator);
    const Bytes pcr7 = Extend(bank, Bytes(DigestSize(bank), 0), kSeparator);
    EXPECT_EQ(replayed.at(bank), (policy::PcrBankValues{{0, pcr0}, {7, pcr7}})) << HashAlgName(bank);
  }
}

TEST(EventLogReplay, StartsAtZerosWithoutStartupLocality) {
  EventLogBuilder builder = EventLogBuilder::Sha1AndSha256();
  builder.Add(0, policy::kEvSeparator, kSeparator);
  EXPECT_EQ(Replay(builder).at(HashAlg::kSha256).at(0), Extend(HashAlg::kSha256, Bytes(32, 0), kSeparator));
}

TEST(EventLogReplay, ExtendsTheLoggedDigestsAndSkipsNoActionEvents) {
  EventLogBuilder builder = EventLogBuilder::Sha1AndSha256();
  // A digest that is not the hash of the data: the replay must use it as logged.
  builder.AddWithDigests(4, policy::kEvEfiBootServicesApplication,
                         {{TPM2_ALG_SHA1, Bytes(20, 0x11)}, {TPM2_ALG_SHA256, Bytes(32, 0x22)}}, Bytes{1, 2, 3});
  builder.AddWithDigests(4, policy::kEvNoAction, {{TPM2_ALG_SHA1, Bytes(20, 0x33)}, {TPM2_ALG_SHA256, Bytes(32, 0x44)}},
                         AsBytes(std::string_view("SP800-155 Event\0", 16)));
  const PcrValues replayed = Replay(builder);
  EXPECT_EQ(replayed.at(HashAlg::kSha1).at(4), *DigestParts(HashAlg::kSha1, {Bytes(20, 0), Bytes(20, 0x11)}));
  EXPECT_EQ(replayed.at(HashAlg::kSha256).at(4), *DigestParts(HashAlg::kSha256, {Bytes(32, 0), Bytes(32, 0x22)}));
}

TEST(EventLogReplay, ReplaysTheSha1FormatInItsOneBank) {
  EventLogBuilder builder = EventLogBuilder::Sha1();
  builder.Add(0, policy::kEvSeparator, kSeparator).Add(0, policy::kEvSeparator, kSeparator);
  const PcrValues replayed = Replay(builder);
  ASSERT_EQ(replayed.size(), 1u);
  EXPECT_EQ(replayed.at(HashAlg::kSha1).at(0),
            Extend(HashAlg::kSha1, Extend(HashAlg::kSha1, Bytes(20, 0), kSeparator), kSeparator));
}

TEST(EventLogReplay, LeavesOutBanksOfHashesItDoesNotImplement) {
  EventLogBuilder builder = EventLogBuilder::CryptoAgile({{TPM2_ALG_SM3_256, 32}, {TPM2_ALG_SHA384, 48}});
  builder.Add(0, policy::kEvSeparator, kSeparator);
  const PcrValues replayed = Replay(builder);
  ASSERT_EQ(replayed.size(), 1u);
  EXPECT_EQ(replayed.at(HashAlg::kSha384).at(0), Extend(HashAlg::kSha384, Bytes(48, 0), kSeparator));
}

TEST(EventLogReplay, ReportsEachMismatchingPcr) {
  EventLogBuilder builder = EventLogBuilder::Sha1AndSha256();
  builder.Add(0, policy::kEvSeparator, kSeparator).Add(7, policy::kEvSeparator, kSeparator);
  const PcrValues replayed = Replay(builder);
  const Bytes pcr0 = replayed.at(HashAlg::kSha256).at(0);
  const Bytes pcr7 = replayed.at(HashAlg::kSha256).at(7);

  PcrValues quoted = {{HashAlg::kSha256, {{0, pcr0}, {7, pcr7}, {10, Bytes(32, 0)}, {17, Bytes(32, 0xff)}}}};
  EXPECT_TRUE(policy::ComparePcrs(replayed, quoted).empty());

  Bytes tampered = pcr7;
  tampered[0] ^= 1;
  quoted[HashAlg::kSha256][7] = tampered;
  quoted[HashAlg::kSha256][10] = Bytes(32, 0x01);  // measured into, but not in the log
  quoted[HashAlg::kSha256][17] = Bytes(32, 0x00);  // a dynamic launch the log does not describe
  quoted[HashAlg::kSha384][0] = Bytes(48, 0);      // a bank the log lacks
  const auto mismatches = policy::ComparePcrs(replayed, quoted);
  ASSERT_EQ(mismatches.size(), 4u);
  EXPECT_EQ(mismatches[0].bank, HashAlg::kSha256);
  EXPECT_EQ(mismatches[0].pcr, 7u);
  EXPECT_EQ(mismatches[0].expected, tampered);
  EXPECT_EQ(mismatches[0].replayed, std::optional<Bytes>(pcr7));
  EXPECT_EQ(mismatches[1].pcr, 10u);
  EXPECT_EQ(mismatches[1].replayed, std::optional<Bytes>(Bytes(32, 0)));
  EXPECT_EQ(mismatches[2].pcr, 17u);
  EXPECT_EQ(mismatches[2].replayed, std::optional<Bytes>(Bytes(32, 0xff)));
  EXPECT_EQ(mismatches[3].bank, HashAlg::kSha384);
  EXPECT_EQ(mismatches[3].pcr, 0u);
  EXPECT_FALSE(mismatches[3].replayed.has_value());
}

TEST(EventLogReplay, KnowsThePcrResetValues) {
  EXPECT_EQ(policy::PcrResetValue(HashAlg::kSha1, 0), Bytes(20, 0));
  EXPECT_EQ(policy::PcrResetValue(HashAlg::kSha256, 16), Bytes(32, 0));
  EXPECT_EQ(policy::PcrResetValue(HashAlg::kSha256, 17), Bytes(32, 0xff));
  EXPECT_EQ(policy::PcrResetValue(HashAlg::kSha384, 22), Bytes(48, 0xff));
  EXPECT_EQ(policy::PcrResetValue(HashAlg::kSha512, 23), Bytes(64, 0));
}

}  // namespace
}  // namespace vtpmd::testing
