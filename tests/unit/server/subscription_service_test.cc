#include "server/app/subscription_service.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/bytes.h"
#include "schema/schema.h"
#include "server/webhooks/webhook_signature.h"

namespace vtpmd::app {
namespace {

const SubscriptionCaller kAlice{"token-alice", false};
const SubscriptionCaller kBob{"token-bob", false};
const SubscriptionCaller kAdmin{"token-admin", true};

std::string Text(const SecretBytes& secret) {
  return std::string(reinterpret_cast<const char*>(secret.data()), secret.size());
}

class SubscriptionServiceTest : public ::testing::Test {
 protected:
  SubscriptionServiceTest()
      : store_(Store::OpenInMemory(schema::Migrations()).value()),
        clock_(std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000))),
        events_(EventLog::Open(*store_, clock_, rng_).value()),
        data_key_(rng_.GenerateSecret(32).value()),
        service_(Options(), *store_, *events_, data_key_, clock_, rng_) {}

  SubscriptionService::Options Options() {
    SubscriptionService::Options options;
    options.rotation_grace = std::chrono::seconds(3600);
    options.changed = [this](std::string_view id) { changed_.emplace_back(id); };
    return options;
  }

  Status RecordPolicyEvent(const std::string& name) {
    return store_->Transaction(
        [&] { return events_->Record("policy.deleted", "policies/" + name, R"({"name":")" + name + "\"}"); });
  }

  SubscriptionSettings Settings(std::vector<std::string> types = {"policy.*"}) {
    return {"https://hooks.example.com/vtpmd", std::move(types), {}, {}};
  }

  std::unique_ptr<Store> store_;
  FakeClock clock_;
  OsRng rng_;
  std::unique_ptr<EventLog> events_;
  SecretBytes data_key_;
  std::vector<std::string> changed_;
  SubscriptionService service_;
};

TEST_F(SubscriptionServiceTest, DeliveriesStartAfterTheNewestEventAndTheSecretIsSealed) {
  ASSERT_TRUE(RecordPolicyEvent("a").ok());
  ASSERT_TRUE(RecordPolicyEvent("b").ok());
  auto created = service_.Create(kAlice, Settings());
  ASSERT_TRUE(created.ok()) << created.error().message();
  EXPECT_EQ(created->subscription.cursor, 2);
  EXPECT_EQ(created->subscription.state, SubscriptionState::kActive);
  EXPECT_EQ(changed_, std::vector<std::string>{created->subscription.id});

  const std::string secret = Text(created->secret);
  ASSERT_EQ(secret.rfind("whsec_", 0), 0u);
  auto stored = service_.Get(kAlice, created->subscription.id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->secret_sealed.size(), 32u + 12u + 16u) << "AES-256-GCM: nonce, key, tag";
  auto key = OpenSubscriptionKey(data_key_, stored->id, stored->secret_sealed);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ("whsec_" + Base64Encode(key->view()), secret);
  // Bound to its subscription: another id cannot open it.
  EXPECT_FALSE(OpenSubscriptionKey(data_key_, "another", stored->secret_sealed).ok());
}

