#include "policy/event_log.h"

#include <gtest/gtest.h>
#include <tss2/tss2_tpm2_types.h>

#include <algorithm>
#include <string>

#include "core/crypto.h"
#include "policy/event_types.h"
#include "tests/unit/policy/event_log_builder.h"

namespace vtpmd::testing {
namespace {

using policy::EventLog;

const Bytes kSeparator = {0, 0, 0, 0};

template <typename T>
std::string ErrorOf(const Result<T>& result) {
  return result.ok() ? "(accepted)" : result.error().message();
}

// How the parser names the builder's event `index` in its errors.
std::string At(const EventLogBuilder& builder, std::size_t index) {
  const std::size_t offset = index == 0 ? 0 : builder.event_ends().at(index - 1);
  return "event " + std::to_string(index) + " at offset " + std::to_string(offset) + ": ";
}

EventLogBuilder BootLog() {
  EventLogBuilder log = EventLogBuilder::Sha1AndSha256();
  log.Add(0, policy::kEvNoAction, StartupLocalityData(3))
      .Add(0, policy::kEvSCrtmVersion, Utf16Le(u"Firmware 1.0"))
      .Add(7, policy::kEvEfiVariableDriverConfig, UefiVariableDataFor(u"SecureBoot", Bytes{1}));
  for (std::uint32_t pcr = 0; pcr < 8; ++pcr) log.Add(pcr, policy::kEvSeparator, kSeparator);
  log.Add(4, policy::kEvEfiAction, AsBytes("Calling EFI Application from Boot Option"));
  return log;
}

TEST(EventLog, ParsesACryptoAgileLog) {
  const EventLogBuilder builder = BootLog();
  auto log = EventLog::Parse(builder.bytes());
  ASSERT_TRUE(log.ok()) << log.error().message();
  EXPECT_EQ(log->format(), policy::EventLogFormat::kCryptoAgile);
  ASSERT_TRUE(log->spec_id().has_value());
  EXPECT_EQ(log->spec_id()->spec_version_major, 2);
  EXPECT_EQ(log->spec_id()->uintn_size, 2);
  EXPECT_EQ(log->algorithms(), (std::vector<std::uint16_t>{TPM2_ALG_SHA1, TPM2_ALG_SHA256}));
  EXPECT_EQ(log->startup_locality(), std::optional<std::uint8_t>(3));
  ASSERT_EQ(log->events().size(), 13u);

  const policy::Event& spec_id = log->events()[0];
  EXPECT_EQ(spec_id.type, policy::kEvNoAction);
  ASSERT_EQ(spec_id.digests.size(), 1u);  // the header is a SHA-1 format event
  EXPECT_EQ(std::get<policy::NoActionEvent>(spec_id.decoded).signature, "Spec ID Event03");

  const policy::Event& locality = log->events()[1];
  EXPECT_EQ(locality.sequence, 1u);
  EXPECT_EQ(std::get<policy::NoActionEvent>(locality.decoded).startup_locality, std::optional<std::uint8_t>(3));

  const policy::Event& variable = log->events()[3];
  EXPECT_EQ(variable.pcr, 7u);
  EXPECT_EQ(policy::EventTypeName(variable.type), "EV_EFI_VARIABLE_DRIVER_CONFIG");
  ASSERT_EQ(variable.digests.size(), 2u);
  EXPECT_EQ(variable.digests[0].algorithm_id, TPM2_ALG_SHA1);
  EXPECT_EQ(variable.digests[1].algorithm_id, TPM2_ALG_SHA256);
  EXPECT_EQ(variable.digests[1].value, *Sha256(variable.data));
  EXPECT_TRUE(variable.decode_problem.empty());
}

TEST(EventLog, ParsesASha1Log) {
  EventLogBuilder builder = EventLogBuilder::Sha1();
  builder.Add(0, policy::kEvSCrtmVersion, Utf16Le(u"v1")).Add(0, policy::kEvSeparator, kSeparator);
  auto log = EventLog::Parse(builder.bytes());
  ASSERT_TRUE(log.ok()) << log.error().message();
  EXPECT_EQ(log->format(), policy::EventLogFormat::kSha1);
  EXPECT_FALSE(log->spec_id().has_value());
  EXPECT_EQ(log->algorithms(), std::vector<std::uint16_t>{TPM2_ALG_SHA1});
  ASSERT_EQ(log->events().size(), 2u);
  EXPECT_EQ(log->events()[0].sequence, 0u);
  EXPECT_EQ(log->events()[1].digests.at(0).value, *Digest(HashAlg::kSha1, kSeparator));
}

TEST(EventLog, RefusesEveryTruncation) {
  const EventLogBuilder builder = BootLog();
  const Bytes& bytes = builder.bytes();
  const auto& ends = builder.event_ends();
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    auto log = EventLog::Parse(ByteView(bytes).first(size));
    const auto end = std::find(ends.begin(), ends.end(), size);
    if (end == ends.end()) {
      EXPECT_FALSE(log.ok()) << "a log cut after " << size << " bytes was accepted";
    } else {
      ASSERT_TRUE(log.ok()) << "a log of whole events was refused: " << log.error().message();
      EXPECT_EQ(log->events().size(), static_cast<std::size_t>(end - ends.begin()) + 1);
    }
  }
  EXPECT_EQ(ErrorOf(EventLog::Parse(ByteView(bytes).first(bytes.size() - 1))), At(builder, 12) + "truncated input");
}

TEST(EventLog, RefusesTrailingBytes) {
  EventLogBuilder builder = BootLog();
  builder.AppendRaw(Bytes{0xde, 0xad, 0xbe, 0xef, 0x00});
  EXPECT_EQ(ErrorOf(EventLog::Parse(builder.bytes())), At(builder, 13) + "truncated input");
}

TEST(EventLog, RefusesAnAlgorithmTheSpecIdEventDoesNotList) {
  EventLogBuilder builder = EventLogBuilder::CryptoAgile({{TPM2_ALG_SHA256, 32}});
  builder.AddWithDigests(0, policy::kEvSeparator, {{TPM2_ALG_SHA384, Bytes(48, 1)}}, kSeparator);
  EXPECT_EQ(ErrorOf(EventLog::Parse(builder.bytes())),
            At(builder, 1) + "a digest of sha384, an algorithm the Spec ID event does not list");
}

TEST(EventLog, RefusesADigestCountOtherThanTheSpecIdEvents) {
  EventLogBuilder fewer = EventLogBuilder::Sha1AndSha256();
  fewer.AddWithDigests(0, policy::kEvSeparator, {{TPM2_ALG_SHA256, Bytes(32, 1)}}, kSeparator);
  EXPECT_EQ(ErrorOf(EventLog::Parse(fewer.bytes())),
            At(fewer, 1) + "1 digests where the Spec ID event lists 2 algorithms");

  EventLogBuilder twice = EventLogBuilder::Sha1AndSha256();
  twice.AddWithDigests(0, policy::kEvSeparator, {{TPM2_ALG_SHA256, Bytes(32, 1)}, {TPM2_ALG_SHA256, Bytes(32, 1)}},
                       kSeparator);
  EXPECT_EQ(ErrorOf(EventLog::Parse(twice.bytes())), At(twice, 1) + "two digests of sha256");
}

TEST(EventLog, RefusesAbsurdEventSizes) {
  EventLogBuilder huge = EventLogBuilder::Sha1();
  huge.AppendRaw(Bytes(8 + 20, 0)).AppendRaw(Bytes{0xff, 0xff, 0xff, 0xff});
  EXPECT_EQ(ErrorOf(EventLog::Parse(huge.bytes())),
            "event 0 at offset 0: event size 4294967295 exceeds the 16 MiB limit");

  EventLogBuilder beyond_end = EventLogBuilder::Sha1();
  beyond_end.AppendRaw(Bytes(8 + 20, 0)).AppendRaw(Bytes{0x10, 0, 0, 0}).AppendRaw(Bytes(15, 0));
  EXPECT_EQ(ErrorOf(EventLog::Parse(beyond_end.bytes())), "event 0 at offset 0: truncated input");
}

TEST(EventLog, RefusesPcrIndexesAbove23) {
  EventLogBuilder builder = EventLogBuilder::Sha1AndSha256();
  builder.Add(23, policy::kEvSeparator, kSeparator);
  EXPECT_TRUE(EventLog::Parse(builder.bytes()).ok());
  builder.Add(24, policy::kEvSeparator, kSeparator);
  EXPECT_EQ(ErrorOf(EventLog::Parse(builder.bytes())), At(builder, 2) + "PCR index 24 is above 23");
}

TEST(EventLog, RefusesMalformedSpecIdEvents) {
  auto header = [](const Bytes& spec_id_data) {
    EventLogBuilder builder = EventLogBuilder::Sha1();
    builder.AddWithDigests(0, policy::kEvNoAction, {{TPM2_ALG_SHA1, Bytes(20, 0)}}, spec_id_data);
    return ErrorOf(EventLog::Parse(builder.bytes()));
  };
  EXPECT_EQ(header(SpecIdEventData({})),
            "event 0 at offset 0: malformed Spec ID event: 0 algorithms listed (1 to 16 accepted)");
  EXPECT_EQ(header(SpecIdEventData({{TPM2_ALG_SHA256, 32}, {TPM2_ALG_SHA256, 32}})),
            "event 0 at offset 0: malformed Spec ID event: sha256 is listed twice");
  EXPECT_EQ(header(SpecIdEventData({{TPM2_ALG_SHA256, 20}})),
            "event 0 at offset 0: malformed Spec ID event: sha256 has digest size 20, not 32");
  EXPECT_EQ(header(SpecIdEventData({{0x0099, 65}})),
            "event 0 at offset 0: malformed Spec ID event: 0x0099 has an impossible digest size 65");
  EXPECT_EQ(header(SpecIdEventData({{TPM2_ALG_SHA256, 32}}, 3)),
            "event 0 at offset 0: malformed Spec ID event: uintnSize 3 is neither 1 nor 2");
  Bytes trailing = SpecIdEventData({{TPM2_ALG_SHA256, 32}});
  trailing.push_back(0);
  EXPECT_EQ(header(trailing), "event 0 at offset 0: malformed Spec ID event: 1 trailing bytes after the vendor info");

  EventLogBuilder second = EventLogBuilder::Sha1AndSha256();
  second.Add(0, policy::kEvNoAction, SpecIdEventData({{TPM2_ALG_SHA1, 20}}));
  EXPECT_EQ(ErrorOf(EventLog::Parse(second.bytes())), At(second, 1) + "a Spec ID event may only open the log");
}

TEST(EventLog, TakesAnUnknownAlgorithmItCannotReplay) {
  EventLogBuilder builder = EventLogBuilder::CryptoAgile({{TPM2_ALG_SM3_256, 32}, {TPM2_ALG_SHA256, 32}});
  builder.Add(0, policy::kEvSeparator, kSeparator);
  auto log = EventLog::Parse(builder.bytes());
  ASSERT_TRUE(log.ok()) << log.error().message();
  EXPECT_EQ(log->events()[1].digests.size(), 2u);
}

TEST(EventLog, RefusesStartupLocalityOutOfPlace) {
  EventLogBuilder late = EventLogBuilder::Sha1AndSha256();
  late.Add(0, policy::kEvSCrtmVersion, Utf16Le(u"v1")).Add(0, policy::kEvNoAction, StartupLocalityData(3));
  EXPECT_EQ(ErrorOf(EventLog::Parse(late.bytes())), At(late, 2) + "a StartupLocality event after PCR 0 was extended");

  EventLogBuilder twice = EventLogBuilder::Sha1AndSha256();
  twice.Add(0, policy::kEvNoAction, StartupLocalityData(3)).Add(0, policy::kEvNoAction, StartupLocalityData(0));
  EXPECT_NE(ErrorOf(EventLog::Parse(twice.bytes())).find("a second StartupLocality event"), std::string::npos);

  EventLogBuilder other_pcr = EventLogBuilder::Sha1AndSha256();
  other_pcr.Add(1, policy::kEvNoAction, StartupLocalityData(3));
  EXPECT_NE(ErrorOf(EventLog::Parse(other_pcr.bytes())).find("StartupLocality event is logged to PCR 1"),
            std::string::npos);

  EventLogBuilder bad_locality = EventLogBuilder::Sha1AndSha256();
  bad_locality.Add(0, policy::kEvNoAction, StartupLocalityData(5));
  EXPECT_NE(ErrorOf(EventLog::Parse(bad_locality.bytes())).find("StartupLocality 5 is not a locality"),
            std::string::npos);

  Bytes longer = StartupLocalityData(3);
  longer.push_back(0);
  EventLogBuilder bad_size = EventLogBuilder::Sha1AndSha256();
  bad_size.Add(0, policy::kEvNoAction, longer);
  EXPECT_NE(ErrorOf(EventLog::Parse(bad_size.bytes())).find("not 18 bytes"), std::string::npos);
}

TEST(EventLog, ReportsOtherNoActionEvents) {
  Bytes sp800_155(16 + 8, 0);
  const std::string_view signature = "SP800-155 Event";
  std::copy(signature.begin(), signature.end(), sp800_155.begin());
  EventLogBuilder builder = EventLogBuilder::Sha1AndSha256();
  builder.Add(0, policy::kEvNoAction, sp800_155).Add(0, policy::kEvNoAction, Bytes{0xff, 0x01});
  auto log = EventLog::Parse(builder.bytes());
  ASSERT_TRUE(log.ok()) << log.error().message();
  EXPECT_EQ(std::get<policy::NoActionEvent>(log->events()[1].decoded).signature, "SP800-155 Event");
  EXPECT_FALSE(std::get<policy::NoActionEvent>(log->events()[1].decoded).startup_locality.has_value());
  EXPECT_EQ(std::get<policy::NoActionEvent>(log->events()[2].decoded).signature, "");
  EXPECT_FALSE(log->startup_locality().has_value());
}

TEST(EventLog, RefusesLogsBeyondTheLimits) {
  EXPECT_EQ(ErrorOf(EventLog::Parse({})), "the event log is empty");

  EventLogBuilder many = EventLogBuilder::Sha1();
  for (std::size_t i = 0; i <= policy::kMaxEvents; ++i)
    many.AddWithDigests(8, policy::kEvIpl, {{TPM2_ALG_SHA1, Bytes(20, 0)}}, {});
  EXPECT_EQ(ErrorOf(EventLog::Parse(many.bytes())), "the event log has more than 100000 events");

  const Bytes half(policy::kMaxTotalEventData / 2 + 1, 'a');
  EventLogBuilder big = EventLogBuilder::Sha1();
  big.AddWithDigests(8, policy::kEvIpl, {{TPM2_ALG_SHA1, Bytes(20, 0)}}, half);
  EXPECT_TRUE(EventLog::Parse(big.bytes()).ok());
  big.AddWithDigests(8, policy::kEvIpl, {{TPM2_ALG_SHA1, Bytes(20, 0)}}, half);
  EXPECT_NE(ErrorOf(EventLog::Parse(big.bytes())).find("the events' data exceeds 16 MiB in total"), std::string::npos);
}

TEST(EventTypes, NamesKnownTypesAndShowsOthersInHex) {
  EXPECT_EQ(policy::EventTypeName(policy::kEvSeparator), "EV_SEPARATOR");
  EXPECT_EQ(policy::EventTypeName(policy::kEvIpl), "EV_IPL");
  EXPECT_EQ(policy::EventTypeName(policy::kEvEfiVariableAuthority), "EV_EFI_VARIABLE_AUTHORITY");
  EXPECT_EQ(policy::EventTypeName(0xabcd), "0x0000abcd");
}

}  // namespace
}  // namespace vtpmd::testing
