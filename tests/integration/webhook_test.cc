// Webhook subscriptions end to end: the real vtpmd delivering to a relying party
// written in node that checks every signature with the standardwebhooks package
// (an implementation sharing no code with ours), over TLS with its own certificate.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

#include "tests/integration/test_server.h"
#include "tests/integration/webhook_receiver.h"

namespace vtpmd::testing {
namespace {

std::string Field(const boost::json::value& v, std::string_view key) {
  return std::string(v.as_object().at(key).as_string());
}

// Polls what the receiver or vtpmd shows; the bound is generous for sanitizer builds.
bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 600; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

std::vector<std::string> ReceiverFlags(const WebhookReceiver& receiver) {
  return {"--webhook-allow-loopback", "true", "--webhook-ca-file", receiver.ca_file().string(),
          "--webhook-retry-first-ms", "100", "--webhook-retry-max-ms", "400",
          "--webhook-disable-after-failures", "4", "--webhook-timeout-ms", "1000"};
}

std::string NewToken(const VtpmdProcess& server, const std::string& role) {
  JsonReply issued = Call(server, "POST", "/v1/tokens", server.admin_token(), R"({"role":")" + role + "\"}");
  EXPECT_EQ(issued.status, 201u) << issued.raw;
  return Field(issued.body, "token");
}

struct Subscribed {
  std::string token;
  std::string id;
};

// A new subscriber token and its subscription to policy.deleted at `path`, whose
// secret the receiver accepts.
Subscribed SubscribeWithNewToken(const VtpmdProcess& server, const WebhookReceiver& receiver, const std::string& path) {
  const std::string token = NewToken(server, "subscriber");
  JsonReply created = Call(server, "POST", "/v1/subscriptions", token,
                           R"({"url":")" + receiver.Url(path) + R"(","event_types":["policy.deleted"]})");
  EXPECT_EQ(created.status, 201u) << created.raw;
  if (created.status != 201u) return {token, ""};
  receiver.AcceptSecrets(path, {Field(created.body, "secret")});
  return {token, Field(created.body, "id")};
}

// A policy created and deleted: one policy.deleted event, whose id is returned.
std::string PolicyDeletedEvent(const VtpmdProcess& server, const std::string& name) {
  const std::string admin = server.admin_token();
  const std::string document =
      R"({"name":")" + name + R"(","guest":{"pcrs":{"sha256":{"0":[")" + std::string(64, '0') + R"("]}}}})";
  EXPECT_EQ(Call(server, "POST", "/v1/policies", admin, document).status, 201u);
  EXPECT_EQ(Call(server, "DELETE", "/v1/policies/" + name, admin).status, 204u);
  JsonReply events = Call(server, "GET", "/v1/events?subject=policies/" + name, admin);
  const auto& list = events.body.as_object().at("events").as_array();
  return list.empty() ? std::string() : Field(list.back(), "id");
}

class WebhookTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scratch_ = MakeTempDir("vtpmd-webhooks");
    auto receiver = WebhookReceiver::Start(scratch_);
    ASSERT_TRUE(receiver.ok()) << receiver.error().message();
    receiver_ = std::move(*receiver).release();
    auto server = VtpmdProcess::Start(scratch_ / "data", ReceiverFlags(*receiver_));
    ASSERT_TRUE(server.ok()) << server.error().message();
    server_ = std::move(*server).release();
    subscriber_ = NewToken(*server_, "subscriber");
  }
  static void TearDownTestSuite() {
    delete server_;
    delete receiver_;
    std::filesystem::remove_all(scratch_);
  }

  static const VtpmdProcess& server() { return *server_; }
  static const WebhookReceiver& receiver() { return *receiver_; }

  // A subscription to policy.deleted events at `path`, whose secret the receiver accepts.
  static boost::json::value Subscribe(const std::string& path, const std::string& extra = "") {
    JsonReply created = Call(server(), "POST", "/v1/subscriptions", subscriber_,
                             R"({"url":")" + receiver().Url(path) + R"(","event_types":["policy.deleted"])" + extra + "}");
    EXPECT_EQ(created.status, 201u) << created.raw;
    const std::string secret = Field(created.body, "secret");
    EXPECT_EQ(secret.rfind("whsec_", 0), 0u) << secret;
    receiver().AcceptSecrets(path, {secret});
    return created.body;
  }

  static std::string subscriber_;

 private:
  static std::filesystem::path scratch_;
  static WebhookReceiver* receiver_;
  static VtpmdProcess* server_;
};

