#include "core/uuid.h"

#include <gtest/gtest.h>

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
