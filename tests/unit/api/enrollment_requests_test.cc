#include "server/api/enrollment_requests.h"

#include <gtest/gtest.h>

#include "ca/certificate_builder.h"
#include "core/random.h"
#include "tests/unit/api/json_request.h"

namespace vtpmd::api {
namespace {

using testing::Json;

std::string JsonString(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '\n' ? std::string("\\n") : std::string(1, c);
  return out;
}

// The EK certificate arrives as PEM or base64 DER; both yield the same DER, and
// only the encoding is checked here (the certificate is parsed where it is judged).
TEST(AikChallengeRequest, TakesPemOrBase64DerCertificates) {
  ossl::PkeyPtr key(EVP_EC_gen("P-256"));
  DeterministicRng rng(3);
  SystemClock clock;
  ca::CertificateBuilder builder(key.get());
  builder.SetSubject({.common_name = "ek"}).SetValidity(clock, std::chrono::hours(1));
  ossl::X509Ptr certificate = builder.SelfSign(key.get(), rng).value();
  const Bytes der = ossl::CertificateDer(certificate.get()).value();
  const std::string pem = ossl::CertificatePem(certificate.get()).value();
  const std::string aik = R"(,"aik_public":"AAEC"})";

  auto from_pem = ParseAikChallengeRequest(Json(R"({"ek_certificate":")" + JsonString(pem) + "\"" + aik));
  ASSERT_TRUE(from_pem.ok()) << from_pem.error().message();
  EXPECT_EQ(*from_pem->ek_certificate_der, der);
  auto from_der = ParseAikChallengeRequest(Json(R"({"ek_certificate":")" + Base64Encode(der) + "\"" + aik));
  ASSERT_TRUE(from_der.ok()) << from_der.error().message();
  EXPECT_EQ(*from_der->ek_certificate_der, der);

  const std::string public_key = ossl::PublicKeyPem(key.get()).value();
  for (const std::string& bad : {JsonString(public_key), std::string("-----BEGIN CERTIFICATE-----\\n!!\\n"),
                                 std::string("not base64")}) {
    auto refused = ParseAikChallengeRequest(Json(R"({"ek_certificate":")" + bad + "\"" + aik));
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.error().code(), ErrorCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(ParseAikChallengeRequest(Json(R"({"aik_public":"AAEC"})")).ok()) << "no TPM named";
}

}  // namespace
}  // namespace vtpmd::api
