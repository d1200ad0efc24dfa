// Attestation policies end to end: versions, conditional updates, deletion that
// keeps versions readable, refusals that store nothing, roles, and vtpmctl.

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/integration/test_server.h"

namespace vtpmd::testing {
namespace {

std::string Field(const boost::json::value& v, std::string_view key) {
  return std::string(v.as_object().at(key).as_string());
}

std::int64_t Number(const boost::json::value& v, std::string_view key) {
  return v.as_object().at(key).as_int64();
}

// A document allowing one sha256 value of PCR 7 for the guest.
std::string Document(const std::string& name, char pcr7_digit, const std::string& description = "") {
  std::string out = R"({"name":")" + name + "\"";
  if (!description.empty()) out += R"(,"description":")" + description + "\"";
  return out + R"(,"guest":{"pcrs":{"sha256":{"7":[")" + std::string(64, pcr7_digit) +
         R"("]}},"events":{"EV_SEPARATOR":{"sha256":[")" + std::string(64, '0') + R"("]}}}})";
}

class PolicyTest : public ServerSuite {
 protected:
  static std::string TokenFor(const std::string& role) {
    JsonReply token = Call(server(), "POST", "/v1/tokens", admin(), R"({"role":")" + role + R"("})");
    EXPECT_EQ(token.status, 201u) << token.raw;
    return Field(token.body, "token");
  }

  static std::size_t EventCount(const std::string& name) {
    JsonReply events = Call(server(), "GET", "/v1/events?subject=policies/" + name, admin());
    EXPECT_EQ(events.status, 200u) << events.raw;
    return events.body.as_object().at("events").as_array().size();
  }

  // PUT with an If-Match header, which Call() does not send.
  static http::HttpResponse PutIfMatch(const std::string& name, const std::string& body, const std::string& tag) {
    auto client = server().Client();
    EXPECT_TRUE(client.ok());
    http::HeaderList headers{
        {"Authorization", "Bearer " + admin()}, {"Content-Type", "application/json"}, {"If-Match", tag}};
    auto response = (*client)->Send("PUT", "/v1/policies/" + name, headers, body);
    EXPECT_TRUE(response.ok());
    return *response;
  }
};

TEST_F(PolicyTest, VersionsAreKeptThroughUpdatesAndDeletion) {
  JsonReply created = Call(server(), "POST", "/v1/policies", admin(), Document("web-fleet", 'a', "web servers"));
  ASSERT_EQ(created.status, 201u) << created.raw;
  EXPECT_EQ(Number(created.body, "version"), 1);
  EXPECT_EQ(Field(created.body, "status"), "active");
  EXPECT_EQ(Field(created.body.as_object().at("document"), "description"), "web servers");
  EXPECT_EQ(Call(server(), "POST", "/v1/policies", admin(), Document("web-fleet", 'b')).status, 409u);

  JsonReply updated = Call(server(), "PUT", "/v1/policies/web-fleet", admin(), Document("web-fleet", 'b'));
  ASSERT_EQ(updated.status, 200u) << updated.raw;
  EXPECT_EQ(Number(updated.body, "version"), 2);

  JsonReply latest = Call(server(), "GET", "/v1/policies/web-fleet", admin());
  ASSERT_EQ(latest.status, 200u);
  EXPECT_EQ(Number(latest.body, "version"), 2);
  const auto& pcr7 = latest.body.as_object().at("document").at("guest").at("pcrs").at("sha256").at("7").as_array();
  EXPECT_EQ(pcr7.at(0).as_string(), std::string(64, 'b'));
  JsonReply first = Call(server(), "GET", "/v1/policies/web-fleet?version=1", admin());
  ASSERT_EQ(first.status, 200u);
  EXPECT_EQ(Number(first.body, "version"), 1);
  EXPECT_EQ(Number(first.body, "latest_version"), 2);
  EXPECT_EQ(Call(server(), "GET", "/v1/policies/web-fleet?version=3", admin()).status, 404u);

  // If-Match: only the current version may be replaced.
  http::HttpResponse stale = PutIfMatch("web-fleet", Document("web-fleet", 'c'), "\"1\"");
  EXPECT_EQ(stale.status, 412u) << stale.body;
  EXPECT_EQ(stale.content_type, "application/problem+json");
  http::HttpResponse current = PutIfMatch("web-fleet", Document("web-fleet", 'c'), "\"2\"");
  EXPECT_EQ(current.status, 200u) << current.body;
  const auto etag = std::find_if(current.headers.begin(), current.headers.end(),
                                 [](const auto& header) { return http::EqualsIgnoreCase(header.first, "ETag"); });
  ASSERT_NE(etag, current.headers.end());
  EXPECT_EQ(etag->second, "\"3\"");

  ASSERT_EQ(Call(server(), "DELETE", "/v1/policies/web-fleet", admin()).status, 204u);
  EXPECT_EQ(Call(server(), "DELETE", "/v1/policies/web-fleet", admin()).status, 404u);
  EXPECT_EQ(Call(server(), "GET", "/v1/policies/web-fleet", admin()).status, 404u);
  EXPECT_EQ(Call(server(), "PUT", "/v1/policies/web-fleet", admin(), Document("web-fleet", 'd')).status, 404u);
  JsonReply audited = Call(server(), "GET", "/v1/policies/web-fleet?version=2", admin());
  ASSERT_EQ(audited.status, 200u) << "deleted policies' versions stay readable";
  EXPECT_EQ(Field(audited.body, "status"), "deleted");

  // The name again: numbering continues, so version 1 still means the first document.
  JsonReply again = Call(server(), "POST", "/v1/policies", admin(), Document("web-fleet", 'e'));
  ASSERT_EQ(again.status, 201u) << again.raw;
  EXPECT_EQ(Number(again.body, "version"), 4);

  JsonReply events = Call(server(), "GET", "/v1/events?subject=policies/web-fleet", admin());
  std::vector<std::string> types;
  for (const auto& event : events.body.as_object().at("events").as_array()) types.push_back(Field(event, "type"));
  EXPECT_EQ(types, (std::vector<std::string>{"policy.created", "policy.updated", "policy.updated", "policy.deleted",
                                             "policy.created"}));
}