std::filesystem::path WebhookTest::scratch_;
WebhookReceiver* WebhookTest::receiver_ = nullptr;
VtpmdProcess* WebhookTest::server_ = nullptr;
std::string WebhookTest::subscriber_;

TEST_F(WebhookTest, DeliversVerifiableEventsInOrderAndRetriesFailures) {
  const std::string id = Field(Subscribe("/ordered"), "id");
  receiver().Script("/ordered", {500, 503});
  const std::vector<std::string> events = {PolicyDeletedEvent(server(), "ordered-1"),
                                           PolicyDeletedEvent(server(), "ordered-2"),
                                           PolicyDeletedEvent(server(), "ordered-3")};
  ASSERT_TRUE(Eventually([&] { return receiver().AcceptedIds("/ordered").size() >= 3; }));
  EXPECT_EQ(receiver().AcceptedIds("/ordered"), events);

  // Every attempt verified, and the failed first event was retried under its own id
  // (webhook-id stays the same, so receivers can deduplicate) before the next was sent.
  std::vector<std::string> attempts;
  for (const boost::json::value& entry : receiver().Log()) {
    if (Field(entry, "path") != "/ordered") continue;
    EXPECT_TRUE(entry.as_object().at("verified").as_bool()) << entry;
    EXPECT_EQ(Field(entry, "type"), "policy.deleted");
    attempts.push_back(Field(entry, "id"));
  }
  EXPECT_EQ(attempts, (std::vector<std::string>{events[0], events[0], events[0], events[1], events[2]}));

  // Outcomes are recorded within milliseconds of their answers, not before them.
  JsonReply deliveries;
  const auto listed = [&] {
    deliveries = Call(server(), "GET", "/v1/subscriptions/" + id + "/deliveries", subscriber_);
    return deliveries.status == 200u && deliveries.body.as_object().at("deliveries").as_array().size() >= 5;
  };
  ASSERT_TRUE(Eventually(listed)) << deliveries.raw;
  const auto& list = deliveries.body.as_object().at("deliveries").as_array();
  ASSERT_EQ(list.size(), 5u) << deliveries.raw;
  // Newest first: the first event's three attempts are the last three rows.
  EXPECT_EQ(list[4].as_object().at("http_status").as_int64(), 500);
  EXPECT_EQ(Field(list[4], "outcome"), "retrying");
  EXPECT_EQ(list[3].as_object().at("http_status").as_int64(), 503);
  EXPECT_EQ(Field(list[2], "outcome"), "delivered");
  EXPECT_EQ(list[2].as_object().at("attempt").as_int64(), 3);
}

TEST_F(WebhookTest, FiltersAndPauseHoldBackWhatTheyShould) {
  Subscribe("/everything");
  const std::string filtered_id =
      Field(Subscribe("/one-vm", R"(,"vm_ids":["11111111-2222-4333-8444-555555555555"])"), "id");
  const std::string paused_id = Field(Subscribe("/paused"), "id");
  JsonReply paused = Call(server(), "PATCH", "/v1/subscriptions/" + paused_id, subscriber_, R"({"state":"paused"})");
  ASSERT_EQ(paused.status, 200u) << paused.raw;
  EXPECT_EQ(Field(paused.body, "state"), "paused");

  const std::string event = PolicyDeletedEvent(server(), "filtered");
  ASSERT_TRUE(Eventually([&] { return receiver().AcceptedIds("/everything").size() == 1; }));
  // Lanes are served together, so what the others would have got is there by now.
  EXPECT_TRUE(receiver().AcceptedIds("/one-vm").empty()) << "a policy event is about no VM";
  EXPECT_TRUE(receiver().AcceptedIds("/paused").empty());

  ASSERT_EQ(Call(server(), "PATCH", "/v1/subscriptions/" + paused_id, subscriber_, R"({"state":"active"})").status,
            200u);
  ASSERT_TRUE(Eventually([&] { return receiver().AcceptedIds("/paused").size() == 1; }));
  EXPECT_EQ(receiver().AcceptedIds("/paused").front(), event) << "what was held while paused arrives on resume";
  EXPECT_EQ(Call(server(), "DELETE", "/v1/subscriptions/" + filtered_id, subscriber_).status, 204u);
}

