#include "server/http/router.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "server/http/problem.h"

namespace vtpmd::http {
namespace {

HttpRequest Request(std::string method, std::string path) {
  HttpRequest request;
  request.method = std::move(method);
  request.path = std::move(path);
  request.target = request.path;
  return request;
}

// Dispatches a request whose route answers before returning.
HttpResponse Answer(const Router& router, const HttpRequest& request) {
  std::optional<HttpResponse> answered;
  router.Dispatch(request, [&answered](HttpResponse response) { answered = std::move(response); });
  EXPECT_TRUE(answered.has_value()) << "no answer before Dispatch returned";
  return answered.value_or(HttpResponse{});
}

RouteHandler Echo(std::string tag) {
  return [tag](const HttpRequest&, const PathParams& params) -> Result<HttpResponse> {
    HttpResponse response;
    response.body = tag + ":" + std::string(params.Get("id"));
    return response;
  };
}

TEST(Router, DispatchesByMethodAndExtractsParams) {
  Router router;
  ASSERT_TRUE(router.Add("POST", "/v1/instances/{id}/stop", Echo("stop")).ok());
  ASSERT_TRUE(router.Add("GET", "/v1/instances/{id}", Echo("get")).ok());
  const HttpResponse stop = Answer(router, Request("POST", "/v1/instances/abc-1/stop"));
  EXPECT_EQ(stop.status, 200u);
  EXPECT_EQ(stop.body, "stop:abc-1");
  EXPECT_EQ(stop.route, "/v1/instances/{id}/stop");
  EXPECT_EQ(Answer(router, Request("GET", "/v1/instances/xyz")).body, "get:xyz");
}

TEST(Router, UnknownPathIs404ProblemWithUnmatchedRoute) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/healthz", Echo("h")).ok());
  for (const char* path : {"/nope", "/healthz/", "/healthz/x", "", "healthz", "/v1/instances//stop"}) {
    const HttpResponse response = Answer(router, Request("GET", path));
    EXPECT_EQ(response.status, 404u) << path;
    EXPECT_EQ(response.content_type, kProblemContentType);
    EXPECT_EQ(response.route, kUnmatchedRoute);
  }
}

TEST(Router, EmptySegmentNeverMatchesAParameter) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/v1/instances/{id}", Echo("get")).ok());
  EXPECT_EQ(Answer(router, Request("GET", "/v1/instances/")).status, 404u);
}

TEST(Router, WrongMethodIs405WithAllowListingEveryMethod) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/v1/tokens", Echo("list")).ok());
  ASSERT_TRUE(router.Add("POST", "/v1/tokens", Echo("create")).ok());
  const HttpResponse response = Answer(router, Request("DELETE", "/v1/tokens"));
  EXPECT_EQ(response.status, 405u);
  EXPECT_EQ(response.route, "/v1/tokens");
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0].first, "Allow");
  EXPECT_EQ(response.headers[0].second, "GET, POST");
}

TEST(Router, LiteralSegmentBeatsParameterRegardlessOfOrder) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/v1/instances/{id}", Echo("param")).ok());
  ASSERT_TRUE(router.Add("GET", "/v1/instances/stats", Echo("literal")).ok());
  EXPECT_EQ(Answer(router, Request("GET", "/v1/instances/stats")).body, "literal:");
  EXPECT_EQ(Answer(router, Request("GET", "/v1/instances/other")).body, "param:other");
}

TEST(Router, HandlerErrorsBecomeProblems) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/secret", [](const HttpRequest&, const PathParams&) -> Result<HttpResponse> {
                return Unauthenticated("missing bearer token");
              }).ok());
  const HttpResponse response = Answer(router, Request("GET", "/secret"));
  EXPECT_EQ(response.status, 401u);
  EXPECT_EQ(response.route, "/secret");
  EXPECT_NE(response.body.find("missing bearer token"), std::string::npos);
}

TEST(Router, DeferredRouteAnswersWhenItCompletesWithTheRouteAndProblems) {
  Router router;
  std::vector<RouteCompletion> waiting;
  ASSERT_TRUE(router
                  .AddDeferred("POST", "/v1/slow/{id}",
                               [&waiting](const HttpRequest&, const PathParams&, RouteCompletion done) {
                                 waiting.push_back(std::move(done));
                               })
                  .ok());
  std::vector<HttpResponse> answers;
  for (int i = 0; i < 2; ++i) {
    router.Dispatch(Request("POST", "/v1/slow/" + std::to_string(i)),
                    [&answers](HttpResponse response) { answers.push_back(std::move(response)); });
  }
  ASSERT_EQ(waiting.size(), 2u);
  EXPECT_TRUE(answers.empty());

  HttpResponse ok;
  ok.body = "done";
  waiting[1](std::move(ok));
  waiting[0](Unavailable("platform TPM busy"));
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].body, "done");
  EXPECT_EQ(answers[0].route, "/v1/slow/{id}");
  EXPECT_EQ(answers[1].status, 503u);
  EXPECT_EQ(answers[1].content_type, kProblemContentType);
  EXPECT_EQ(answers[1].route, "/v1/slow/{id}");
  EXPECT_FALSE(router.AddDeferred("POST", "/v1/slow/{id}", nullptr).ok()) << "duplicate route";
}

TEST(Router, RejectsMalformedAndConflictingPatterns) {
  Router router;
  EXPECT_FALSE(router.Add("GET", "no-slash", Echo("x")).ok());
  EXPECT_FALSE(router.Add("get", "/lower", Echo("x")).ok());
  EXPECT_FALSE(router.Add("GET", "/a/{}", Echo("x")).ok());
  EXPECT_FALSE(router.Add("GET", "/a/{id", Echo("x")).ok());
  EXPECT_FALSE(router.Add("GET", "/a/x{id}", Echo("x")).ok());
  EXPECT_FALSE(router.Add("GET", "/a/{id}/{id}", Echo("x")).ok());
  ASSERT_TRUE(router.Add("GET", "/a/{id}", Echo("x")).ok());
  const Status duplicate = router.Add("GET", "/a/{id}", Echo("x"));
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_FALSE(router.Add("POST", "/a/{name}", Echo("x")).ok());
}

}  // namespace
}  // namespace vtpmd::http
