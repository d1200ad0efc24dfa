#include "core/uuid.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

namespace vtpmd {
namespace {

TEST(Uuid, NewUuidsAreVersion4AndCanonical) {
  DeterministicRng rng(3);
  auto a = NewUuid(rng);
  auto b = NewUuid(rng);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_EQ((*a)[14], '4');
  EXPECT_NE(std::string("89ab").find((*a)[19]), std::string::npos);
  EXPECT_EQ(*CanonicalUuid(*a), *a);
}

TEST(Uuid, TimeOrderedUuidsCarryTheirMillisecondAndSortByIt) {
  DeterministicRng rng(5);
  const TimePoint at{std::chrono::milliseconds(0x018f3a5b7c9dLL)};
  auto first = NewTimeOrderedUuid(rng, at);
  auto same_millisecond = NewTimeOrderedUuid(rng, at);
  auto later = NewTimeOrderedUuid(rng, at + std::chrono::milliseconds(1));
  ASSERT_TRUE(first.ok() && same_millisecond.ok() && later.ok());
  EXPECT_EQ(first->substr(0, 15), "018f3a5b-7c9d-7");
  EXPECT_NE(*first, *same_millisecond);
  EXPECT_NE(std::string("89ab").find((*first)[19]), std::string::npos);
  EXPECT_EQ(*CanonicalUuid(*first), *first);
  EXPECT_LT(std::max(*first, *same_millisecond), *later);
  EXPECT_FALSE(NewTimeOrderedUuid(rng, TimePoint{std::chrono::milliseconds(-1)}).ok());
}

TEST(Uuid, CanonicalFormLowerCasesAndRejectsEverythingElse) {
  EXPECT_EQ(*CanonicalUuid("0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0"), "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
  for (const char* bad : {"", "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "{0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0}",
                          "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1fg", "0f1e2d3c-4b5a-6978-8796_a5b4c3d2e1f0",
                          "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0 ", "../../etc/passwd-aaaaaaaaaaaaaaaaaaaaaa"}) {
    EXPECT_FALSE(CanonicalUuid(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace vtpmd
