// The clock rule, and the store-backed history: one row per AIK, compared and
// recorded atomically.
#include "policy/attestation_history.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <latch>
#include <map>
#include <thread>
#include <vector>

#include "policy/remembered_attestation_history.h"
#include "tests/unit/policy/quote_test_support.h"

namespace vtpmd::testing {
namespace {

using policy::ClockOrder;
using policy::ClockSnapshot;
using policy::CompareClock;

const Bytes kAik = {0x00, 0x0b, 0x01};
const Bytes kOtherAik = {0x00, 0x0b, 0x02};

TEST(ClockRule, OrdersByResetThenRestartThenClock) {
  const ClockSnapshot last{1000, 5, 2};
  EXPECT_EQ(CompareClock(std::nullopt, last), ClockOrder::kFirst);
  EXPECT_EQ(CompareClock(last, last), ClockOrder::kForward);
  EXPECT_EQ(CompareClock(last, {1001, 5, 2}), ClockOrder::kForward);
  EXPECT_EQ(CompareClock(last, {999, 5, 2}), ClockOrder::kClockBackwards);
  EXPECT_EQ(CompareClock(last, {1, 5, 3}), ClockOrder::kForward);  // a Restart may lose clock
  EXPECT_EQ(CompareClock(last, {5000, 5, 1}), ClockOrder::kRestartCountBackwards);
  EXPECT_EQ(CompareClock(last, {1, 6, 0}), ClockOrder::kForward);  // a Reset clears restartCount
  EXPECT_EQ(CompareClock(last, {5000, 4, 9}), ClockOrder::kResetCountBackwards);
  // Clock is unsigned 64-bit, also beyond what a signed column holds.
  EXPECT_EQ(CompareClock(ClockSnapshot{~0ull - 1, 0, 0}, {~0ull, 0, 0}), ClockOrder::kForward);
  EXPECT_EQ(CompareClock(ClockSnapshot{~0ull, 0, 0}, {1, 0, 0}), ClockOrder::kClockBackwards);
}

TEST(StoreAttestationHistory, RecordsOnlyWhatItAccepts) {
  HistoryStore store;
  auto& history = store.history();
  auto first = history.CompareAndRecord(kAik, {100, 1, 0});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->order, ClockOrder::kFirst);
  EXPECT_EQ(first->last, std::nullopt);

  auto behind = history.CompareAndRecord(kAik, {99, 1, 0});
  ASSERT_TRUE(behind.ok());
  EXPECT_EQ(behind->order, ClockOrder::kClockBackwards);
  EXPECT_EQ(behind->last, (ClockSnapshot{100, 1, 0}));

  auto compared = history.Compare(kAik, {200, 1, 0});
  ASSERT_TRUE(compared.ok());
  EXPECT_EQ(compared->order, ClockOrder::kForward);
  EXPECT_EQ(compared->last, (ClockSnapshot{100, 1, 0}));  // neither refused nor compared snapshots were kept

  auto large = history.CompareAndRecord(kAik, {~0ull, 1, 0});
  ASSERT_TRUE(large.ok());
  EXPECT_EQ(large->order, ClockOrder::kForward);
  auto after = history.Compare(kAik, {0, 1, 0});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->last, (ClockSnapshot{~0ull, 1, 0}));
  EXPECT_EQ(after->order, ClockOrder::kClockBackwards);

  auto other = history.Compare(kOtherAik, {0, 0, 0});
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->order, ClockOrder::kFirst);
}

