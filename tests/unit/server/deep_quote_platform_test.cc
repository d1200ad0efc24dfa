// Deep quotes against a real (simulated) platform TPM: the simulated quote
// latency, and batches whose Merkle root the platform AIK's quote carries as
// extraData, decoded here with libtss2-mu directly.
#include <gtest/gtest.h>
#include <tss2/tss2_mu.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "core/pcr_selection.h"
#include "policy/merkle_tree.h"
#include "server/app/deep_quote_batcher.h"
#include "tests/unit/vtpm/test_support.h"
#include "vtpm/platform_tpm.h"

namespace vtpmd::app {
namespace {

using std::chrono::milliseconds;
using vtpm::PlatformTpm;
using vtpm::testing::TempDir;

TPML_PCR_SELECTION Selection() {
  auto selection = tpm::ParsePcrSelectionText("sha256:0,1,2,3");
  EXPECT_TRUE(selection.ok());
  return selection.ok() ? *selection : TPML_PCR_SELECTION{};
}

Bytes ExtraData(const Bytes& attest) {
  TPMS_ATTEST parsed{};
  std::size_t offset = 0;
  EXPECT_EQ(Tss2_MU_TPMS_ATTEST_Unmarshal(attest.data(), attest.size(), &offset, &parsed), TSS2_RC_SUCCESS);
  EXPECT_EQ(offset, attest.size());
  EXPECT_EQ(parsed.type, TPM2_ST_ATTEST_QUOTE);
  return Bytes(parsed.extraData.buffer, parsed.extraData.buffer + parsed.extraData.size);
}

std::unique_ptr<PlatformTpm> OpenWithLatency(const TempDir& dir, milliseconds latency) {
  auto tpm = PlatformTpm::Open(
      {.tcti = vtpm::kSimulatedTcti, .runtime_dir = dir.path() / "tpm", .simulated_quote_latency = latency});
  EXPECT_TRUE(tpm.ok()) << tpm.error().message();
  return tpm.ok() ? std::move(tpm).value() : nullptr;
}

TEST(DeepQuotePlatformTpm, LatencyIsRefusedForARealTpm) {
  auto tpm = PlatformTpm::Open(
      {.tcti = "swtpm:path=/nonexistent/swtpm.sock", .runtime_dir = {}, .simulated_quote_latency = milliseconds(50)});
  ASSERT_FALSE(tpm.ok());
  // Refused before any attempt to reach the TPM (which would be Unavailable).
  EXPECT_EQ(tpm.error().code(), ErrorCode::kInvalidArgument) << tpm.error().message();
}

TEST(DeepQuotePlatformTpm, SimulatedQuoteTakesItsLatencyAndQualifiesTheRoot) {
  TempDir dir;
  auto tpm = OpenWithLatency(dir, milliseconds(50));
  ASSERT_NE(tpm, nullptr);

  std::vector<Bytes> hashes;
  for (std::uint8_t i = 0; i < 5; ++i) hashes.push_back(policy::MerkleLeafHash(Bytes(32, i)));
  auto tree = policy::MerkleTree::FromLeafHashes(hashes);
  ASSERT_TRUE(tree.ok());

  const auto start = std::chrono::steady_clock::now();
  auto quote = tpm->Quote(tree->root(), Selection());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(quote.ok()) << quote.error().message();
  EXPECT_GE(elapsed, milliseconds(50));
  EXPECT_EQ(ExtraData(quote->attest), tree->root());
}

TEST(DeepQuotePlatformTpm, TheLatencyDoesNotHoldTheTpm) {
  TempDir dir;
  // Long enough that the PCR read below, a few milliseconds of swtpm work, ends
  // well before it even on a loaded machine.
  auto tpm = OpenWithLatency(dir, milliseconds(3000));
  ASSERT_NE(tpm, nullptr);
  std::atomic<bool> quoted = false;
  std::thread quoting([&] {
    auto quote = tpm->Quote(Bytes(32, 0xab), Selection());
    EXPECT_TRUE(quote.ok());
    quoted = true;
  });
  // PCR reads take the same ESYS mutex as quotes, so a read that completes while
  // the quote is still "answering" shows that the latency is spent outside it. The
  // pause lets the quote's TPM command run first.
  std::this_thread::sleep_for(milliseconds(500));
  auto pcrs = tpm->ReadPcrs(Selection());
  EXPECT_TRUE(pcrs.ok());
  EXPECT_FALSE(quoted) << "the PCR read waited for the quote's simulated latency";
  quoting.join();
}

TEST(DeepQuotePlatformTpm, BatchesAreQuotedByThePlatformAik) {
  TempDir dir;
  auto tpm = OpenWithLatency(dir, milliseconds(20));
  ASSERT_NE(tpm, nullptr);
  std::mutex mu;
  std::condition_variable changed;
  std::vector<Result<DeepQuoteProof>> results;
  {
    auto batcher = DeepQuoteBatcher::Create(PlatformTpmQuoter(*tpm, Selection()),
                                            {.window = milliseconds(3600 * 1000), .max_batch = 3, .max_in_flight = 2});
    ASSERT_TRUE(batcher.ok());
    for (std::uint8_t i = 0; i < 6; ++i) {
      (*batcher)->Submit(Bytes(32, i), [&](Result<DeepQuoteProof> result) {
        std::lock_guard lock(mu);
        results.push_back(std::move(result));
        changed.notify_all();
      });
    }
    std::unique_lock lock(mu);
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(60), [&] { return results.size() == 6; }));
  }
  for (const auto& result : results) {
    ASSERT_TRUE(result.ok()) << result.error().message();
    EXPECT_EQ(result->tree_size, 3U);
    EXPECT_TRUE(
        policy::VerifyMerkleInclusion(result->leaf_hash, result->leaf_index, result->tree_size, result->path, result->root));
    EXPECT_EQ(ExtraData(result->platform_quote->attest), result->root);
    EXPECT_FALSE(result->platform_quote->signature.empty());
    EXPECT_FALSE(result->platform_quote->pcrs.empty());
  }
}

}  // namespace
}  // namespace vtpmd::app
