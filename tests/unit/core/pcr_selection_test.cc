#include "core/pcr_selection.h"

#include <gtest/gtest.h>

#include "core/tpm_wire.h"
#include "tests/support/test_data.h"
#include "tests/unit/core/tpm_vectors.h"

namespace vtpmd::tpm {
namespace {

TEST(PcrSelectionText, AcceptsListsAndRanges) {
  struct Case {
    const char* text;
    const char* canonical;
  };
  const Case cases[] = {
      {"sha256:0", "sha256:0"},
      {"sha256:0,1,2", "sha256:0,1,2"},
      {"sha256:2,0,1", "sha256:0,1,2"},
      {"sha1:0-7", "sha1:0,1,2,3,4,5,6,7"},
      {"sha256:0,1,2+sha1:0-3", "sha256:0,1,2+sha1:0,1,2,3"},
      {"sha384:23", "sha384:23"},
      {"sha512:5-5,7,9-10", "sha512:5,7,9,10"},
      {"sha1:0+sha256:0+sha384:0+sha512:0", "sha1:0+sha256:0+sha384:0+sha512:0"},
      {"sha256:0-23", "sha256:0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23"},
  };
  for (const Case& c : cases) {
    auto selection = ParsePcrSelectionText(c.text);
    ASSERT_TRUE(selection.ok()) << c.text << ": " << selection.error().message();
    EXPECT_EQ(PcrSelectionText(*selection), c.canonical) << c.text;
    auto again = ParsePcrSelectionText(PcrSelectionText(*selection));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*MarshalPcrSelection(*again), *MarshalPcrSelection(*selection));
  }
}

TEST(PcrSelectionText, RejectsMalformedSelections) {
  const char* bad[] = {
      "",                     // nothing
      "sha256",               // no list
      "sha256:",              // empty list
      "sha256:0,",            // empty item
      "sha256:,0",            //
      "sha256:0,,1",          //
      "sha256:24",            // beyond PCR 23
      "sha256:99",            //
      "sha256:100",           //
      "sha256:-1",            // negative
      "sha256:01",            // leading zero
      "sha256:0x1",           // hex
      "sha256:3-1",           // descending range
      "sha256:1-",            // open range
      "sha256:1-2-3",         //
      "sha256:0,0",           // duplicate PCR
      "sha256:0-3,2",         // overlapping
      "sha256:0+sha256:1",    // duplicate bank
      "sha256:0+",            // empty bank
      "+sha256:0",            //
      "sm3_256:0",            // unknown bank
      "SHA256:0",             // names are lower case
      "md5:0",                //
      " sha256:0",            // whitespace
      "sha256: 0",            //
      "sha256:0 ",            //
      "sha256:0\n",           //
      "sha256::0",            //
      "sha256:0;sha1:0",      //
  };
  for (const char* text : bad) {
    auto selection = ParsePcrSelectionText(text);
    EXPECT_FALSE(selection.ok()) << "accepted '" << text << "'";
    if (!selection.ok()) {
      EXPECT_EQ(selection.error().code(), ErrorCode::kInvalidArgument) << text;
    }
  }
  std::string overlong = "sha256:0";
  while (overlong.size() <= kMaxPcrSelectionTextSize) overlong += ",0";
  EXPECT_FALSE(ParsePcrSelectionText(overlong).ok());
  EXPECT_FALSE(ParsePcrSelectionText(std::string_view("sha256:0\0", 9)).ok());
}

TEST(PcrSelectionWire, RoundTripsTheQuotesSelection) {
  auto msg = testing::ReadTestData("tpm/quote_ecc.msg");
  ASSERT_TRUE(msg.ok());
  auto attest = ParseAttest(*msg);
  ASSERT_TRUE(attest.ok());
  const TPML_PCR_SELECTION& quoted = attest->attested.quote.pcrSelect;
  EXPECT_EQ(PcrSelectionText(quoted), "sha1:0,1+sha256:0,1,2");

  auto wire = MarshalPcrSelection(quoted);
  ASSERT_TRUE(wire.ok());
  // count=2 || {sha1, 3, 03 00 00} || {sha256, 3, 07 00 00}
  EXPECT_EQ(HexEncode(*wire), "00000002000403030000000b03070000");
  auto parsed = ParsePcrSelection(*wire);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(PcrSelectionText(*parsed), "sha1:0,1+sha256:0,1,2");

  auto from_text = ParsePcrSelectionText("sha1:0,1+sha256:0-2");
  ASSERT_TRUE(from_text.ok());
  EXPECT_EQ(*MarshalPcrSelection(*from_text), *wire);
}

TEST(PcrSelectionWire, RejectsBadSelections) {
  const Bytes good = *HexDecode("00000002000403030000000b03070000");
  for (std::size_t size = 0; size < good.size(); ++size) {
    EXPECT_FALSE(ParsePcrSelection(ByteView(good).first(size)).ok()) << size;
  }
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_FALSE(ParsePcrSelection(trailing).ok());

  EXPECT_FALSE(ParsePcrSelection(*HexDecode("00000002000b03070000000b03070000")).ok());  // duplicate bank
  EXPECT_FALSE(ParsePcrSelection(*HexDecode("00000001001203070000")).ok());                 // SM3 bank
  EXPECT_FALSE(ParsePcrSelection(*HexDecode("00000001000b0400000001")).ok());               // PCR 24
  EXPECT_FALSE(ParsePcrSelection(*HexDecode("00000001000b050000000000")).ok());             // 5 select bytes
  EXPECT_FALSE(ParsePcrSelection(*HexDecode("00000011")).ok());                             // 17 banks
  EXPECT_TRUE(ParsePcrSelection(*HexDecode("00000001000b0400000100")).ok());                // 4 bytes, PCR 16
  EXPECT_TRUE(ParsePcrSelection(*HexDecode("00000000")).ok());                              // nothing selected
}

TEST(PcrSlots, FollowTpmOrder) {
  auto selection = ParsePcrSelectionText("sha256:7,1,16+sha1:3-4");
  ASSERT_TRUE(selection.ok());
  auto slots = PcrSlotsInTpmOrder(*selection);
  ASSERT_TRUE(slots.ok());
  const std::vector<PcrSlot> expected = {{HashAlg::kSha256, 1},
                                         {HashAlg::kSha256, 7},
                                         {HashAlg::kSha256, 16},
                                         {HashAlg::kSha1, 3},
                                         {HashAlg::kSha1, 4}};
  EXPECT_EQ(*slots, expected);
}

// The digest the TPM put into each recorded quote equals the one recomputed from
// the PCR values tpm2_pcrread saved (concatenated in TPM order).
TEST(PcrDigest, MatchesRecordedQuotes) {
  for (const QuoteVector& vector : kQuoteVectors) {
    auto msg = testing::ReadTestData("tpm/" + vector.quote + ".msg");
    auto values_blob = testing::ReadTestData("tpm/" + vector.quote + ".pcrvalues");
    ASSERT_TRUE(msg.ok() && values_blob.ok()) << vector.quote;
    auto attest = ParseAttest(*msg);
    ASSERT_TRUE(attest.ok());
    auto slots = PcrSlotsInTpmOrder(attest->attested.quote.pcrSelect);
    ASSERT_TRUE(slots.ok());
    std::vector<Bytes> values;
    std::size_t offset = 0;
    for (const PcrSlot& slot : *slots) {
      const std::size_t size = DigestSize(slot.bank);
      ASSERT_LE(offset + size, values_blob->size());
      values.emplace_back(values_blob->begin() + static_cast<std::ptrdiff_t>(offset),
                          values_blob->begin() + static_cast<std::ptrdiff_t>(offset + size));
      offset += size;
    }
    ASSERT_EQ(offset, values_blob->size()) << vector.quote;

    auto hash = HashAlgFromName(vector.hash);
    ASSERT_TRUE(hash.ok());
    auto digest = PcrDigest(*hash, values);
    ASSERT_TRUE(digest.ok());
    const TPM2B_DIGEST& quoted = attest->attested.quote.pcrDigest;
    EXPECT_EQ(HexEncode(*digest), HexEncode(ByteView(quoted.buffer, quoted.size))) << vector.quote;

    values.back().back() ^= 0x01;
    EXPECT_NE(HexEncode(*PcrDigest(*hash, values)), HexEncode(ByteView(quoted.buffer, quoted.size)));
  }
}

}  // namespace
}  // namespace vtpmd::tpm