TEST_F(PolicyTest, ListsActivePoliciesInPages) {
  for (const char* name : {"list-a", "list-b", "list-c"}) {
    ASSERT_EQ(Call(server(), "POST", "/v1/policies", admin(), Document(name, '1')).status, 201u);
  }
  ASSERT_EQ(Call(server(), "DELETE", "/v1/policies/list-b", admin()).status, 204u);
  JsonReply page = Call(server(), "GET", "/v1/policies?after=list&limit=1", admin());
  ASSERT_EQ(page.status, 200u) << page.raw;
  ASSERT_EQ(page.body.as_object().at("policies").as_array().size(), 1u);
  EXPECT_EQ(Field(page.body.as_object().at("policies").as_array()[0], "name"), "list-a");
  EXPECT_EQ(Field(page.body, "next_after"), "list-a");
  JsonReply rest = Call(server(), "GET", "/v1/policies?after=list-a&limit=2", admin());
  const auto& names = rest.body.as_object().at("policies").as_array();
  ASSERT_GE(names.size(), 1u) << rest.raw;
  EXPECT_EQ(Field(names[0], "name"), "list-c") << "deleted policies are not listed";
}

TEST_F(PolicyTest, BadDocumentsAreProblemsAndStoreNothing) {
  const std::string bad_digest = R"({"name":"bad","guest":{"pcrs":{"sha256":{"7":["ABCD"]}}}})";
  for (const std::string& body :
       {bad_digest,
        std::string(R"({"name":"bad","guest":{"pcrs":{"sha256":{"24":[")") + std::string(64, '0') + "\"]}}}}",
        std::string(R"({"name":"bad","guest":{},"extra":1})"),
        std::string(R"({"name":"Bad!","platform":{"pcrs":{"sha1":{"0":[")") + std::string(40, '0') + "\"]}}}}",
        std::string("{\"name\":")}) {
    JsonReply refused = Call(server(), "POST", "/v1/policies", admin(), body);
    EXPECT_EQ(refused.status, 400u) << body;
    EXPECT_EQ(refused.content_type, "application/problem+json") << body;
    EXPECT_FALSE(Field(refused.body, "detail").empty()) << body;
  }
  JsonReply detail = Call(server(), "POST", "/v1/policies", admin(), bad_digest);
  EXPECT_NE(Field(detail.body, "detail").find("guest.pcrs.sha256.7[0]"), std::string::npos) << detail.raw;
  EXPECT_EQ(Call(server(), "GET", "/v1/policies/bad", admin()).status, 404u);
  EXPECT_EQ(EventCount("bad"), 0u);

  ASSERT_EQ(Call(server(), "POST", "/v1/policies", admin(), Document("kept", '1')).status, 201u);
  EXPECT_EQ(Call(server(), "PUT", "/v1/policies/kept", admin(), Document("other", '2')).status, 400u)
      << "the document names another policy";
  EXPECT_EQ(Call(server(), "PUT", "/v1/policies/kept", admin(), bad_digest).status, 400u);
  EXPECT_EQ(Call(server(), "POST", "/v1/policies", admin(), Document("kept", '1'), "text/plain").status, 415u);
  EXPECT_EQ(Number(Call(server(), "GET", "/v1/policies/kept", admin()).body, "version"), 1);
  EXPECT_EQ(EventCount("kept"), 1u);
  EXPECT_EQ(Call(server(), "GET", "/v1/policies/Kept", admin()).status, 400u);
  EXPECT_EQ(Call(server(), "GET", "/v1/policies/kept?version=0", admin()).status, 400u);
  EXPECT_EQ(Call(server(), "GET", "/v1/policies?limit=0", admin()).status, 400u);
}

