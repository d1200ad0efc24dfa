#include "policy/event_data.h"

#include <gtest/gtest.h>

#include <limits>

#include "policy/event_log.h"
#include "policy/event_types.h"
#include "policy/utf16.h"
#include "tests/unit/policy/event_log_builder.h"

namespace vtpmd::testing {
namespace {

using policy::DecodeEventData;

std::string TextOf(std::uint32_t type, ByteView data) {
  auto decoded = DecodeEventData(type, data);
  if (!decoded.ok()) return "error: " + decoded.error().message();
  const auto* text = std::get_if<policy::EventText>(&*decoded);
  return text == nullptr ? "(not text)" : text->text;
}

std::string ProblemOf(std::uint32_t type, ByteView data) {
  auto decoded = DecodeEventData(type, data);
  return decoded.ok() ? "(decoded)" : decoded.error().message();
}

TEST(EventData, DecodesAUefiVariable) {
  auto decoded = DecodeEventData(policy::kEvEfiVariableDriverConfig, UefiVariableDataFor(u"SecureBoot", Bytes{1}));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message();
  const auto& variable = std::get<policy::UefiVariableData>(*decoded);
  EXPECT_EQ(variable.variable_guid, "8be4df61-93ca-11d2-aa0d-00e098032b8c");
  EXPECT_EQ(variable.unicode_name, "SecureBoot");
  EXPECT_EQ(variable.variable_data, Bytes{1});

  for (std::uint32_t type :
       {policy::kEvEfiVariableBoot, policy::kEvEfiVariableBoot2, policy::kEvEfiVariableAuthority}) {
    EXPECT_TRUE(
        std::holds_alternative<policy::UefiVariableData>(*DecodeEventData(type, UefiVariableDataFor(u"db", {}))));
  }
}

TEST(EventData, RefusesUefiVariableLengthsThatDoNotFit) {
  const Bytes good = UefiVariableDataFor(u"SecureBoot", Bytes{1});
  auto with_lengths = [&](std::uint64_t name_length, std::uint64_t data_length) {
    Bytes data(good.begin(), good.begin() + 16);
    PutLittleEndian(data, name_length, 8);
    PutLittleEndian(data, data_length, 8);
    data.insert(data.end(), good.begin() + 32, good.end());
    return ProblemOf(policy::kEvEfiVariableBoot, data);
  };
  EXPECT_EQ(with_lengths(10, 1), "(decoded)");
  EXPECT_EQ(
      with_lengths(10, 2),
      "malformed UEFI_VARIABLE_DATA: UnicodeNameLength 10 and VariableDataLength 2 exceed the 21 bytes that follow");
  EXPECT_EQ(
      with_lengths(11, 0),
      "malformed UEFI_VARIABLE_DATA: UnicodeNameLength 11 and VariableDataLength 0 exceed the 21 bytes that follow");
  EXPECT_NE(with_lengths(std::numeric_limits<std::uint64_t>::max() / 2 + 1, 1).find("exceed"), std::string::npos);
  EXPECT_NE(with_lengths(10, std::numeric_limits<std::uint64_t>::max()).find("exceed"), std::string::npos);
  EXPECT_EQ(with_lengths(10, 0), "(decoded)");  // the byte left over is reported (below)
  EXPECT_EQ(ProblemOf(policy::kEvEfiVariableBoot, ByteView(good).first(31)),
            "malformed UEFI_VARIABLE_DATA: truncated input");

  Bytes unpaired = UefiVariableDataFor(u"\xd800x", {});
  EXPECT_EQ(ProblemOf(policy::kEvEfiVariableBoot, unpaired),
            "malformed UEFI_VARIABLE_DATA: UTF-16 text has an unpaired high surrogate");
}

TEST(EventData, ReportsBytesAfterTheVariable) {
  Bytes data = UefiVariableDataFor(u"db", Bytes{0x30});
  EXPECT_EQ(policy::ParseUefiVariableData(data)->trailing_bytes, 0u);
  data.insert(data.end(), {0, 0, 0, 0, 0, 0xaf});  // as shim 15 logs its authorities
  auto variable = policy::ParseUefiVariableData(data);
  ASSERT_TRUE(variable.ok()) << variable.error().message();
  EXPECT_EQ(variable->variable_data, Bytes{0x30});
  EXPECT_EQ(variable->trailing_bytes, 6u);
}

TEST(EventData, KeepsAnEventWhoseDataDoesNotDecode) {
  EventLogBuilder builder = EventLogBuilder::Sha1AndSha256();
  builder.Add(7, policy::kEvEfiVariableDriverConfig, Bytes{1, 2, 3}).Add(7, policy::kEvSeparator, Bytes{0, 0});
  auto log = policy::EventLog::Parse(builder.bytes());
  ASSERT_TRUE(log.ok()) << log.error().message();
  EXPECT_TRUE(std::holds_alternative<std::monostate>(log->events()[1].decoded));
  EXPECT_EQ(log->events()[1].decode_problem, "malformed UEFI_VARIABLE_DATA: truncated input");
  EXPECT_EQ(log->events()[2].decode_problem, "EV_SEPARATOR data is 2 bytes, not 4");
}

TEST(EventData, DecodesTextInAsciiAndUtf16) {
  EXPECT_EQ(TextOf(policy::kEvEfiAction, AsBytes("Exit Boot Services Invocation")), "Exit Boot Services Invocation");
  EXPECT_EQ(TextOf(policy::kEvIpl, AsBytes(std::string_view("MokList\0", 8))), "MokList");
  EXPECT_EQ(TextOf(policy::kEvSCrtmVersion, Utf16Le(u"GCE Virtual Firmware v1")), "GCE Virtual Firmware v1");
  // systemd-boot measures its UTF-16 command line with one byte too many.
  Bytes odd = Utf16Le(u"initrd=\\initrd.img");
  odd.push_back(0);
  EXPECT_EQ(TextOf(policy::kEvIpl, odd), "initrd=\\initrd.img");
  // U+00E9 and U+1F600 (a surrogate pair) in UTF-8.
  Bytes terminated = Utf16Le(u"caf\u00e9 \U0001F600");
  terminated.insert(terminated.end(), {0, 0});
  EXPECT_EQ(TextOf(policy::kEvIpl, terminated), "caf\xc3\xa9 \xf0\x9f\x98\x80");
  // Without a terminator only ASCII is taken for UTF-16 text: this is a GUID.
  const Bytes guid = *HexDecode("1efb6b540c1d5540a4ad4ef4bf17b83a");
  EXPECT_EQ(TextOf(policy::kEvSCrtmVersion, guid), "(not text)");
  EXPECT_EQ(TextOf(policy::kEvIpl, Utf16Le(u"caf\u00e9")), "(not text)");

  EXPECT_EQ(TextOf(policy::kEvIpl, Bytes{0x01, 0x02, 0x03}), "(not text)");
  EXPECT_EQ(TextOf(policy::kEvIpl, Utf16Le(u"a\xdc00")), "(not text)");
  EXPECT_EQ(TextOf(policy::kEvIpl, Bytes{}), "(not text)");
  EXPECT_EQ(TextOf(policy::kEvIpl, Bytes{0, 0}), "(not text)");
  EXPECT_EQ(TextOf(policy::kEvEfiBootServicesApplication, AsBytes("text")), "(not text)");  // not a text type
}

TEST(EventData, DecodesSeparatorsBlobsAndTags) {
  auto separator = DecodeEventData(policy::kEvSeparator, Bytes{0x01, 0x00, 0x00, 0x00});
  ASSERT_TRUE(separator.ok());
  EXPECT_EQ(std::get<policy::SeparatorValue>(*separator).value, 1u);
  EXPECT_EQ(ProblemOf(policy::kEvSeparator, Bytes{0, 0, 0, 0, 0}), "EV_SEPARATOR data is 5 bytes, not 4");

  Bytes blob;
  PutLittleEndian(blob, 0xffa90000, 8);
  PutLittleEndian(blob, 0x350000, 8);
  auto post_code = DecodeEventData(policy::kEvPostCode, blob);
  ASSERT_TRUE(post_code.ok());
  EXPECT_EQ(std::get<policy::FirmwareBlob>(*post_code).base, 0xffa90000u);
  EXPECT_EQ(std::get<policy::FirmwareBlob>(*post_code).length, 0x350000u);
  EXPECT_EQ(TextOf(policy::kEvPostCode, AsBytes("POST CODE")), "POST CODE");
  EXPECT_EQ(ProblemOf(policy::kEvEfiPlatformFirmwareBlob, Bytes(15, 0)), "a firmware blob is 15 bytes, not 16");

  Bytes tagged;
  PutLittleEndian(tagged, 7, 4);
  PutLittleEndian(tagged, 2, 4);
  tagged.insert(tagged.end(), {0xaa, 0xbb});
  auto tag = DecodeEventData(policy::kEvEventTag, tagged);
  ASSERT_TRUE(tag.ok());
  EXPECT_EQ(std::get<policy::TaggedEvent>(*tag).id, 7u);
  EXPECT_EQ(std::get<policy::TaggedEvent>(*tag).data, (Bytes{0xaa, 0xbb}));
  tagged.push_back(0);
  EXPECT_EQ(ProblemOf(policy::kEvEventTag, tagged),
            "malformed TCG_PCClientTaggedEvent: 1 trailing bytes after taggedEventData");
}

TEST(Utf16, DecodesStrictly) {
  auto pair = policy::DecodeUtf16Le(Bytes{0x3d, 0xd8, 0x00, 0xde});
  ASSERT_TRUE(pair.ok());
  EXPECT_EQ(*pair, U"\U0001F600");
  EXPECT_FALSE(policy::DecodeUtf16Le(Bytes{0x41}).ok());
  EXPECT_FALSE(policy::DecodeUtf16Le(Bytes{0x3d, 0xd8}).ok());
  EXPECT_FALSE(policy::DecodeUtf16Le(Bytes{0x3d, 0xd8, 0x41, 0x00}).ok());
  EXPECT_FALSE(policy::DecodeUtf16Le(Bytes{0x00, 0xde, 0x3d, 0xd8}).ok());
  EXPECT_EQ(policy::EncodeUtf8(U"\u007f\u0080\u07ff\u0800\uffff\U00010000"),
            "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80");
}

}  // namespace
}  // namespace vtpmd::testing
