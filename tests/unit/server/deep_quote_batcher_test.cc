// The deep-quote batcher with a fake platform quoter. Batches are closed by size
// (with windows of an hour) or by a window of 0, and in-flight limits are observed
// with a quoter that blocks until released, so no outcome depends on timing; the
// waits below only bound how long a broken batcher may hang the test.
#include "server/app/deep_quote_batcher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "policy/merkle_tree.h"

namespace vtpmd::app {
namespace {

using std::chrono::milliseconds;

constexpr auto kHang = std::chrono::seconds(60);  // far beyond any correct run
constexpr milliseconds kHour{3600 * 1000};

// Records the qualifying data of every quote and answers with a "quote" whose
// attest is that data. Optionally blocks every quote until released, and fails
// chosen calls.
class FakeQuoter {
 public:
  PlatformQuoter quoter() {
    return [this](ByteView qualifying_data) { return Quote(qualifying_data); };
  }

  void Block() {
    std::lock_guard lock(mu_);
    blocked_ = true;
  }
  void Release() {
    {
      std::lock_guard lock(mu_);
      blocked_ = false;
    }
    changed_.notify_all();
  }
  void FailCall(std::size_t call) {
    std::lock_guard lock(mu_);
    failing_calls_.insert(call);
  }
  // Waits until `n` quotes are running at once (false if that never happens).
  bool WaitForRunning(std::size_t n) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, kHang, [&] { return running_ >= n; });
  }

  std::vector<Bytes> roots() const {
    std::lock_guard lock(mu_);
    return roots_;
  }
  std::size_t max_running() const {
    std::lock_guard lock(mu_);
    return max_running_;
  }

 private:
  Result<PlatformQuoteEvidence> Quote(ByteView qualifying_data) {
    std::unique_lock lock(mu_);
    const std::size_t call = roots_.size();
    roots_.emplace_back(qualifying_data.begin(), qualifying_data.end());
    ++running_;
    max_running_ = std::max(max_running_, running_);
    changed_.notify_all();
    changed_.wait(lock, [&] { return !blocked_; });
    --running_;
    if (failing_calls_.contains(call)) return Unavailable("the platform TPM is on fire");
    return PlatformQuoteEvidence{.attest = Bytes(qualifying_data.begin(), qualifying_data.end()),
                                 .signature = {0x5e, 0x19},
                                 .selection = {},
                                 .pcrs = {}};
  }

  mutable std::mutex mu_;
  std::condition_variable changed_;
  bool blocked_ = false;
  std::set<std::size_t> failing_calls_;
  std::vector<Bytes> roots_;
  std::size_t running_ = 0;
  std::size_t max_running_ = 0;
};

// Collects completions by leaf and counts how often each leaf was completed.
class Completions {
 public:
  DeepQuoteBatcher::Done For(const Bytes& leaf) {
    return [this, leaf](Result<DeepQuoteProof> result) {
      {
        std::lock_guard lock(mu_);
        ++calls_[leaf];
        results_.insert_or_assign(leaf, std::move(result));
        threads_.insert(std::this_thread::get_id());
      }
      changed_.notify_all();
    };
  }
  bool WaitFor(std::size_t n) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, kHang, [&] { return results_.size() >= n; });
  }
  std::size_t count() const {
    std::lock_guard lock(mu_);
    return results_.size();
  }
  std::size_t calls(const Bytes& leaf) const {
    std::lock_guard lock(mu_);
    auto it = calls_.find(leaf);
    return it == calls_.end() ? 0 : it->second;
  }
  const Result<DeepQuoteProof>& result(const Bytes& leaf) const {
    std::lock_guard lock(mu_);
    return results_.at(leaf);
  }
  bool ran_on(std::thread::id thread) const {
    std::lock_guard lock(mu_);
    return threads_.contains(thread);
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::map<Bytes, std::size_t> calls_;
  std::map<Bytes, Result<DeepQuoteProof>> results_;
  std::set<std::thread::id> threads_;
};