TEST_F(PolicyTest, ChallengersReadAndOnlyAdminsWrite) {
  ASSERT_EQ(Call(server(), "POST", "/v1/policies", admin(), Document("roles", '1')).status, 201u);
  const std::string challenger = TokenFor("challenger");
  const std::string subscriber = TokenFor("subscriber");
  EXPECT_EQ(Call(server(), "GET", "/v1/policies/roles", challenger).status, 200u);
  EXPECT_EQ(Call(server(), "GET", "/v1/policies", challenger).status, 200u);
  EXPECT_EQ(Call(server(), "POST", "/v1/policies", challenger, Document("mine", '1')).status, 403u);
  EXPECT_EQ(Call(server(), "PUT", "/v1/policies/roles", challenger, Document("roles", '2')).status, 403u);
  EXPECT_EQ(Call(server(), "DELETE", "/v1/policies/roles", challenger).status, 403u);
  EXPECT_EQ(Call(server(), "GET", "/v1/policies/roles", subscriber).status, 403u);
  EXPECT_EQ(Call(server(), "GET", "/v1/policies").status, 401u);
  EXPECT_EQ(Number(Call(server(), "GET", "/v1/policies/roles", admin()).body, "version"), 1);
  EXPECT_EQ(Call(server(), "GET", "/v1/policies/mine", admin()).status, 404u);
}

TEST_F(PolicyTest, VtpmctlManagesPolicies) {
  const std::string v1 = WriteTempFile(scratch(), "cli-v1.json", Document("cli", '1', "from a file"));
  const std::string v2 = WriteTempFile(scratch(), "cli-v2.json", Document("cli", '2'));
  EXPECT_NE(Vtpmctl(server(), "policy create " + v1).find("cli  version 1 of 1  active"), std::string::npos);
  EXPECT_NE(Vtpmctl(server(), "policy update cli " + v2).find("version 2 of 2"), std::string::npos);
  EXPECT_NE(Vtpmctl(server(), "policy list").find("cli  version 2"), std::string::npos);
  const std::string shown = Vtpmctl(server(), "policy show cli --version 1");
  EXPECT_NE(shown.find(R"("description":"from a file")"), std::string::npos) << shown;
  EXPECT_NE(shown.find(std::string(64, '1')), std::string::npos) << shown;

  int exit_code = 0;
  Vtpmctl(server(), "policy create " + v1, &exit_code);
  EXPECT_EQ(exit_code, 1) << "the name exists";
  Vtpmctl(server(), "policy show 'a/../b'", &exit_code);
  EXPECT_EQ(exit_code, 1);
  EXPECT_NE(Vtpmctl(server(), "policy delete cli").find("deleted cli"), std::string::npos);
  Vtpmctl(server(), "policy show cli", &exit_code);
  EXPECT_EQ(exit_code, 1);
}

TEST_F(PolicyTest, OpenApiDocumentsThePolicyRoutes) {
  JsonReply openapi = Call(server(), "GET", "/v1/openapi.json");
  const auto& paths = openapi.body.as_object().at("paths").as_object();
  ASSERT_TRUE(paths.contains("/v1/policies"));
  ASSERT_TRUE(paths.contains("/v1/policies/{name}"));
  for (const char* method : {"get", "put", "delete"}) {
    EXPECT_TRUE(paths.at("/v1/policies/{name}").as_object().contains(method)) << method;
  }
}

}  // namespace
}  // namespace vtpmd::testing