TEST_F(SubscriptionServiceTest, OnlyTheOwnerOrAnAdminSeesOrChangesASubscription) {
  auto created = service_.Create(kAlice, Settings());
  ASSERT_TRUE(created.ok());
  const std::string id = created->subscription.id;
  EXPECT_EQ(service_.Get(kBob, id).error().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(service_.List(kBob)->empty());
  EXPECT_EQ(service_.Update(kBob, id, {.url = {}, .event_types = {}, .vm_ids = {}, .instance_ids = {},
                                       .state = SubscriptionState::kPaused})
                .error()
                .code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(service_.Delete(kBob, id).error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(service_.RotateSecret(kBob, id).error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(service_.Deliveries(kBob, id, 0, 10).error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(service_.Get(kAlice, id)->state, SubscriptionState::kActive) << "Bob changed nothing";
  EXPECT_EQ(service_.List(kAdmin)->size(), 1u);
  EXPECT_TRUE(service_.Delete(kAdmin, id).ok());
  EXPECT_EQ(service_.Get(kAlice, id).error().code(), ErrorCode::kNotFound);
}

TEST_F(SubscriptionServiceTest, RotationKeepsThePreviousSecretForTheGracePeriod) {
  auto created = service_.Create(kAlice, Settings());
  ASSERT_TRUE(created.ok());
  auto rotated = service_.RotateSecret(kAlice, created->subscription.id);
  ASSERT_TRUE(rotated.ok());
  EXPECT_NE(Text(rotated->secret), Text(created->secret));
  auto stored = service_.Get(kAlice, created->subscription.id);
  ASSERT_TRUE(stored->previous_secret_sealed.has_value());
  EXPECT_EQ(stored->previous_secret_until, 1'800'000'000 + 3600);
  auto previous = OpenSubscriptionKey(data_key_, stored->id, *stored->previous_secret_sealed);
  ASSERT_TRUE(previous.ok());
  EXPECT_EQ("whsec_" + Base64Encode(previous->view()), Text(created->secret));
}

TEST_F(SubscriptionServiceTest, ResumingADisabledSubscriptionStartsAFreshFailureStreak) {
  auto created = service_.Create(kAlice, Settings());
  ASSERT_TRUE(created.ok());
  const std::string id = created->subscription.id;
  SubscriptionRecords records(*store_);
  ASSERT_TRUE(records.SaveProgress({id, 0, 3, 123, 7}).ok());
  ASSERT_TRUE(records.Disable(id, "7 consecutive deliveries failed").value());
  EXPECT_FALSE(records.Disable(id, "again").value()) << "only an active subscription is disabled";
  EXPECT_EQ(service_.Get(kAlice, id)->state, SubscriptionState::kDisabled);

  auto resumed = service_.Update(kAlice, id, {.url = {}, .event_types = {}, .vm_ids = {}, .instance_ids = {},
                                              .state = SubscriptionState::kActive});
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(resumed->state, SubscriptionState::kActive);
  EXPECT_EQ(resumed->failure_streak, 0);
  EXPECT_EQ(resumed->next_attempt_at_ms, 0);
  EXPECT_EQ(resumed->head_attempts, 3) << "the event owed keeps its attempt count";
  EXPECT_TRUE(resumed->state_detail.empty());
}

TEST_F(SubscriptionServiceTest, RedeliveryQueuesOnlySubscriptionsThatSelectTheEvent) {
  auto policies = service_.Create(kAlice, Settings({"policy.*"}));
  auto instances = service_.Create(kAlice, Settings({"instance.*"}));
  ASSERT_TRUE(policies.ok() && instances.ok());
  ASSERT_TRUE(RecordPolicyEvent("p").ok());
  auto event = events_->List({.after_seq = 0, .limit = 10, .subject = {}, .types = {}});
  ASSERT_EQ(event->events.size(), 1u);
  const std::string event_id = event->events[0].id;

  auto queued = service_.Redeliver(kAlice, event_id, std::nullopt);
  ASSERT_TRUE(queued.ok());
  EXPECT_EQ(*queued, std::vector<std::string>{policies->subscription.id});
  EXPECT_EQ(SubscriptionRecords(*store_).ListRedeliveries(policies->subscription.id)->size(), 1u);
  EXPECT_EQ(service_.Redeliver(kAlice, event_id, instances->subscription.id).error().code(),
            ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(service_.Redeliver(kBob, event_id, std::nullopt)->empty()) << "Bob has no subscriptions";
  EXPECT_EQ(service_.Redeliver(kAlice, "missing", std::nullopt).error().code(), ErrorCode::kNotFound);
}

TEST_F(SubscriptionServiceTest, PrivateAndMalformedCallbacksAreRefusedAndStoreNothing) {
  for (const char* url : {"https://10.0.0.1/hook", "https://169.254.169.254/", "http://example.com/hook",
                          "https://[::1]/hook", "not a url"}) {
    SubscriptionSettings settings = Settings();
    settings.url = url;
    auto refused = service_.Create(kAlice, settings);
    ASSERT_FALSE(refused.ok()) << url;
    EXPECT_EQ(refused.error().code(), ErrorCode::kInvalidArgument) << url;
  }
  EXPECT_TRUE(service_.List(kAdmin)->empty());
  EXPECT_TRUE(changed_.empty());
}

TEST_F(SubscriptionServiceTest, PruningDeletesOnlyAttemptsOlderThanTheCutoffAFewAtATime) {
  auto created = service_.Create(kAlice, Settings());
  ASSERT_TRUE(created.ok());
  SubscriptionRecords records(*store_);
  for (std::int64_t at_ms : {1000, 2000, 3000, 4000}) {
    DeliveryAttempt attempt;
    attempt.subscription_id = created->subscription.id;
    attempt.event_id = "e";
    attempt.event_seq = 1;
    attempt.attempted_at_ms = at_ms;
    ASSERT_TRUE(records.AddAttempt(attempt).ok());
  }
  const auto remaining = [&] {
    std::vector<std::int64_t> times;
    auto attempts = records.ListAttempts(created->subscription.id, 0, 10);
    if (!attempts.ok()) return times;
    for (const DeliveryAttempt& a : *attempts) times.push_back(a.attempted_at_ms);
    return times;
  };
  EXPECT_EQ(*records.PruneAttempts(3500, 2), 2) << "at most the 2 oldest rows are looked at";
  EXPECT_EQ(remaining(), (std::vector<std::int64_t>{4000, 3000}));
  EXPECT_EQ(*records.PruneAttempts(3500, 100), 1);
  EXPECT_EQ(*records.PruneAttempts(3500, 100), 0);
  EXPECT_EQ(remaining(), std::vector<std::int64_t>{4000});
}

TEST_F(SubscriptionServiceTest, OneTokenOwnsAtMost100Subscriptions) {
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(service_.Create(kAlice, Settings()).ok()) << i;
  auto refused = service_.Create(kAlice, Settings());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(service_.Create(kBob, Settings()).ok()) << "the cap is per token";
}

TEST_F(SubscriptionServiceTest, DisablingWhatARevokedTokenOwnedStopsOnlyItsSubscriptions) {
  auto alices = service_.Create(kAlice, Settings());
  auto bobs = service_.Create(kBob, Settings());
  ASSERT_TRUE(alices.ok() && bobs.ok());
  changed_.clear();
  ASSERT_TRUE(store_->Transaction([&] { return service_.DisableOwnedBy(kAlice.token_id); }).ok());
  EXPECT_EQ(service_.Get(kAdmin, alices->subscription.id)->state, SubscriptionState::kDisabled);
  EXPECT_EQ(service_.Get(kAdmin, bobs->subscription.id)->state, SubscriptionState::kActive);
  EXPECT_EQ(changed_, std::vector<std::string>{alices->subscription.id});
}

TEST(EventSelection, TypesPatternsAndScopeFilters) {
  Event event{1, "e", "instance.migration.started", "instances/i", "{}", 0, {"i-1", "vm-1"}};
  EXPECT_TRUE(EventSelected({"*"}, {}, {}, event));
  EXPECT_TRUE(EventSelected({"instance.migration.*"}, {}, {}, event));
  EXPECT_TRUE(EventSelected({"instance.*"}, {"vm-1"}, {"i-1"}, event));
  EXPECT_FALSE(EventSelected({"instance.migration"}, {}, {}, event));
  EXPECT_FALSE(EventSelected({"instance.migration.started.*"}, {}, {}, event));
  EXPECT_FALSE(EventSelected({"certificate.*"}, {}, {}, event));
  EXPECT_FALSE(EventSelected({"*"}, {"vm-2"}, {}, event));
  EXPECT_FALSE(EventSelected({"*"}, {}, {"i-2"}, event));
  event.scope = {};
  EXPECT_FALSE(EventSelected({"*"}, {"vm-1"}, {}, event)) << "an event about no VM is not about vm-1";
}

}  // namespace
}  // namespace vtpmd::app
