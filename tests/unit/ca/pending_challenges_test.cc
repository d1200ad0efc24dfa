// The in-memory table of issued AIK challenges: its capacity counts only what is
// pending and unexpired, one attempt takes a challenge, and an expired one is
// remembered for a while so that its late answer is told so.

#include "ca/pending_challenges.h"

#include <gtest/gtest.h>

#include "ca_test_support.h"

namespace vtpmd::ca {
namespace {

constexpr std::chrono::seconds kLifetime{60};

PendingChallenge IssuedAt(TimePoint now) {
  return PendingChallenge{.instance_id = "",
                          .vm_id = "",
                          .host_name = "test TPM",
                          .ek_not_after = now + std::chrono::hours(24),
                          .aik_public = Bytes{1, 2, 3},
                          .secret_hash = Bytes(32, 7),
                          .created_at = now,
                          .expires_at = now + kLifetime,
                          .host_signed = false,
                          .platform = false};
}

TEST(PendingChallenges, CapacityCountsOnlyChallengesStillPending) {
  const TimePoint start = testing::TestStart();
  PendingChallenges pending(kLifetime, 2);
  ASSERT_TRUE(pending.Add("a", IssuedAt(start), start).ok());
  ASSERT_TRUE(pending.Add("b", IssuedAt(start), start).ok());
  Status full = pending.Add("c", IssuedAt(start), start);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code(), ErrorCode::kResourceExhausted);

  ASSERT_TRUE(pending.Take("a", start).ok());
  EXPECT_TRUE(pending.Add("c", IssuedAt(start), start).ok()) << "a taken challenge is no longer pending";

  const TimePoint later = start + kLifetime;
  EXPECT_TRUE(pending.Add("d", IssuedAt(later), later).ok()) << "expired challenges stop counting";
  EXPECT_TRUE(pending.Add("e", IssuedAt(later), later).ok());
  EXPECT_FALSE(pending.Add("f", IssuedAt(later), later).ok());
}

TEST(PendingChallenges, OneAttemptTakesAChallenge) {
  const TimePoint start = testing::TestStart();
  PendingChallenges pending(kLifetime, 10);
  ASSERT_TRUE(pending.Add("a", IssuedAt(start), start).ok());
  EXPECT_FALSE(pending.Add("a", IssuedAt(start), start).ok()) << "an id is issued once";

  Result<PendingChallenge> taken = pending.Take("a", start);
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken->secret_hash, Bytes(32, 7));
  EXPECT_EQ(pending.Take("a", start).error().code(), ErrorCode::kFailedPrecondition);
  pending.Forget("a");
  EXPECT_EQ(pending.Take("a", start).error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(pending.Take("never-issued", start).error().code(), ErrorCode::kNotFound);
}

TEST(PendingChallenges, AnExpiredChallengeIsHandedOutForOneMoreLifetimeThenForgotten) {
  const TimePoint start = testing::TestStart();
  PendingChallenges pending(kLifetime, 10);
  ASSERT_TRUE(pending.Add("late", IssuedAt(start), start).ok());
  ASSERT_TRUE(pending.Add("later", IssuedAt(start), start).ok());

  // The caller compares expires_at with its clock and refuses it as expired.
  Result<PendingChallenge> late = pending.Take("late", start + kLifetime + std::chrono::seconds(1));
  ASSERT_TRUE(late.ok());
  EXPECT_LE(late->expires_at, start + kLifetime + std::chrono::seconds(1));

  EXPECT_EQ(pending.Take("later", start + 2 * kLifetime).error().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace vtpmd::ca