// Threads race to record snapshots of one AIK. Whatever the interleaving, an
// atomic compare-and-record makes the accepted snapshots one chain: each was
// compared with the snapshot accepted just before it, so no two acceptances saw
// the same predecessor, and the history ends at the latest snapshot accepted.
// A read-then-write outside one transaction lets two racers compare with the
// same stale row and both pass.
TEST(StoreAttestationHistory, RacingAttestationsFormOneChain) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 200;
  HistoryStore store;
  auto& history = store.history();
  ASSERT_TRUE(history.CompareAndRecord(kAik, {0, 0, 0}).ok());

  std::vector<std::vector<policy::ClockComparison>> accepted(kThreads);
  std::vector<std::vector<std::uint64_t>> accepted_clocks(kThreads);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int round = 0; round < kRounds; ++round) {
        // Distinct clocks, interleaved so that threads overtake each other.
        const std::uint64_t clock = 1 + static_cast<std::uint64_t>(round * kThreads + (t * 5) % kThreads);
        auto result = history.CompareAndRecord(kAik, {clock, 0, 0});
        ASSERT_TRUE(result.ok());
        if (policy::IsAcceptable(result->order)) {
          accepted[static_cast<std::size_t>(t)].push_back(*result);
          accepted_clocks[static_cast<std::size_t>(t)].push_back(clock);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  std::map<std::uint64_t, int> predecessors;  // clock compared with -> acceptances
  std::uint64_t latest = 0;
  std::size_t acceptances = 0;
  for (int t = 0; t < kThreads; ++t) {
    const auto& results = accepted[static_cast<std::size_t>(t)];
    for (std::size_t i = 0; i < results.size(); ++i) {
      ASSERT_TRUE(results[i].last.has_value());
      EXPECT_LE(results[i].last->clock, accepted_clocks[static_cast<std::size_t>(t)][i]);
      ++predecessors[results[i].last->clock];
      latest = std::max(latest, accepted_clocks[static_cast<std::size_t>(t)][i]);
      ++acceptances;
    }
  }
  EXPECT_GT(acceptances, 0u);
  for (const auto& [clock, count] : predecessors) EXPECT_EQ(count, 1) << "two acceptances after clock " << clock;
  EXPECT_EQ(latest, static_cast<std::uint64_t>(kRounds * kThreads));
  auto final_state = history.Compare(kAik, {0, 0, 0});
  ASSERT_TRUE(final_state.ok());
  EXPECT_EQ(final_state->last, (ClockSnapshot{latest, 0, 0}));
}

TEST(StoreAttestationHistory, RecordIfLaterKeepsTheLatestWhateverTheWriteOrder) {
  HistoryStore store;
  auto& history = store.history();
  ASSERT_TRUE(history.RecordIfLater(kAik, {500, 2, 1}).ok());
  ASSERT_TRUE(history.RecordIfLater(kAik, {900, 2, 0}).ok());  // an earlier restart
  ASSERT_TRUE(history.RecordIfLater(kAik, {400, 2, 1}).ok());  // an earlier clock
  EXPECT_EQ(history.Last(kAik).value(), (ClockSnapshot{500, 2, 1}));
  ASSERT_TRUE(history.RecordIfLater(kAik, {1, 3, 0}).ok());  // a later reset
  EXPECT_EQ(history.Last(kAik).value(), (ClockSnapshot{1, 3, 0}));
  // Unsigned clocks beyond what a signed column holds still order after smaller ones.
  ASSERT_TRUE(history.RecordIfLater(kAik, {~0ull, 3, 0}).ok());
  ASSERT_TRUE(history.RecordIfLater(kAik, {5, 3, 0}).ok());
  EXPECT_EQ(history.Last(kAik).value(), (ClockSnapshot{~0ull, 3, 0}));
}

TEST(RememberedAttestationHistory, DecidesInMemoryAndReadsThroughOnce) {
  HistoryStore store;
  ASSERT_TRUE(store.history().RecordIfLater(kAik, {100, 1, 0}).ok());
  policy::RememberedAttestationHistory remembered(store.history());

  auto behind = remembered.CompareAndRecord(kAik, {99, 1, 0});
  ASSERT_TRUE(behind.ok());
  EXPECT_EQ(behind->order, ClockOrder::kClockBackwards) << "read through from the store";
  auto forward = remembered.CompareAndRecord(kAik, {150, 1, 0});
  ASSERT_TRUE(forward.ok());
  EXPECT_EQ(forward->order, ClockOrder::kForward);
  EXPECT_EQ(forward->last, (ClockSnapshot{100, 1, 0}));
  // Decided in memory: the store is written by whoever stores the result.
  EXPECT_EQ(store.history().Last(kAik).value(), (ClockSnapshot{100, 1, 0}));
  auto replay = remembered.CompareAndRecord(kAik, {120, 1, 0});
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(replay->order, ClockOrder::kClockBackwards) << "compared with the accepted 150, not the stored 100";

  auto first = remembered.CompareAndRecord(kOtherAik, {5, 0, 0});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->order, ClockOrder::kFirst);
}

TEST(RememberedAttestationHistory, StartsOverWhenFullAndReadsThroughAgain) {
  HistoryStore store;
  policy::RememberedAttestationHistory remembered(store.history(), 1);
  ASSERT_TRUE(remembered.CompareAndRecord(kAik, {100, 1, 0}).ok());
  ASSERT_TRUE(store.history().RecordIfLater(kAik, {100, 1, 0}).ok());  // as the result writer does
  ASSERT_TRUE(remembered.CompareAndRecord(kOtherAik, {1, 0, 0}).ok());  // evicts kAik
  auto behind = remembered.Compare(kAik, {50, 1, 0});
  ASSERT_TRUE(behind.ok());
  EXPECT_EQ(behind->order, ClockOrder::kClockBackwards);
}

}  // namespace
}  // namespace vtpmd::testing