TEST_F(WebhookTest, RotatedOutSecretStillSignsDuringTheGracePeriod) {
  const boost::json::value created = Subscribe("/rotated");
  const std::string id = Field(created, "id");
  const std::string old_secret = Field(created, "secret");
  JsonReply rotated = Call(server(), "POST", "/v1/subscriptions/" + id + "/rotate-secret", subscriber_);
  ASSERT_EQ(rotated.status, 200u) << rotated.raw;
  const std::string new_secret = Field(rotated.body, "secret");
  EXPECT_NE(new_secret, old_secret);
  EXPECT_TRUE(rotated.body.as_object().contains("previous_secret_valid_until")) << rotated.raw;

  receiver().AcceptSecrets("/rotated", {new_secret});
  PolicyDeletedEvent(server(), "rotated-1");
  ASSERT_TRUE(Eventually([&] { return receiver().AcceptedIds("/rotated").size() == 1; }));
  receiver().AcceptSecrets("/rotated", {old_secret});
  PolicyDeletedEvent(server(), "rotated-2");
  ASSERT_TRUE(Eventually([&] { return receiver().AcceptedIds("/rotated").size() == 2; }));
  // The secret is shown when made, never again.
  EXPECT_FALSE(Call(server(), "GET", "/v1/subscriptions/" + id, subscriber_).body.as_object().contains("secret"));
}

TEST_F(WebhookTest, RedeliverSendsAnEventAgainUnderTheSameId) {
  const std::string id = Field(Subscribe("/again"), "id");
  const std::string event = PolicyDeletedEvent(server(), "again");
  ASSERT_TRUE(Eventually([&] { return receiver().AcceptedIds("/again").size() == 1; }));
  JsonReply asked = Call(server(), "POST", "/v1/events/" + event + "/redeliver", subscriber_,
                         R"({"subscription_id":")" + id + "\"}");
  ASSERT_EQ(asked.status, 202u) << asked.raw;
  ASSERT_TRUE(Eventually([&] { return receiver().AcceptedIds("/again").size() == 2; }));
  EXPECT_EQ(receiver().AcceptedIds("/again"), (std::vector<std::string>{event, event}));
  EXPECT_EQ(Call(server(), "POST", "/v1/events/no-such-event/redeliver", subscriber_).status, 404u);
}

TEST_F(WebhookTest, AFailingEndpointIsDisabledWithAnEventAndResumesWhenAsked) {
  const std::string id = Field(Subscribe("/failing"), "id");
  receiver().Script("/failing", {500, "hang", 502, 500});  // --webhook-disable-after-failures 4
  const std::string event = PolicyDeletedEvent(server(), "failing");
  ASSERT_TRUE(Eventually([&] {
    return Field(Call(server(), "GET", "/v1/subscriptions/" + id, subscriber_).body, "state") == "disabled";
  }));
  JsonReply disabled = Call(server(), "GET", "/v1/events?types=subscription.disabled", subscriber_);
  EXPECT_NE(disabled.raw.find(id), std::string::npos) << disabled.raw;
  // Every subscriber reads the log: the endpoint and its errors stay with the owner.
  EXPECT_EQ(disabled.raw.find("/failing"), std::string::npos) << disabled.raw;
  EXPECT_NE(Field(Call(server(), "GET", "/v1/subscriptions/" + id, subscriber_).body, "state_detail")
                .find("consecutive deliveries failed"),
            std::string::npos);

  // Resuming starts a new streak; the event that was owed is delivered.
  ASSERT_EQ(Call(server(), "PATCH", "/v1/subscriptions/" + id, subscriber_, R"({"state":"active"})").status, 200u);
  ASSERT_TRUE(Eventually([&] { return receiver().AcceptedIds("/failing").size() == 1; }));
  EXPECT_EQ(receiver().AcceptedIds("/failing").front(), event);
}

