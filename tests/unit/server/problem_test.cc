#include "server/http/problem.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace vtpmd::http {
namespace {

boost::json::object Parse(const HttpResponse& response) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(response.body, ec);
  EXPECT_FALSE(ec) << response.body;
  return value.is_object() ? value.as_object() : boost::json::object{};
}

TEST(Problem, HasRfc9457ShapeAndContentType) {
  const HttpResponse response = ProblemResponse(NotFound("no instance 42"), "/v1/instances/42");
  EXPECT_EQ(response.status, 404u);
  EXPECT_EQ(response.content_type, "application/problem+json");
  const auto doc = Parse(response);
  EXPECT_EQ(doc.at("type").as_string(), "https://vtpmd.dev/problems/not-found");
  EXPECT_EQ(doc.at("title").as_string(), "Not Found");
  EXPECT_EQ(doc.at("status").as_int64(), 404);
  EXPECT_EQ(doc.at("detail").as_string(), "no instance 42");
  EXPECT_EQ(doc.at("instance").as_string(), "/v1/instances/42");
}

TEST(Problem, MapsEveryErrorCodeToItsStatus) {
  const std::pair<Error, unsigned> cases[] = {
      {InvalidArgument("x"), 400},  {Unauthenticated("x"), 401},   {PermissionDenied("x"), 403},
      {NotFound("x"), 404},         {AlreadyExists("x"), 409},     {FailedPrecondition("x"), 409},
      {ResourceExhausted("x"), 429}, {Unsupported("x"), 422},      {Unavailable("x"), 503},
      {Internal("x"), 500},
  };
  for (const auto& [error, status] : cases) {
    const HttpResponse response = ProblemResponse(error, "/p");
    EXPECT_EQ(response.status, status) << ErrorCodeName(error.code());
    EXPECT_EQ(Parse(response).at("type").as_string(),
              "https://vtpmd.dev/problems/" + std::string(ErrorCodeName(error.code())));
  }
}

TEST(Problem, UnauthenticatedAsksForBearer) {
  const HttpResponse response = ProblemResponse(Unauthenticated("no token"), "/v1/tokens");
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0].first, "WWW-Authenticate");
  EXPECT_EQ(response.headers[0].second, "Bearer");
}

TEST(Problem, InternalErrorsNeverLeakTheirMessage) {
  const HttpResponse response = ProblemResponse(Internal("sqlite: /var/lib/vtpmd/db locked by pid 77"), "/x");
  EXPECT_EQ(response.body.find("sqlite"), std::string::npos);
  EXPECT_EQ(response.body.find("77"), std::string::npos);
}

TEST(Problem, EscapesHostileText) {
  const std::string detail = "quote \" backslash \\ newline \n nul " + std::string(1, '\0') + " </script>";
  const HttpResponse response = ProblemResponse(InvalidArgument(detail), "/a\"b");
  const auto doc = Parse(response);
  EXPECT_EQ(doc.at("detail").as_string(), detail);
  EXPECT_EQ(doc.at("instance").as_string(), "/a\"b");
  EXPECT_EQ(response.body.find('\n'), std::string::npos);
}

TEST(Problem, TransportStatusesHaveStableTypes) {
  const std::pair<unsigned, const char*> cases[] = {{405, "method-not-allowed"},
                                                    {413, "payload-too-large"},
                                                    {415, "unsupported-media-type"},
                                                    {431, "header-fields-too-large"},
                                                    {418, "http-418"}};
  for (const auto& [status, name] : cases) {
    const HttpResponse response = ProblemResponse(status, "d", "");
    EXPECT_EQ(response.status, status);
    const auto doc = Parse(response);
    EXPECT_EQ(doc.at("type").as_string(), std::string("https://vtpmd.dev/problems/") + name);
    EXPECT_FALSE(doc.contains("instance"));
  }
}

}  // namespace
}  // namespace vtpmd::http