Bytes Leaf(std::size_t a, std::size_t b = 0) {
  Bytes leaf(32, 0x77);
  for (std::size_t i = 0; i < 8; ++i) {
    leaf[i] = static_cast<std::uint8_t>(a >> (8 * i));
    leaf[8 + i] = static_cast<std::uint8_t>(b >> (8 * i));
  }
  return leaf;
}

std::unique_ptr<DeepQuoteBatcher> MakeBatcher(FakeQuoter& quoter, DeepQuoteBatcherOptions options) {
  auto batcher = DeepQuoteBatcher::Create(quoter.quoter(), options);
  EXPECT_TRUE(batcher.ok()) << batcher.error().message();
  return batcher.ok() ? std::move(batcher).value() : nullptr;
}

// The proof verifies, belongs to `leaf`, and its root is what the quote qualified.
void ExpectValidProof(const Bytes& leaf, const Result<DeepQuoteProof>& result) {
  ASSERT_TRUE(result.ok()) << result.error().message();
  const DeepQuoteProof& proof = *result;
  EXPECT_EQ(proof.leaf, leaf);
  EXPECT_EQ(proof.leaf_hash, policy::MerkleLeafHash(leaf));
  EXPECT_TRUE(policy::VerifyMerkleInclusion(proof.leaf_hash, proof.leaf_index, proof.tree_size, proof.path, proof.root));
  ASSERT_NE(proof.platform_quote, nullptr);
  EXPECT_EQ(proof.platform_quote->attest, proof.root);
}

TEST(DeepQuoteBatcher, EveryProofVerifiesAgainstTheRootTheQuoterSaw) {
  FakeQuoter quoter;
  Completions done;
  std::vector<Bytes> leaves;
  {
    auto batcher = MakeBatcher(quoter, {.window = kHour, .max_batch = 10, .max_in_flight = 2});
    for (std::size_t i = 0; i < 30; ++i) {
      leaves.push_back(Leaf(i));
      batcher->Submit(leaves.back(), done.For(leaves.back()));
    }
    ASSERT_TRUE(done.WaitFor(30));
    EXPECT_EQ(batcher->Stats().batches, 3U);
    EXPECT_EQ(batcher->Stats().largest_batch, 10U);
  }
  const std::vector<Bytes> roots = quoter.roots();
  ASSERT_EQ(roots.size(), 3U);
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    const auto& result = done.result(leaves[i]);
    ExpectValidProof(leaves[i], result);
    if (!result.ok()) continue;
    // In submission order: leaf i is leaf i % 10 of batch i / 10.
    EXPECT_EQ(result->tree_size, 10U);
    EXPECT_EQ(result->leaf_index, i % 10);
    EXPECT_EQ(std::count(roots.begin(), roots.end(), result->root), 1) << i;
  }
  EXPECT_FALSE(done.ran_on(std::this_thread::get_id()));
}

TEST(DeepQuoteBatcher, AFullBatchClosesWithoutWaitingForTheWindow) {
  FakeQuoter quoter;
  Completions done;
  auto batcher = MakeBatcher(quoter, {.window = kHour, .max_batch = 4, .max_in_flight = 1});
  for (std::size_t i = 0; i < 5; ++i) batcher->Submit(Leaf(i), done.For(Leaf(i)));
  ASSERT_TRUE(done.WaitFor(4));
  for (std::size_t i = 0; i < 4; ++i) ExpectValidProof(Leaf(i), done.result(Leaf(i)));
  // The fifth opened a batch whose hour has not passed.
  EXPECT_EQ(done.calls(Leaf(4)), 0U);
  EXPECT_EQ(quoter.roots().size(), 1U);
  batcher.reset();
  EXPECT_EQ(done.calls(Leaf(4)), 1U);
  ExpectValidProof(Leaf(4), done.result(Leaf(4)));
}