TEST_F(WebhookTest, RevokingTheOwnersTokenDisablesItsSubscriptions) {
  JsonReply issued = Call(server(), "POST", "/v1/tokens", server().admin_token(), R"({"role":"subscriber"})");
  ASSERT_EQ(issued.status, 201u) << issued.raw;
  const std::string token = Field(issued.body, "token");
  JsonReply created = Call(server(), "POST", "/v1/subscriptions", token,
                           R"({"url":")" + receiver().Url("/revoked") + R"(","event_types":["policy.deleted"]})");
  ASSERT_EQ(created.status, 201u) << created.raw;
  const std::string id = Field(created.body, "id");
  ASSERT_EQ(Call(server(), "DELETE", "/v1/tokens/" + Field(issued.body, "id"), server().admin_token()).status, 204u);
  const boost::json::value after = Call(server(), "GET", "/v1/subscriptions/" + id, server().admin_token()).body;
  EXPECT_EQ(Field(after, "state"), "disabled");
  EXPECT_NE(Field(after, "state_detail").find("revoked"), std::string::npos) << after;
}

TEST_F(WebhookTest, SubscribersSeeAndChangeOnlyTheirOwnSubscriptions) {
  const std::string id = Field(Subscribe("/mine"), "id");
  const std::string other = NewToken(server(), "subscriber");
  for (const auto& [method, path, body] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"GET", "/v1/subscriptions/" + id, ""},
           {"PATCH", "/v1/subscriptions/" + id, R"({"state":"paused"})"},
           {"DELETE", "/v1/subscriptions/" + id, ""},
           {"POST", "/v1/subscriptions/" + id + "/rotate-secret", ""},
           {"GET", "/v1/subscriptions/" + id + "/deliveries", ""},
       }) {
    EXPECT_EQ(Call(server(), method, path, other, body).status, 404u) << method << " " << path;
  }
  JsonReply theirs = Call(server(), "GET", "/v1/subscriptions", other);
  EXPECT_TRUE(theirs.body.as_object().at("subscriptions").as_array().empty()) << theirs.raw;
  EXPECT_EQ(Field(Call(server(), "GET", "/v1/subscriptions/" + id, subscriber_).body, "state"), "active");
  EXPECT_EQ(Call(server(), "GET", "/v1/subscriptions/" + id, server().admin_token()).status, 200u);
  const std::string challenger = NewToken(server(), "challenger");
  EXPECT_EQ(Call(server(), "GET", "/v1/subscriptions", challenger).status, 403u);
  EXPECT_EQ(Call(server(), "GET", "/v1/subscriptions").status, 401u);
}

TEST_F(WebhookTest, BadSubscriptionsAreRefusedAndStoreNothing) {
  const std::string before = Call(server(), "GET", "/v1/subscriptions", subscriber_).raw;
  const std::string types = R"(,"event_types":["*"]})";
  for (const std::string& body : std::vector<std::string>{
           R"({"url":"http://127.0.0.1:9/hook")" + types,  // plain http is not allowed on this server
           R"({"url":"https://10.1.2.3/hook")" + types,
           R"({"url":"https://192.168.0.1/hook")" + types,
           R"({"url":"https://169.254.169.254/latest/meta-data")" + types,
           R"({"url":"https://[fe80::1]/hook")" + types,
           R"({"url":"https://[::ffff:10.0.0.1]/hook")" + types,
           R"({"url":"ftp://example.com/hook")" + types,
           R"({"url":"https://user:pw@example.com/hook")" + types,
           R"({"url":"https://example.com/hook#x")" + types,
           R"({"url":"https://example.com/hook","event_types":[]})",
           R"({"url":"https://example.com/hook","event_types":["Not A Type"]})",
           R"({"url":"https://example.com/hook","event_types":["*"],"vm_ids":["not-a-uuid"]})",
           R"({"url":"https://example.com/hook","event_types":["*"],"secret":"mine"})",
           R"({"event_types":["*"]})",
           R"([1,2,3])",
       }) {
    JsonReply refused = Call(server(), "POST", "/v1/subscriptions", subscriber_, body);
    EXPECT_EQ(refused.status, 400u) << body << " -> " << refused.raw;
    EXPECT_EQ(refused.content_type, "application/problem+json") << body;
  }
  EXPECT_EQ(Call(server(), "GET", "/v1/subscriptions", subscriber_).raw, before);
  EXPECT_EQ(Call(server(), "GET", "/v1/events?types=Bad%20Type", subscriber_).status, 400u);
}

