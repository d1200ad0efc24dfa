#include "core/remembered_reads.h"

#include <gtest/gtest.h>

#include <string>

namespace vtpmd {
namespace {

TEST(RememberedReads, AValueLivesUntilTheTablesChange) {
  RememberedReads<std::string, int> reads(8);
  reads.Remember("a", 1, 5);
  EXPECT_EQ(reads.Recall("a", 5), 1);
  EXPECT_EQ(reads.Recall("b", 5), std::nullopt);
  EXPECT_EQ(reads.Recall("a", 6), std::nullopt) << "a change forgets everything";
  EXPECT_EQ(reads.Recall("a", 6), std::nullopt);
}

// Two readers count, read and finish in either order: what the slower one read
// before a change is not kept, and its older count forgets nothing newer.
TEST(RememberedReads, AReadFromBeforeAChangeIsNotKept) {
  RememberedReads<std::string, int> reads(8);
  reads.Remember("fresh", 2, 7);
  reads.Remember("stale", 1, 6);
  EXPECT_EQ(reads.Recall("stale", 7), std::nullopt);
  EXPECT_EQ(reads.Recall("fresh", 6), std::nullopt);
  EXPECT_EQ(reads.Recall("fresh", 7), 2) << "the older count did not forget it";
}

TEST(RememberedReads, AFullMemoryStartsOver) {
  RememberedReads<int, int> reads(2);
  reads.Remember(1, 1, 0);
  reads.Remember(2, 2, 0);
  reads.Remember(3, 3, 0);
  EXPECT_EQ(reads.Recall(1, 0), std::nullopt);
  EXPECT_EQ(reads.Recall(3, 0), 3);
}

}  // namespace
}  // namespace vtpmd
