// The real logs: each parses, and its replay reproduces every PCR value its TPM
// reported, in every bank given.
#include "tests/unit/policy/event_log_vectors.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "policy/event_log.h"
#include "policy/event_log_replay.h"
#include "policy/event_types.h"
#include "tests/support/test_data.h"

namespace vtpmd::testing {
namespace {

using policy::EventLog;

const EventLogVector& FindVector(const std::vector<EventLogVector>& vectors, std::string_view file) {
  auto it = std::find_if(vectors.begin(), vectors.end(), [&](const auto& vector) { return vector.file == file; });
  EXPECT_NE(it, vectors.end()) << file;
  return *it;
}

Result<EventLog> ParseTestLog(const std::string& file) {
  VTPMD_ASSIGN_OR_RETURN(Bytes bytes, ReadTestData(file));
  return EventLog::Parse(bytes);
}

TEST(EventLogVectors, EveryLogHasExpectedValues) {
  auto vectors = LoadEventLogVectors();
  ASSERT_TRUE(vectors.ok()) << vectors.error().message();
  const std::vector<std::string> files = EventLogFiles();
  ASSERT_EQ(files.size(), 6u) << "tests/data/eventlogs is missing or changed";
  ASSERT_EQ(vectors->size(), files.size());
  for (const std::string& file : files) EXPECT_EQ(FindVector(*vectors, file).file, file);
}

TEST(EventLogVectors, ReplaysToThePcrsTheTpmReported) {
  auto vectors = LoadEventLogVectors();
  ASSERT_TRUE(vectors.ok()) << vectors.error().message();
  for (const EventLogVector& vector : *vectors) {
    SCOPED_TRACE(vector.name);
    auto log = ParseTestLog(vector.file);
    ASSERT_TRUE(log.ok()) << log.error().message();
    auto replayed = policy::ReplayEventLog(*log);
    ASSERT_TRUE(replayed.ok()) << replayed.error().message();
    ASSERT_FALSE(vector.expected.empty());
    for (const auto& [bank, pcrs] : vector.expected) {
      ASSERT_TRUE(replayed->count(bank)) << HashAlgName(bank);
      for (const auto& [pcr, value] : pcrs) {
        ASSERT_TRUE(replayed->at(bank).count(pcr)) << HashAlgName(bank) << " PCR " << pcr << " not in the log";
        EXPECT_EQ(HexEncode(replayed->at(bank).at(pcr)), HexEncode(value)) << HashAlgName(bank) << " PCR " << pcr;
      }
    }
    EXPECT_TRUE(policy::ComparePcrs(*replayed, vector.expected).empty());
  }
}

TEST(EventLogVectors, DecodesEveryStructuredEvent) {
  for (const std::string& file : EventLogFiles()) {
    auto log = ParseTestLog(file);
    ASSERT_TRUE(log.ok()) << file << ": " << log.error().message();
    for (const policy::Event& event : log->events()) {
      EXPECT_EQ(event.decode_problem, "") << file << " event " << event.sequence;
    }
  }
}

TEST(EventLogVectors, ReadsBothFormats) {
  auto sha1 = ParseTestLog("eventlogs/debian-10.bin");
  ASSERT_TRUE(sha1.ok()) << sha1.error().message();
  EXPECT_EQ(sha1->format(), policy::EventLogFormat::kSha1);
  EXPECT_EQ(sha1->events().size(), 25u);
  EXPECT_EQ(std::get<policy::EventText>(sha1->events()[0].decoded).text, "GCE Virtual Firmware v1");

  auto agile = ParseTestLog("eventlogs/cos-85-amd-sev.bin");
  ASSERT_TRUE(agile.ok()) << agile.error().message();
  EXPECT_EQ(agile->format(), policy::EventLogFormat::kCryptoAgile);
  EXPECT_EQ(agile->algorithms().size(), 3u);  // SHA-1, SHA-256, SHA-384
  EXPECT_EQ(agile->events().size(), 46u);
  const policy::Event& secure_boot = agile->events()[3];
  EXPECT_EQ(policy::EventTypeName(secure_boot.type), "EV_EFI_VARIABLE_DRIVER_CONFIG");
  const auto& variable = std::get<policy::UefiVariableData>(secure_boot.decoded);
  EXPECT_EQ(variable.variable_guid, "8be4df61-93ca-11d2-aa0d-00e098032b8c");
  EXPECT_EQ(variable.unicode_name, "SecureBoot");
  EXPECT_EQ(variable.variable_data, Bytes{1});
  EXPECT_EQ(std::get<policy::EventText>(agile->events()[12].decoded).text, "Calling EFI Application from Boot Option");
  EXPECT_EQ(std::get<policy::SeparatorValue>(agile->events()[13].decoded).value, 0u);
  EXPECT_EQ(std::get<policy::EventText>(agile->events()[25].decoded).text, "(hd0,gpt12)/efi/boot/grub.cfg");
  const auto& shim_authority = std::get<policy::UefiVariableData>(agile->events()[24].decoded);
  EXPECT_EQ(shim_authority.unicode_name, "db");
  EXPECT_EQ(shim_authority.variable_data.size(), 1041u);
  EXPECT_EQ(shim_authority.trailing_bytes, 6u);

  auto arch = ParseTestLog("eventlogs/arch-linux-workstation.bin");
  ASSERT_TRUE(arch.ok()) << arch.error().message();
  EXPECT_TRUE(std::holds_alternative<std::monostate>(arch->events()[1].decoded));  // a binary S-CRTM version
  const auto& ipl = std::get<policy::EventText>(arch->events()[24].decoded).text;  // UTF-16, from systemd-boot
  EXPECT_TRUE(ipl.starts_with("initrd=\\intel-ucode.img initrd=")) << ipl;
  EXPECT_TRUE(ipl.ends_with("l1tf=off")) << ipl;
}

// Every cut in the first and last KiBs (the Spec ID event, the first events, the
// long last ones); EventLog.RefusesEveryTruncation covers every cut of a whole log.
TEST(EventLogVectors, RefusesTruncationsOfARealLog) {
  constexpr std::size_t kWindow = 2048;
  auto bytes = ReadTestData("eventlogs/arch-linux-workstation.bin");
  ASSERT_TRUE(bytes.ok());
  auto full = EventLog::Parse(*bytes);
  ASSERT_TRUE(full.ok());
  std::size_t accepted = 0;
  for (std::size_t size = 0; size < bytes->size(); ++size) {
    if (size == kWindow) size = bytes->size() - kWindow;
    auto prefix = EventLog::Parse(ByteView(*bytes).first(size));
    if (!prefix.ok()) continue;
    // Only a cut between two events leaves a log: the full log's first events.
    ++accepted;
    ASSERT_LT(prefix->events().size(), full->events().size());
    const policy::Event& last = prefix->events().back();
    EXPECT_EQ(last.data, full->events()[last.sequence].data);
    EXPECT_EQ(last.digests.back().value, full->events()[last.sequence].digests.back().value);
  }
  EXPECT_GE(accepted, 4u);
}

}  // namespace
}  // namespace vtpmd::testing
