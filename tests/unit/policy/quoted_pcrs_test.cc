// The reader of tpm2-tools' serialized PCR file (`tpm2_quote -o`).
#include "policy/quoted_pcrs.h"

#include <gtest/gtest.h>

#include "core/pcr_selection.h"
#include "core/tpm_wire.h"
#include "tests/support/test_data.h"
#include "tests/unit/core/tpm_vectors.h"

namespace vtpmd::testing {
namespace {

using policy::ParseTpm2ToolsPcrs;

constexpr std::size_t kSelectionSize = 132;
constexpr std::size_t kListSize = 532;

Bytes Data(const std::string& path) {
  auto bytes = ReadTestData(path);
  EXPECT_TRUE(bytes.ok()) << path;
  return bytes.ok() ? *bytes : Bytes{};
}

// sha256:0,1,2 of tests/data/tpm/quote.pcrs: one list of three values.
Bytes RecordedFile() {
  return Data("tpm/quote.pcrs");
}

TEST(QuotedPcrs, ReadsWhatTpm2QuoteWroteAsTpm2PcrreadGaveIt) {
  for (const tpm::QuoteVector& vector : tpm::kQuoteVectors) {
    SCOPED_TRACE(vector.quote);
    auto values = ParseTpm2ToolsPcrs(Data("tpm/" + vector.quote + ".pcrs"));
    ASSERT_TRUE(values.ok()) << values.error().message();
    auto attest = tpm::ParseAttest(Data("tpm/" + vector.quote + ".msg"));
    ASSERT_TRUE(attest.ok());
    auto slots = tpm::PcrSlotsInTpmOrder(attest->attested.quote.pcrSelect);
    ASSERT_TRUE(slots.ok());
    Bytes in_tpm_order;
    std::size_t count = 0;
    for (const tpm::PcrSlot& slot : *slots) {
      const Bytes& value = values->at(slot.bank).at(slot.index);
      in_tpm_order.insert(in_tpm_order.end(), value.begin(), value.end());
    }
    for (const auto& [bank, pcrs] : *values) count += pcrs.size();
    EXPECT_EQ(count, slots->size());
    EXPECT_EQ(HexEncode(in_tpm_order), HexEncode(Data("tpm/" + vector.quote + ".pcrvalues")));
  }
}

TEST(QuotedPcrs, RefusesEveryTruncation) {
  const Bytes file = RecordedFile();
  ASSERT_EQ(file.size(), kSelectionSize + 4 + kListSize);
  for (std::size_t size = 0; size < file.size(); ++size) {
    EXPECT_FALSE(ParseTpm2ToolsPcrs(ByteView(file).first(size)).ok()) << size;
  }
}

TEST(QuotedPcrs, RefusesTrailingBytes) {
  Bytes file = RecordedFile();
  file.push_back(0);
  EXPECT_FALSE(ParseTpm2ToolsPcrs(file).ok());
  file.resize(file.size() - 1 + kListSize, 0);  // a whole extra list
  EXPECT_FALSE(ParseTpm2ToolsPcrs(file).ok());
}

TEST(QuotedPcrs, RefusesCountsBeyondTheLimits) {
  Bytes banks = RecordedFile();
  banks[0] = 17;  // more banks than TPML_PCR_SELECTION holds
  EXPECT_FALSE(ParseTpm2ToolsPcrs(banks).ok());

  Bytes lists = RecordedFile();
  lists[kSelectionSize] = 4;  // four lists for three PCRs
  lists.resize(kSelectionSize + 4 + 4 * kListSize, 0);
  EXPECT_FALSE(ParseTpm2ToolsPcrs(lists).ok());

  Bytes huge = RecordedFile();
  huge[kSelectionSize + 3] = 0xff;  // 0xff000001 lists, refused before any is read
  EXPECT_FALSE(ParseTpm2ToolsPcrs(huge).ok());

  Bytes digests = RecordedFile();
  digests[kSelectionSize + 4] = 9;  // a TPML_DIGEST holds at most eight
  EXPECT_FALSE(ParseTpm2ToolsPcrs(digests).ok());
  digests[kSelectionSize + 4] = 0;  // an empty list
  EXPECT_FALSE(ParseTpm2ToolsPcrs(digests).ok());
  digests[kSelectionSize + 4] = 2;  // fewer values than selected PCRs
  EXPECT_FALSE(ParseTpm2ToolsPcrs(digests).ok());
}

TEST(QuotedPcrs, RefusesInconsistentSelections) {
  Bytes pcr_above_23 = RecordedFile();
  pcr_above_23[4 + 3 + 3] = 0x01;  // pcrSelect[3], beyond sizeofSelect 3
  EXPECT_FALSE(ParseTpm2ToolsPcrs(pcr_above_23).ok());

  Bytes unknown_bank = RecordedFile();
  unknown_bank[4] = 0x12;  // hash 0x0012 (SM3)
  EXPECT_FALSE(ParseTpm2ToolsPcrs(unknown_bank).ok());

  Bytes select_too_long = RecordedFile();
  select_too_long[4 + 2] = 5;
  EXPECT_FALSE(ParseTpm2ToolsPcrs(select_too_long).ok());

  Bytes duplicate_bank = RecordedFile();
  duplicate_bank[0] = 2;
  std::copy_n(duplicate_bank.begin() + 4, 8, duplicate_bank.begin() + 12);
  EXPECT_FALSE(ParseTpm2ToolsPcrs(duplicate_bank).ok());

  Bytes one_more_pcr = RecordedFile();
  one_more_pcr[4 + 3] = 0x0f;  // PCRs 0-3 selected, three values given
  EXPECT_FALSE(ParseTpm2ToolsPcrs(one_more_pcr).ok());
}

TEST(QuotedPcrs, RefusesNonZeroPaddingAndWrongDigestSizes) {
  constexpr std::size_t kFirstDigest = kSelectionSize + 4 + 4;   // after the list count and the value count
  for (std::size_t offset : {std::size_t{4 + 7},                 // pad of the used selection slot
                             std::size_t{4 + 8},                 // an unused selection slot
                             kFirstDigest + 2 + 32,              // after the first digest
                             kFirstDigest + 3 * 66,              // an unused digest slot's size
                             kFirstDigest + 7 * 66 + 2 + 63}) {  // the last unused buffer byte
    Bytes file = RecordedFile();
    file[offset] = 1;
    EXPECT_FALSE(ParseTpm2ToolsPcrs(file).ok()) << offset;
  }
  Bytes short_digest = RecordedFile();
  short_digest[kFirstDigest] = 20;  // a 20-byte value in the sha256 bank
  EXPECT_FALSE(ParseTpm2ToolsPcrs(short_digest).ok());
}

}  // namespace
}  // namespace vtpmd::testing
