#include "server/api/attestation_requests.h"

#include <gtest/gtest.h>

#include "tests/unit/api/json_request.h"

namespace vtpmd::api {
namespace {

using testing::Json;

constexpr char kInstance[] = "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

std::string Body(const std::string& subject, const std::string& nonce, const std::string& evidence,
                 const std::string& extra = "") {
  return "{" + subject + R"(,"nonce":")" + nonce + R"(","policy":"web")" + extra + R"(,"evidence":)" + evidence + "}";
}

std::string Evidence(const std::string& pcrs = R"("pcr_values":{"sha256":{"0":")" + std::string(64, '0') + R"("}})") {
  return R"({"quote":"AAEC","signature":"AwQF",)" + pcrs + R"(,"aik_certificate_chain":"PEM"})";
}

const std::string kSubject = std::string(R"("instance_id":")") + kInstance + "\"";

TEST(GuestAttestationRequest, DecodesEveryField) {
  auto parsed = ParseGuestAttestationRequest(
      Json(Body(kSubject, "0011223344556677", Evidence(), R"(,"policy_version":3,"deep_quote":false)")));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  EXPECT_EQ(parsed->instance_id, kInstance);
  EXPECT_TRUE(parsed->vm_id.empty());
  EXPECT_EQ(parsed->nonce, HexDecode("0011223344556677").value());
  EXPECT_EQ(parsed->policy_name, "web");
  EXPECT_EQ(parsed->policy_version, 3);
  EXPECT_FALSE(parsed->deep_quote);
  EXPECT_EQ(parsed->evidence.attest, (Bytes{0, 1, 2}));
  EXPECT_EQ(parsed->evidence.signature, (Bytes{3, 4, 5}));
  EXPECT_EQ(parsed->evidence.pcrs.at(HashAlg::kSha256).at(0), Bytes(32, 0));
  EXPECT_EQ(parsed->evidence.aik_chain_pem, "PEM");
  EXPECT_FALSE(parsed->evidence.event_log);

  auto by_vm = ParseGuestAttestationRequest(
      Json(Body(std::string(R"("vm_id":")") + kInstance + "\"", "0011223344556677", Evidence())));
  ASSERT_TRUE(by_vm.ok()) << by_vm.error().message();
  EXPECT_EQ(by_vm->vm_id, kInstance);
  EXPECT_TRUE(by_vm->deep_quote) << "the platform link is asked for by default";
}

TEST(GuestAttestationRequest, RefusesMalformedInput) {
  const std::string nonce = "0011223344556677";
  for (const std::string& body : {
           Body(kSubject, "00112233", Evidence()),                    // nonce under 8 bytes
           Body(kSubject, std::string(130, 'a'), Evidence()),         // over 64 bytes
           Body(kSubject, "zz11223344556677", Evidence()),            // not hex
           Body(R"("instance_id":"not-a-uuid")", nonce, Evidence()),  // bad id
           Body(kSubject + R"(,"vm_id":")" + kInstance + "\"", nonce, Evidence()),  // both ids
           Body(R"("label":"x")", nonce, Evidence()),                              // neither
           Body(kSubject, nonce, Evidence(R"("pcrs":"AAAA","pcr_values":{})")),    // both PCR forms
           Body(kSubject, nonce, Evidence(R"("pcrs":"!!")")),                      // bad base64
           Body(kSubject, nonce, Evidence(R"("pcrs":"AAAA")")),                    // not a tpm2_quote -o file
           Body(kSubject, nonce, Evidence(R"("pcr_values":{"sha256":{"24":"00"}})")),
           Body(kSubject, nonce, R"({"quote":"AAEC"})"),
           Body(kSubject, nonce, Evidence(), R"(,"deep_quote":"yes")"),
           Body(kSubject, nonce, Evidence(), R"(,"policy_version":0)"),
           Body(kSubject, nonce, Evidence(), R"(,"unknown":1)"),
       }) {
    auto parsed = ParseGuestAttestationRequest(Json(body));
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidArgument) << body;
  }
}

TEST(PlatformAttestationRequest, NeedsANonceAndAPolicy) {
  auto parsed = ParsePlatformAttestationRequest(Json(R"({"nonce":"0011223344556677","policy":"host"})"));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  EXPECT_EQ(parsed->policy_name, "host");
  EXPECT_FALSE(ParsePlatformAttestationRequest(Json(R"({"nonce":"0011223344556677"})")).ok());
  EXPECT_FALSE(ParsePlatformAttestationRequest(Json(R"({"nonce":"00","policy":"host"})")).ok());
  EXPECT_FALSE(ParsePlatformAttestationRequest(Json(R"({"nonce":"0011223344556677","policy":"Host!"})")).ok());
}

TEST(AttestationListQuery, FiltersAndPages) {
  http::HttpRequest request;
  request.query = std::string("instance=") + kInstance + "&status=contraindicated&before=42&limit=5";
  auto parsed = ParseAttestationListQuery(request);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  EXPECT_EQ(parsed->filter.instance_id, kInstance);
  EXPECT_EQ(parsed->filter.status, "contraindicated");
  EXPECT_EQ(parsed->filter.before_seq, 42);
  EXPECT_EQ(parsed->filter.limit, 5u);
  for (const char* bad : {"status=trusted", "before=0", "limit=0", "instance=x", "typo=1"}) {
    request.query = bad;
    EXPECT_FALSE(ParseAttestationListQuery(request).ok()) << bad;
  }
}

}  // namespace
}  // namespace vtpmd::api
