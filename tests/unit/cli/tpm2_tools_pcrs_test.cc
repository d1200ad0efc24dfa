#include "server/cli/tpm2_tools_pcrs.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/pcr_selection.h"
#include "core/tpm_wire.h"
#include "policy/quoted_pcrs.h"
#include "tests/support/test_data.h"
#include "tests/unit/core/tpm_vectors.h"

namespace vtpmd::testing {
namespace {

using cli::Tpm2ToolsSerializedPcrs;

struct QuotePcrs {
  TPML_PCR_SELECTION selection{};
  std::vector<Bytes> values;
};

QuotePcrs LoadQuotePcrs(const tpm::QuoteVector& vector) {
  QuotePcrs out;
  auto msg = ReadTestData("tpm/" + vector.quote + ".msg");
  auto blob = ReadTestData("tpm/" + vector.quote + ".pcrvalues");
  EXPECT_TRUE(msg.ok() && blob.ok());
  if (!msg.ok() || !blob.ok()) return out;
  auto attest = tpm::ParseAttest(*msg);
  EXPECT_TRUE(attest.ok());
  if (!attest.ok()) return out;
  out.selection = attest->attested.quote.pcrSelect;
  auto slots = tpm::PcrSlotsInTpmOrder(out.selection);
  EXPECT_TRUE(slots.ok());
  if (!slots.ok()) return out;
  auto next = blob->begin();
  for (const tpm::PcrSlot& slot : *slots) {
    const auto size = static_cast<std::ptrdiff_t>(DigestSize(slot.bank));
    out.values.emplace_back(next, next + size);
    next += size;
  }
  return out;
}

// Runs tpm2_checkquote on the recorded quote with a PCR file we wrote ourselves.
int RunCheckquote(const tpm::QuoteVector& vector, const Bytes& pcrs_file) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("vtpmd-pcrs-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::filesystem::path pcrs_path = dir / (vector.quote + ".pcrs");
  {
    std::ofstream out(pcrs_path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(pcrs_file.data()), static_cast<std::streamsize>(pcrs_file.size()));
  }
  const std::string command = std::string(TPM2_CHECKQUOTE) + " -u '" + TestDataPath("tpm/" + vector.key + ".pub") +
                              "' -m '" + TestDataPath("tpm/" + vector.quote + ".msg") + "' -s '" +
                              TestDataPath("tpm/" + vector.quote + ".sig") + "' -f '" + pcrs_path.string() + "' -g " +
                              vector.hash + " -q " + vector.nonce_hex + " > /dev/null 2>&1";
  const int status = std::system(command.c_str());
  std::filesystem::remove_all(dir);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(Tpm2ToolsPcrs, ReproducesTheFileTpm2QuoteWrote) {
  for (const tpm::QuoteVector& vector : tpm::kQuoteVectors) {
    QuotePcrs pcrs = LoadQuotePcrs(vector);
    auto written = Tpm2ToolsSerializedPcrs(pcrs.selection, pcrs.values);
    ASSERT_TRUE(written.ok()) << written.error().message();
    auto recorded = ReadTestData("tpm/" + vector.quote + ".pcrs");
    ASSERT_TRUE(recorded.ok());
    EXPECT_EQ(HexEncode(*written), HexEncode(*recorded)) << vector.quote;
  }
}

TEST(Tpm2ToolsPcrs, SplitsMoreThanEightValuesIntoSeveralLists) {
  auto selection = tpm::ParsePcrSelectionText("sha256:0-9");
  ASSERT_TRUE(selection.ok());
  std::vector<Bytes> values;
  for (std::uint8_t i = 0; i < 10; ++i) values.emplace_back(32, i);
  auto written = Tpm2ToolsSerializedPcrs(*selection, values);
  ASSERT_TRUE(written.ok());
  ASSERT_EQ(written->size(), 132u + 4u + 2u * 532u);
  EXPECT_EQ((*written)[132], 2);                     // two TPML_DIGEST lists
  EXPECT_EQ((*written)[136], 8);                     // the first holds eight digests
  EXPECT_EQ((*written)[136 + 532], 2);               // the second two
  EXPECT_EQ((*written)[136 + 532 + 4 + 66 + 2], 9);  // whose second value is PCR 9's
}

TEST(Tpm2ToolsPcrs, PolicyReadsBackWhatItWrites) {
  // Four lists, the last partly filled, over two banks.
  auto selection = tpm::ParsePcrSelectionText("sha1:0,3,5+sha256:0-23");
  ASSERT_TRUE(selection.ok());
  auto slots = tpm::PcrSlotsInTpmOrder(*selection);
  ASSERT_TRUE(slots.ok());
  std::vector<Bytes> values;
  for (std::size_t i = 0; i < slots->size(); ++i) {
    values.emplace_back(DigestSize((*slots)[i].bank), static_cast<std::uint8_t>(i + 1));
  }
  auto written = Tpm2ToolsSerializedPcrs(*selection, values);
  ASSERT_TRUE(written.ok());
  auto read = policy::ParseTpm2ToolsPcrs(*written);
  ASSERT_TRUE(read.ok()) << read.error().message();
  for (std::size_t i = 0; i < slots->size(); ++i)
    EXPECT_EQ(read->at((*slots)[i].bank).at((*slots)[i].index), values[i]);
  EXPECT_EQ(read->at(HashAlg::kSha1).size() + read->at(HashAlg::kSha256).size(), slots->size());
}

TEST(Tpm2ToolsPcrs, RefusesValuesThatDoNotMatchTheSelection) {
  auto selection = tpm::ParsePcrSelectionText("sha1:0+sha256:0");
  ASSERT_TRUE(selection.ok());
  EXPECT_FALSE(Tpm2ToolsSerializedPcrs(*selection, {Bytes(20, 0)}).ok());
  EXPECT_FALSE(Tpm2ToolsSerializedPcrs(*selection, {Bytes(32, 0), Bytes(20, 0)}).ok());
  EXPECT_TRUE(Tpm2ToolsSerializedPcrs(*selection, {Bytes(20, 0), Bytes(32, 0)}).ok());
}

TEST(Tpm2ToolsPcrs, Tpm2CheckquoteAcceptsTheWrittenFile) {
  for (const tpm::QuoteVector& vector : tpm::kQuoteVectors) {
    if (vector.quote == "quote_pss") continue;  // tpm2-tools 5.4 checks PSS with a fixed salt length
    QuotePcrs pcrs = LoadQuotePcrs(vector);
    auto written = Tpm2ToolsSerializedPcrs(pcrs.selection, pcrs.values);
    ASSERT_TRUE(written.ok());
    EXPECT_EQ(RunCheckquote(vector, *written), 0) << vector.quote;

    pcrs.values.front().front() ^= 0x80;
    auto tampered = Tpm2ToolsSerializedPcrs(pcrs.selection, pcrs.values);
    ASSERT_TRUE(tampered.ok());
    EXPECT_NE(RunCheckquote(vector, *tampered), 0) << vector.quote;
  }
}

}  // namespace
}  // namespace vtpmd::testing
