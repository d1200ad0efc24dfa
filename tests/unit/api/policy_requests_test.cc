#include "server/api/policy_requests.h"

#include <gtest/gtest.h>

#include "tests/unit/api/json_request.h"

namespace vtpmd::api {
namespace {

using testing::Json;

http::HttpRequest WithQuery(std::string query) {
  http::HttpRequest request;
  request.method = "GET";
  request.query = std::move(query);
  return request;
}

http::HttpRequest WithIfMatch(std::string value) {
  http::HttpRequest request = Json("{}");
  request.headers.emplace_back("If-Match", std::move(value));
  return request;
}

const std::string kDocument = R"({"name":"web","guest":{"pcrs":{"sha1":{"0":[")" + std::string(40, '0') + R"("]}}}})";

TEST(PolicyDocumentRequest, IsAJsonPolicyDocument) {
  auto parsed = ParsePolicyDocumentRequest(Json(kDocument));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  EXPECT_EQ(parsed->name, "web");
  EXPECT_EQ(parsed->guest->pcrs.at(HashAlg::kSha1).at(0), policy::AllowedDigests{Bytes(20, 0)});

  http::HttpRequest text = Json(kDocument);
  text.headers = {{"Content-Type", "text/plain"}};
  EXPECT_EQ(ParsePolicyDocumentRequest(text).error().code(), ErrorCode::kUnsupportedMediaType);
  EXPECT_EQ(ParsePolicyDocumentRequest(Json(R"({"name":"web"})")).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ParsePolicyDocumentRequest(Json("[]")).error().code(), ErrorCode::kInvalidArgument);
  // Above the policy limit even when the server's body limit was raised.
  const std::string padded = R"({"name":"web","description":")" + std::string(policy::kMaxPolicyDocumentSize, 'x') +
                             R"(","guest":{"pcrs":{"sha1":{"0":[")" + std::string(40, '0') + R"("]}}}})";
  EXPECT_EQ(ParsePolicyDocumentRequest(Json(padded)).error().code(), ErrorCode::kInvalidArgument);
}

TEST(PolicyListQuery, PagesByName) {
  auto defaults = ParsePolicyListQuery(WithQuery(""));
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->after, "");
  EXPECT_EQ(defaults->limit, 100u);
  auto page = ParsePolicyListQuery(WithQuery("after=web-fleet&limit=2"));
  ASSERT_TRUE(page.ok()) << page.error().message();
  EXPECT_EQ(page->after, "web-fleet");
  EXPECT_EQ(page->limit, 2u);
  for (const char* bad : {"limit=0", "limit=1001", "after=Web", "after=", "colour=red", "limit=1&limit=2"}) {
    EXPECT_FALSE(ParsePolicyListQuery(WithQuery(bad)).ok()) << bad;
  }
}

TEST(PolicyVersionQuery, IsAPositiveVersionOrAbsent) {
  EXPECT_FALSE(ParsePolicyVersionQuery(WithQuery("")).value());
  EXPECT_EQ(ParsePolicyVersionQuery(WithQuery("version=12")).value(), 12);
  for (const char* bad :
       {"version=0", "version=-1", "version=01", "version=1x", "version=", "v=1", "version=99999999999999999999"}) {
    EXPECT_FALSE(ParsePolicyVersionQuery(WithQuery(bad)).ok()) << bad;
  }
}

TEST(IfMatch, NamesOneVersionOrAny) {
  EXPECT_FALSE(ParseIfMatchVersion(Json("{}")).value());
  EXPECT_FALSE(ParseIfMatchVersion(WithIfMatch("*")).value());
  EXPECT_EQ(ParseIfMatchVersion(WithIfMatch("\"3\"")).value(), 3);
  EXPECT_EQ(ParseIfMatchVersion(WithIfMatch(" \"3\" ")).value(), 3);
  for (const char* bad : {"3", "W/\"3\"", "\"3\", \"4\"", "\"\"", "\"0\"", "\"x\"", ""}) {
    EXPECT_FALSE(ParseIfMatchVersion(WithIfMatch(bad)).ok()) << bad;
  }
  EXPECT_EQ(PolicyEntityTag(3), "\"3\"");
}

}  // namespace
}  // namespace vtpmd::api