TEST(DeepQuoteBatcher, AWindowOfZeroQuotesEveryLeafAlone) {
  FakeQuoter quoter;
  Completions done;
  {
    auto batcher = MakeBatcher(quoter, {.window = milliseconds(0), .max_batch = 100, .max_in_flight = 4});
    for (std::size_t i = 0; i < 20; ++i) batcher->Submit(Leaf(i), done.For(Leaf(i)));
    ASSERT_TRUE(done.WaitFor(20));
  }
  EXPECT_EQ(quoter.roots().size(), 20U);
  for (std::size_t i = 0; i < 20; ++i) {
    const auto& result = done.result(Leaf(i));
    ExpectValidProof(Leaf(i), result);
    if (!result.ok()) continue;
    EXPECT_EQ(result->tree_size, 1U);
    EXPECT_TRUE(result->path.empty());
    EXPECT_EQ(result->root, result->leaf_hash);  // RFC 9162: the root of one leaf is its hash
  }
}

TEST(DeepQuoteBatcher, NeverRunsMoreThanMaxInFlightQuotes) {
  FakeQuoter quoter;
  Completions done;
  quoter.Block();
  auto batcher = MakeBatcher(quoter, {.window = milliseconds(0), .max_batch = 1, .max_in_flight = 3});
  for (std::size_t i = 0; i < 10; ++i) batcher->Submit(Leaf(i), done.For(Leaf(i)));
  ASSERT_TRUE(quoter.WaitForRunning(3));
  // Give a fourth quote every chance to start, if the batcher allowed one.
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(quoter.max_running(), 3U);
  EXPECT_EQ(done.count(), 0U);
  quoter.Release();
  ASSERT_TRUE(done.WaitFor(10));
  EXPECT_EQ(quoter.max_running(), 3U);
  EXPECT_EQ(quoter.roots().size(), 10U);
}

TEST(DeepQuoteBatcher, AWaitingBatchKeepsTakingLeaves) {
  FakeQuoter quoter;
  Completions done;
  quoter.Block();
  // One quote at a time and a window of 1 ms: the first leaf's batch is quoted
  // (and blocks); the next leaves' window passes while no quote may start, so they
  // all wait in one batch, however long the first quote takes.
  auto batcher = MakeBatcher(quoter, {.window = milliseconds(1), .max_batch = 100, .max_in_flight = 1});
  batcher->Submit(Leaf(0), done.For(Leaf(0)));
  ASSERT_TRUE(quoter.WaitForRunning(1));
  for (std::size_t i = 1; i <= 6; ++i) batcher->Submit(Leaf(i), done.For(Leaf(i)));
  quoter.Release();
  ASSERT_TRUE(done.WaitFor(7));
  EXPECT_EQ(quoter.roots().size(), 2U);
  ASSERT_TRUE(done.result(Leaf(0)).ok());
  EXPECT_EQ(done.result(Leaf(0))->tree_size, 1U);
  for (std::size_t i = 1; i <= 6; ++i) {
    ExpectValidProof(Leaf(i), done.result(Leaf(i)));
    if (done.result(Leaf(i)).ok()) {
      EXPECT_EQ(done.result(Leaf(i))->tree_size, 6U);
    }
  }
}

TEST(DeepQuoteBatcher, AQuoterErrorReachesEveryLeafOfItsBatchOnly) {
  FakeQuoter quoter;
  quoter.FailCall(0);
  Completions done;
  auto batcher = MakeBatcher(quoter, {.window = kHour, .max_batch = 5, .max_in_flight = 1});
  for (std::size_t i = 0; i < 5; ++i) batcher->Submit(Leaf(i), done.For(Leaf(i)));
  ASSERT_TRUE(done.WaitFor(5));
  for (std::size_t i = 0; i < 5; ++i) {
    const auto& result = done.result(Leaf(i));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code(), ErrorCode::kUnavailable);
    EXPECT_NE(result.error().message().find("on fire"), std::string::npos) << result.error().message();
  }
  for (std::size_t i = 5; i < 10; ++i) batcher->Submit(Leaf(i), done.For(Leaf(i)));
  ASSERT_TRUE(done.WaitFor(10));
  for (std::size_t i = 5; i < 10; ++i) ExpectValidProof(Leaf(i), done.result(Leaf(i)));
  EXPECT_EQ(batcher->Stats().failed_batches, 1U);
  for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(done.calls(Leaf(i)), 1U);
}

