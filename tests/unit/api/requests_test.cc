#include "server/api/requests.h"

#include <gtest/gtest.h>

#include "server/api/query.h"
#include "tests/unit/api/json_request.h"

namespace vtpmd::api {
namespace {

using testing::Json;

TEST(Query, DecodesStrictly) {
  auto params = ParseQuery("after=5&subject=instances%2Fabc&x=a+b&&flag");
  ASSERT_TRUE(params.ok()) << params.error().message();
  EXPECT_EQ(params->at("after"), "5");
  EXPECT_EQ(params->at("subject"), "instances/abc");
  EXPECT_EQ(params->at("x"), "a b");
  EXPECT_EQ(params->at("flag"), "");
  for (const char* bad : {"a=%", "a=%4", "a=%zz", "a=1&a=2", "=1"}) {
    EXPECT_FALSE(ParseQuery(bad).ok()) << bad;
  }
  std::string many;
  for (int i = 0; i < 33; ++i) many += "k" + std::to_string(i) + "=1&";
  EXPECT_FALSE(ParseQuery(many).ok());
}

TEST(CreateInstanceRequest, AppliesDefaultsAndCanonicalizes) {
  auto parsed = ParseCreateInstanceRequest(Json(R"({"vm_id":"5B1F8A44-0C1D-4C5E-9A7B-3D2E1F0A9B8C"})"));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  EXPECT_EQ(parsed->vm_id, "5b1f8a44-0c1d-4c5e-9a7b-3d2e1f0a9b8c");
  EXPECT_EQ(parsed->certification_method, "local-ca");
  EXPECT_EQ(parsed->ek_algorithms, (std::vector<std::string>{"rsa2048", "ecc-nist-p256"}));
  EXPECT_FALSE(parsed->binding_uid.has_value());
}

TEST(CreateInstanceRequest, RefusesWhatItCannotHonour) {
  const std::pair<const char*, ErrorCode> cases[] = {
      {R"({"vm_id":"5b1f8a44-0c1d-4c5e-9a7b-3d2e1f0a9b8c","ek_algorithms":["rsa4096"]})", ErrorCode::kUnsupported},
      {R"({"vm_id":"5b1f8a44-0c1d-4c5e-9a7b-3d2e1f0a9b8c","certification_method":"magic"})",
       ErrorCode::kInvalidArgument},
      {R"({"vm_id":"5b1f8a44-0c1d-4c5e-9a7b-3d2e1f0a9b8c","ek_algorithms":["rsa2048","rsa2048"]})",
       ErrorCode::kInvalidArgument},
      {R"({"vm_id":"5b1f8a44-0c1d-4c5e-9a7b-3d2e1f0a9b8c","binding_uid":-1})", ErrorCode::kInvalidArgument},
      {R"({"vm_id":"5b1f8a44-0c1d-4c5e-9a7b-3d2e1f0a9b8c","label":"a\u0007b"})", ErrorCode::kInvalidArgument},
      {R"({"vm_id":"5b1f8a44"})", ErrorCode::kInvalidArgument},
      {R"({"vm_id":"5b1f8a44-0c1d-4c5e-9a7b-3d2e1f0a9b8c","surprise":true})", ErrorCode::kInvalidArgument},
  };
  for (const auto& [body, code] : cases) {
    auto parsed = ParseCreateInstanceRequest(Json(body));
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_EQ(parsed.error().code(), code) << body << ": " << parsed.error().message();
  }
  http::HttpRequest form = Json("{}");
  form.headers[0].second = "application/x-www-form-urlencoded";
  EXPECT_EQ(ParseCreateInstanceRequest(form).error().code(), ErrorCode::kUnsupportedMediaType);
}

TEST(QuoteRequest, DefaultsToAllSha256Pcrs) {
  auto parsed = ParseQuoteRequest(Json(R"({"nonce":"0011223344556677"})"));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->nonce.size(), 8u);
  ASSERT_EQ(parsed->selection.count, 1u);
  EXPECT_EQ(parsed->selection.pcrSelections[0].hash, TPM2_ALG_SHA256);
  EXPECT_EQ(parsed->selection.pcrSelections[0].pcrSelect[0], 0xff);
  EXPECT_EQ(parsed->selection.pcrSelections[0].pcrSelect[2], 0xff);
}

TEST(TokenRequest, ParsesRoleLabelAndTtl) {
  auto parsed = ParseTokenRequest(Json(R"({"role":"subscriber","label":"rp","ttl_seconds":60})"));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->role, auth::Role::kSubscriber);
  EXPECT_EQ(parsed->label, "rp");
  EXPECT_EQ(parsed->ttl, std::chrono::seconds(60));
  EXPECT_FALSE(ParseTokenRequest(Json(R"({"role":"subscriber","label":")" + std::string(201, 'x') + "\"}")).ok());
}

}  // namespace
}  // namespace vtpmd::api
