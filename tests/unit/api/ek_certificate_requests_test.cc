#include "server/api/ek_certificate_requests.h"

#include <gtest/gtest.h>

#include "tests/unit/api/json_request.h"

#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include "core/bytes.h"

namespace vtpmd::api {
namespace {

// The generators of P-256 and P-384: points on their curves.
constexpr char kP256X[] = "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296";
constexpr char kP256Y[] = "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";
constexpr char kP384X[] =
    "aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7";
constexpr char kP384Y[] =
    "3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5f";

using testing::Json;

std::string ModulusHex(unsigned bits) {
  ossl::PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
  EXPECT_TRUE(key);
  BIGNUM* n = nullptr;
  EXPECT_EQ(EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_N, &n), 1);
  ossl::BignumPtr owned(n);
  Bytes bytes(static_cast<std::size_t>(BN_num_bytes(n)));
  BN_bn2bin(n, bytes.data());
  return HexEncode(bytes);
}

const std::string& Rsa2048() {
  static const std::string modulus = ModulusHex(2048);
  return modulus;
}

std::string RsaBody(const std::string& modulus, const std::string& extra = "") {
  return R"({"ek_public":{"algorithm":"rsa2048","modulus":")" + modulus + "\"" + extra + "}}";
}

std::string EccBody(const std::string& algorithm, const std::string& x, const std::string& y) {
  return R"({"ek_public":{"algorithm":")" + algorithm + R"(","x":")" + x + R"(","y":")" + y + "\"}}";
}

ErrorCode CodeOf(const std::string& body) {
  auto parsed = ParseEkCertificateRequest(Json(body));
  EXPECT_FALSE(parsed.ok()) << body;
  return parsed.ok() ? ErrorCode::kInternal : parsed.error().code();
}

TEST(EkCertificateRequest, AcceptsRsa2048WithTheIdentitySwtpmSetupPasses) {
  auto parsed = ParseEkCertificateRequest(
      Json(R"({"ek_public":{"algorithm":"rsa2048","modulus":")" + Rsa2048() +
           R"(","exponent":65537},"vm_id":"3F6C2A1E-8B4D-4E7F-9A0C-5D1E2F3A4B5C","manufacturer":"id:00001014",)"
           R"("model":"swtpm","firmware_version":"id:20191023"})"));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  EXPECT_EQ(parsed->algorithm, "rsa2048");
  EXPECT_EQ(EVP_PKEY_get_bits(parsed->ek_public.get()), 2048);
  EXPECT_EQ(parsed->vm_id, "3f6c2a1e-8b4d-4e7f-9a0c-5d1e2f3a4b5c");
  EXPECT_EQ(parsed->manufacturer, 0x00001014u);
  EXPECT_EQ(parsed->model, "swtpm");
  EXPECT_EQ(parsed->firmware_version, 0x20191023u);
}

TEST(EkCertificateRequest, IdentityFieldsAreOptional) {
  auto parsed = ParseEkCertificateRequest(Json(RsaBody("00" + Rsa2048())));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  EXPECT_FALSE(parsed->vm_id || parsed->manufacturer || parsed->model || parsed->firmware_version);
}

TEST(EkCertificateRequest, AcceptsPointsOnP256AndP384) {
  auto p256 = ParseEkCertificateRequest(Json(EccBody("ecc-nist-p256", kP256X, kP256Y)));
  ASSERT_TRUE(p256.ok()) << p256.error().message();
  EXPECT_EQ(EVP_PKEY_get_bits(p256->ek_public.get()), 256);
  auto p384 = ParseEkCertificateRequest(Json(EccBody("ecc-nist-p384", kP384X, kP384Y)));
  ASSERT_TRUE(p384.ok()) << p384.error().message();
  EXPECT_EQ(EVP_PKEY_get_bits(p384->ek_public.get()), 384);
}

TEST(EkCertificateRequest, KeysVtpmdDoesNotCertifyAreUnsupported) {
  EXPECT_EQ(CodeOf(RsaBody(ModulusHex(1024))), ErrorCode::kUnsupported);
  EXPECT_EQ(CodeOf(RsaBody(ModulusHex(3072))), ErrorCode::kUnsupported);
  EXPECT_EQ(CodeOf(RsaBody(Rsa2048(), R"(,"exponent":3)")), ErrorCode::kUnsupported);
  std::string even = Rsa2048();
  even.back() = '2';
  EXPECT_EQ(CodeOf(RsaBody(even)), ErrorCode::kUnsupported);
  EXPECT_EQ(CodeOf(EccBody("ecc-nist-p256", "01", "01")), ErrorCode::kUnsupported);
  EXPECT_EQ(CodeOf(EccBody("ecc-nist-p384", kP256X, kP256Y)), ErrorCode::kUnsupported);
  EXPECT_EQ(CodeOf(R"({"ek_public":{"algorithm":"rsa3072","modulus":"c0"}})"), ErrorCode::kUnsupported);
  EXPECT_EQ(CodeOf(R"({"ek_public":{"algorithm":"ecc-sm2-p256","x":"01","y":"01"}})"), ErrorCode::kUnsupported);
}

TEST(EkCertificateRequest, MalformedBodiesAreInvalid) {
  for (const std::string& body : {
           std::string("not json"),
           std::string("[]"),
           std::string("{}"),
           std::string(R"({"ek_public":"c0ffee"})"),
           std::string(R"({"ek_public":{}})"),
           std::string(R"({"ek_public":{"algorithm":7}})"),
           RsaBody(Rsa2048(), R"(,"colour":"red")"),
           RsaBody(Rsa2048(), R"(,"x":"01")"),
           RsaBody(Rsa2048(), R"(,"exponent":0)"),
           RsaBody(Rsa2048(), R"(,"exponent":"65537")"),
           RsaBody("0x" + Rsa2048()),
           RsaBody(Rsa2048() + "0"),
           RsaBody(""),
           RsaBody(std::string(1100, 'c')),
           EccBody("ecc-nist-p256", std::string(kP256X) + "00", kP256Y),
           EccBody("ecc-nist-p256", "", kP256Y),
           R"({"ek_public":{"algorithm":"ecc-nist-p256","x":")" + std::string(kP256X) + "\"}}",
           RsaBody(Rsa2048()).insert(1, R"("vm_id":"vm-1",)"),
           RsaBody(Rsa2048()).insert(1, R"("manufacturer":"IBM",)"),
           RsaBody(Rsa2048()).insert(1, R"("manufacturer":"id:1014",)"),
           RsaBody(Rsa2048()).insert(1, R"("firmware_version":"id:2019102x",)"),
           RsaBody(Rsa2048()).insert(1, R"("model":"",)"),
           RsaBody(Rsa2048()).insert(1, R"("model":"a\nb",)"),
           RsaBody(Rsa2048()).insert(1, R"("serial":"01",)"),
       }) {
    EXPECT_EQ(CodeOf(body), ErrorCode::kInvalidArgument) << body;
  }
  http::HttpRequest text = Json(RsaBody(Rsa2048()));
  text.headers.clear();
  text.headers.emplace_back("Content-Type", "text/plain");
  auto parsed = ParseEkCertificateRequest(text);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code(), ErrorCode::kUnsupportedMediaType);
}

TEST(EkCertificateRequest, MalformedFieldsWinOverAnUnsupportedKey) {
  // A client learns about its syntax errors before its key choice.
  EXPECT_EQ(CodeOf(RsaBody(ModulusHex(1024)).insert(1, R"("vm_id":"nope",)")), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace vtpmd::api