TEST(DeepQuoteBatcher, DestructionQuotesEverythingSubmittedAndRefusesMore) {
  FakeQuoter quoter;
  Completions done;
  auto batcher = MakeBatcher(quoter, {.window = kHour, .max_batch = 1000, .max_in_flight = 2});
  DeepQuoteBatcher* raw = batcher.get();
  for (std::size_t i = 0; i < 7; ++i) batcher->Submit(Leaf(i), done.For(Leaf(i)));
  // A completion that submits again while the batcher is being destroyed: refused
  // at once, on the completing thread.
  std::atomic<bool> late_refused = false;
  raw->Submit(Leaf(99), [raw, &late_refused, &done](Result<DeepQuoteProof> result) {
    done.For(Leaf(99))(std::move(result));
    raw->Submit(Leaf(100), [&late_refused](Result<DeepQuoteProof> late) {
      late_refused = !late.ok() && late.error().code() == ErrorCode::kUnavailable;
    });
  });
  EXPECT_EQ(done.count(), 0U);
  batcher.reset();
  EXPECT_EQ(done.count(), 8U);
  ASSERT_EQ(quoter.roots().size(), 1U);
  for (std::size_t i = 0; i < 7; ++i) {
    ExpectValidProof(Leaf(i), done.result(Leaf(i)));
    if (done.result(Leaf(i)).ok()) {
      EXPECT_EQ(done.result(Leaf(i))->tree_size, 8U);
    }
  }
  EXPECT_TRUE(late_refused);
}

TEST(DeepQuoteBatcher, ConcurrentSubmittersEachGetExactlyOneAnswer) {
  constexpr std::size_t kThreads = 8;
  constexpr std::size_t kLeavesPerThread = 500;
  FakeQuoter quoter;
  Completions done;
  DeepQuoteBatcherStats stats;
  {
    auto batcher = MakeBatcher(quoter, {.window = milliseconds(1), .max_batch = 64, .max_in_flight = 4});
    std::vector<std::thread> submitters;
    for (std::size_t t = 0; t < kThreads; ++t) {
      submitters.emplace_back([&, t] {
        for (std::size_t i = 0; i < kLeavesPerThread; ++i) batcher->Submit(Leaf(t, i), done.For(Leaf(t, i)));
      });
    }
    for (std::thread& submitter : submitters) submitter.join();
    ASSERT_TRUE(done.WaitFor(kThreads * kLeavesPerThread));
    stats = batcher->Stats();
  }
  EXPECT_EQ(done.count(), kThreads * kLeavesPerThread);
  EXPECT_EQ(stats.leaves, kThreads * kLeavesPerThread);
  EXPECT_LE(stats.largest_batch, 64U);
  EXPECT_LE(quoter.max_running(), 4U);
  EXPECT_EQ(quoter.roots().size(), stats.batches);
  for (std::size_t t = 0; t < kThreads; ++t) {
    for (std::size_t i = 0; i < kLeavesPerThread; ++i) {
      ASSERT_EQ(done.calls(Leaf(t, i)), 1U) << t << "/" << i;
      ExpectValidProof(Leaf(t, i), done.result(Leaf(t, i)));
    }
  }
}

TEST(DeepQuoteBatcher, RefusesUnusableOptions) {
  FakeQuoter quoter;
  EXPECT_FALSE(DeepQuoteBatcher::Create(quoter.quoter(), {.window = milliseconds(-1)}).ok());
  EXPECT_FALSE(DeepQuoteBatcher::Create(quoter.quoter(), {.max_batch = 0}).ok());
  EXPECT_FALSE(DeepQuoteBatcher::Create(quoter.quoter(), {.max_in_flight = 0}).ok());
  EXPECT_FALSE(DeepQuoteBatcher::Create(nullptr, {}).ok());
}

}  // namespace
}  // namespace vtpmd::app
