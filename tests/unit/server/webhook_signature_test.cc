#include "server/webhooks/webhook_signature.h"

#include <gtest/gtest.h>

#include <string>

#include "core/bytes.h"
#include "server/webhooks/retry_schedule.h"

namespace vtpmd::webhooks {
namespace {

std::string Text(const SecretBytes& secret) {
  return std::string(reinterpret_cast<const char*>(secret.data()), secret.size());
}

// The example of the Standard Webhooks specification, which the standardwebhooks
// npm package (our receivers' reference) reproduces.
TEST(WebhookSecret, SignsTheStandardWebhooksExample) {
  auto key = Base64Decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  ASSERT_TRUE(key.ok());
  auto secret = WebhookSecret::FromKey(SecretBytes::CopyFrom(*key));
  ASSERT_TRUE(secret.ok()) << secret.error().message();
  EXPECT_EQ(Text(secret->Text()), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  EXPECT_EQ(secret->Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})").value(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  // Any change to id, time or body changes the signature.
  EXPECT_NE(secret->Sign("msg_p5jXN8AQM9LWM0D4loKWxJel", 1614265330, R"({"test": 2432232314})").value(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  EXPECT_NE(secret->Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331, R"({"test": 2432232314})").value(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(WebhookSecret, GeneratedSecretsAre32RandomBytesAndKeysOutsideTheRangeAreRefused) {
  OsRng rng;
  auto a = WebhookSecret::Generate(rng);
  auto b = WebhookSecret::Generate(rng);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->key().size(), 32u);
  EXPECT_NE(Text(a->Text()), Text(b->Text()));
  EXPECT_EQ(Text(a->Text()).rfind("whsec_", 0), 0u);
  EXPECT_FALSE(WebhookSecret::FromKey(SecretBytes(23)).ok());
  EXPECT_FALSE(WebhookSecret::FromKey(SecretBytes(65)).ok());
  EXPECT_TRUE(WebhookSecret::FromKey(SecretBytes(24)).ok());
}

TEST(RetrySchedule, DoublesFromTheFirstDelayUpToTheCapWithJitterInTheUpperHalf) {
  const RetrySchedule schedule{std::chrono::milliseconds(1000), std::chrono::milliseconds(8000)};
  EXPECT_EQ(RetryDelay(schedule, 1, 0.0), std::chrono::milliseconds(500));
  EXPECT_EQ(RetryDelay(schedule, 1, 0.999999), std::chrono::milliseconds(999));
  EXPECT_EQ(RetryDelay(schedule, 2, 0.0), std::chrono::milliseconds(1000));
  EXPECT_EQ(RetryDelay(schedule, 3, 0.5), std::chrono::milliseconds(3000));
  EXPECT_EQ(RetryDelay(schedule, 4, 0.0), std::chrono::milliseconds(4000));
  EXPECT_EQ(RetryDelay(schedule, 5, 0.0), std::chrono::milliseconds(4000)) << "capped at 8 s";
  EXPECT_EQ(RetryDelay(schedule, 1'000'000, 1.0), std::chrono::milliseconds(8000));
  EXPECT_EQ(RetryDelay(schedule, 0, 0.0), std::chrono::milliseconds(500));
}

}  // namespace
}  // namespace vtpmd::webhooks