// The secret vtpmctl printed on a line of its own, "" when there is none.
std::string SecretLine(const std::string& output) {
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("whsec_", 0) == 0) return line;
  }
  return "";
}

TEST_F(WebhookTest, VtpmctlManagesSubscriptions) {
  const std::string url = receiver().Url("/cli");
  const std::string created = Vtpmctl(server(), "subscription create --webhook-url " + url + " --types policy.deleted");
  const std::string secret = SecretLine(created);
  ASSERT_FALSE(secret.empty()) << created;
  EXPECT_NE(created.find("shown only once"), std::string::npos) << created;
  const auto url_at = created.find(url);
  ASSERT_NE(url_at, std::string::npos) << created;
  const std::string id = created.substr(created.rfind('\n', url_at) + 1, 36);  // the line starts with the id
  receiver().AcceptSecrets("/cli", {secret});

  EXPECT_NE(Vtpmctl(server(), "subscription list").find(id + "  active  " + url + "  types policy.deleted"),
            std::string::npos);
  const std::string shown = Vtpmctl(server(), "subscription show " + id);
  EXPECT_NE(shown.find("settled through event seq"), std::string::npos) << shown;
  const boost::json::value json = boost::json::parse(Vtpmctl(server(), "--json subscription show " + id));
  EXPECT_EQ(Field(json, "url"), url);
  EXPECT_FALSE(json.as_object().contains("secret")) << json;
  const boost::json::value listed = boost::json::parse(Vtpmctl(server(), "--json subscription list"));
  const auto& all = listed.as_object().at("subscriptions").as_array();
  EXPECT_TRUE(std::any_of(all.begin(), all.end(), [&](const auto& s) { return Field(s, "id") == id; })) << listed;

  EXPECT_NE(Vtpmctl(server(), "subscription pause " + id).find(id + "  paused"), std::string::npos);
  EXPECT_EQ(Field(Call(server(), "GET", "/v1/subscriptions/" + id, server().admin_token()).body, "state"), "paused");
  EXPECT_NE(Vtpmctl(server(), "subscription resume " + id).find(id + "  active"), std::string::npos);

  // Delivered, then sent again on request: both attempts are listed.
  const std::string event = PolicyDeletedEvent(server(), "cli");
  ASSERT_TRUE(Eventually([&] { return receiver().AcceptedIds("/cli").size() == 1; }));
  const std::string redelivered = Vtpmctl(server(), "events redeliver " + event + " --subscription " + id);
  EXPECT_NE(redelivered.find("queued again for " + id), std::string::npos) << redelivered;
  ASSERT_TRUE(Eventually([&] { return receiver().AcceptedIds("/cli").size() == 2; }));
  std::string deliveries;
  ASSERT_TRUE(Eventually([&] {
    deliveries = Vtpmctl(server(), "subscription deliveries " + id + " --limit 10");
    return std::count(deliveries.begin(), deliveries.end(), '\n') >= 3;  // two attempts and the paging hint
  })) << deliveries;
  EXPECT_NE(deliveries.find("event " + event), std::string::npos) << deliveries;
  EXPECT_NE(deliveries.find("delivered  HTTP 2"), std::string::npos) << deliveries;

  const std::string rotated = Vtpmctl(server(), "subscription rotate " + id);
  const std::string new_secret = SecretLine(rotated);
  EXPECT_EQ(new_secret.rfind("whsec_", 0), 0u) << rotated;
  EXPECT_NE(new_secret, secret);
  EXPECT_NE(rotated.find("previous secret still signs until"), std::string::npos) << rotated;

  EXPECT_NE(Vtpmctl(server(), "subscription delete " + id).find("deleted " + id), std::string::npos);
  int exit_code = 0;
  const std::string gone = Vtpmctl(server(), "subscription show " + id, &exit_code);
  EXPECT_EQ(exit_code, 1) << gone;
  // Refused before it could become a path of its own.
  EXPECT_NE(Vtpmctl(server(), "subscription show ../tokens", &exit_code).find("is a UUID"), std::string::npos);
  EXPECT_EQ(exit_code, 1);
}

// Delivery history is kept for --webhook-attempt-retention, then deleted by the dispatcher.
TEST(WebhookHistory, AttemptsOlderThanTheRetentionAreDeleted) {
  const auto scratch = MakeTempDir("vtpmd-webhook-history");
  auto receiver = WebhookReceiver::Start(scratch);
  ASSERT_TRUE(receiver.ok()) << receiver.error().message();
  std::vector<std::string> flags = ReceiverFlags(**receiver);
  flags.insert(flags.end(), {"--webhook-attempt-retention", "3"});
  auto server = VtpmdProcess::Start(scratch / "data", flags);
  ASSERT_TRUE(server.ok()) << server.error().message();
  const Subscribed subscribed = SubscribeWithNewToken(**server, **receiver, "/history");
  const std::string& token = subscribed.token;
  const std::string deliveries = "/v1/subscriptions/" + subscribed.id + "/deliveries";
  const auto attempts = [&] {
    JsonReply listed = Call(**server, "GET", deliveries, token);
    EXPECT_EQ(listed.status, 200u) << listed.raw;
    return listed.status == 200u ? listed.body.as_object().at("deliveries").as_array().size() : 0u;
  };

  PolicyDeletedEvent(**server, "kept-for-a-while");
  ASSERT_TRUE(Eventually([&] { return attempts() == 1; }));
  ASSERT_TRUE(Eventually([&] { return attempts() == 0; })) << "still listed after the retention";
  EXPECT_EQ((*receiver)->AcceptedIds("/history").size(), 1u);
  EXPECT_EQ((*server)->Stop(), 0);
  std::filesystem::remove_all(scratch);
}

// kill -9 in the middle of delivering: after the restart every event still arrives
// at least once, and nothing the receiver accepted was lost or left out.
TEST(WebhookCrash, NoEventIsLostToKill9MidDelivery) {
  const auto scratch = MakeTempDir("vtpmd-webhook-crash");
  auto receiver = WebhookReceiver::Start(scratch);
  ASSERT_TRUE(receiver.ok()) << receiver.error().message();
  auto server = VtpmdProcess::Start(scratch / "data", ReceiverFlags(**receiver));
  ASSERT_TRUE(server.ok()) << server.error().message();
  SubscribeWithNewToken(**server, **receiver, "/crash");
  (*receiver)->Script("/crash", {500, 500, 500});

  std::vector<std::string> in_order;
  for (int i = 0; i < 8; ++i) in_order.push_back(PolicyDeletedEvent(**server, "before-" + std::to_string(i)));
  ASSERT_TRUE(Eventually([&] { return !(*receiver)->AcceptedIds("/crash").empty(); }));
  (*server)->Kill();

  auto again = VtpmdProcess::Start(scratch / "data", ReceiverFlags(**receiver));
  ASSERT_TRUE(again.ok()) << again.error().message();
  for (int i = 0; i < 4; ++i) in_order.push_back(PolicyDeletedEvent(**again, "after-" + std::to_string(i)));
  const std::set<std::string> produced(in_order.begin(), in_order.end());
  ASSERT_TRUE(Eventually([&] {
    const std::vector<std::string> accepted = (*receiver)->AcceptedIds("/crash");
    return std::set<std::string>(accepted.begin(), accepted.end()) == produced;
  })) << "delivered " << (*receiver)->AcceptedIds("/crash").size() << " of " << produced.size();
  // At least once, and in order: the first acceptance of each event follows event order.
  std::vector<std::string> first_seen;
  for (const std::string& id : (*receiver)->AcceptedIds("/crash")) {
    if (std::find(first_seen.begin(), first_seen.end(), id) == first_seen.end()) first_seen.push_back(id);
  }
  EXPECT_EQ(first_seen, in_order);
  EXPECT_EQ((*again)->Stop(), 0);
  std::filesystem::remove_all(scratch);
}

}  // namespace
}  // namespace vtpmd::testing
