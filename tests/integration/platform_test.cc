// The platform root of trust end to end: quotes checked by tpm2-tools, certificates
// checked by the openssl CLI, and identity kept across restarts.

#include <gtest/gtest.h>

#include "tests/integration/test_server.h"

namespace vtpmd::testing {
namespace {

class PlatformTest : public ServerSuite {};

std::string Field(const boost::json::value& v, std::string_view key) {
  return std::string(v.as_object().at(key).as_string());
}

TEST_F(PlatformTest, PlatformReportsSimulatedTpmWithKeysAndPcrs) {
  JsonReply reply = Call(server(), "GET", "/v1/platform", admin());
  ASSERT_EQ(reply.status, 200u) << reply.raw;
  const auto& platform = reply.body.as_object();
  EXPECT_TRUE(platform.at("simulated").as_bool());
  EXPECT_EQ(Field(platform.at("attestation_key"), "handle"), "0x81010010");
  ASSERT_EQ(platform.at("endorsement_keys").as_array().size(), 2u);
  for (const auto& ek : platform.at("endorsement_keys").as_array()) {
    EXPECT_EQ(Field(ek, "certificate_status"), "verified") << ek;
  }
  EXPECT_EQ(platform.at("pcrs").as_object().at("sha256").as_object().size(), 24u);
}

TEST_F(PlatformTest, QuoteVerifiesWithTpm2Checkquote) {
  const auto dir = scratch() / "quote";
  const std::string nonce = "00112233445566778899aabbccddeeff";
  Vtpmctl(server(), "platform quote --nonce " + nonce + " --pcrs sha256:0,1,2,3,7+sha1:0 --out-dir " + dir.string());
  const std::string check = "tpm2_checkquote -u " + (dir / "ak.pem").string() + " -m " + (dir / "quote.msg").string() +
                            " -s " + (dir / "quote.sig").string() + " -f " + (dir / "quote.pcrs").string() +
                            " -g sha256 -q ";
  CommandResult good = RunCommand(check + nonce);
  EXPECT_EQ(good.exit_code, 0) << good.output;
  // The same evidence against another nonce must fail: the check is not vacuous.
  CommandResult wrong_nonce = RunCommand(check + "ffeeddccbbaa99887766554433221100");
  EXPECT_NE(wrong_nonce.exit_code, 0) << wrong_nonce.output;
}

TEST_F(PlatformTest, QuoteRejectsMalformedNoncesAndSelections) {
  const std::string bad_bodies[] = {
      R"({"nonce": "abc"})",                               // odd hex
      R"({"nonce": "zz11223344556677"})",                  // not hex
      R"({"nonce": "0011"})",                              // too short
      "{\"nonce\": \"" + std::string(130, 'a') + "\"}",    // 65 bytes: more than a TPM takes
      R"({"nonce": "0011223344556677", "pcrs": "sha256:24"})",
      R"({"nonce": "0011223344556677", "pcrs": "md5:0"})",
      R"({"nonce": "0011223344556677", "pcrs": "sha256:0,,1"})",
      R"({"nonce": "0011223344556677", "extra": 1})",
      R"({"nonce": 12})",
      R"({})",
      R"({"nonce": )",
      R"([1, 2])",
  };
  for (const std::string& body : bad_bodies) {
    JsonReply reply = Call(server(), "POST", "/v1/platform/quote", admin(), body);
    EXPECT_EQ(reply.status, 400u) << body << " -> " << reply.raw;
    EXPECT_EQ(reply.content_type, "application/problem+json") << body;
    EXPECT_TRUE(reply.body.is_object() && reply.body.as_object().contains("detail")) << reply.raw;
  }
  JsonReply wrong_type = Call(server(), "POST", "/v1/platform/quote", admin(), R"({"nonce":"0011223344556677"})",
                              "text/plain");
  EXPECT_EQ(wrong_type.status, 415u) << wrong_type.raw;
}

TEST_F(PlatformTest, EveryIssuerAndThePlatformEkCertificateVerifyWithOpenssl) {
  JsonReply issuers = Call(server(), "GET", "/v1/ca/certificates");
  ASSERT_EQ(issuers.status, 200u);
  const auto dir = scratch() / "certs";
  std::filesystem::create_directories(dir);
  std::string root, manufacturer;
  for (const auto& issuer : issuers.body.as_object().at("issuers").as_array()) {
    const std::string role = Field(issuer, "role");
    const std::string path = WriteTempFile(dir, role + ".pem", Field(issuer, "certificate_pem"));
    if (role == "root") root = path;
    if (role == "dev-manufacturer") manufacturer = path;
  }
  ASSERT_FALSE(root.empty());
  ASSERT_FALSE(manufacturer.empty());
  for (const char* role : {"root", "ek-authority", "privacy-ca", "attestation-signer", "host-tls"}) {
    CommandResult verify = RunCommand("openssl verify -CAfile " + root + " " + (dir / (std::string(role) + ".pem")).string());
    EXPECT_EQ(verify.exit_code, 0) << role << ": " << verify.output;
  }
  // The host TLS certificate is what the HTTPS server presents.
  CommandResult served = RunCommand("echo | openssl s_client -connect 127.0.0.1:" + std::to_string(server().port()) +
                                    " -CAfile " + root + " -verify_return_error -verify_ip 127.0.0.1 -brief");
  EXPECT_EQ(served.exit_code, 0) << served.output;

  JsonReply platform = Call(server(), "GET", "/v1/platform", admin());
  for (const auto& ek : platform.body.as_object().at("endorsement_keys").as_array()) {
    const std::string cert = WriteTempFile(dir, "ek-" + Field(ek, "algorithm") + ".pem", Field(ek, "certificate_pem"));
    CommandResult verify = RunCommand("openssl verify -CAfile " + manufacturer + " " + cert);
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
    // Our own root does not vouch for a TPM vendor's EK certificate.
    EXPECT_NE(RunCommand("openssl verify -CAfile " + root + " " + cert).exit_code, 0);
    CommandResult text = RunCommand("openssl x509 -noout -text -in " + cert);
    EXPECT_NE(text.output.find("2.23.133.8.1"), std::string::npos) << text.output;  // EK certificate EKU
    EXPECT_NE(text.output.find("2.23.133.2.1"), std::string::npos) << text.output;  // TPM manufacturer in SAN
  }
}

TEST(PlatformRestart, KeepsRootIssuersAikAndTokensAcrossRestartAndCrash) {
  const auto scratch = MakeTempDir("vtpmd-restart");
  const auto data = scratch / "data";
  std::string issuers_json, aik_name, aik_chain, ek_certificate, token;
  {
    auto first = VtpmdProcess::Start(data);
    ASSERT_TRUE(first.ok()) << first.error().message();
    issuers_json = Call(**first, "GET", "/v1/ca/certificates").raw;
    ASSERT_NE(issuers_json.find("privacy-ca"), std::string::npos);
    token = (*first)->admin_token();
    JsonReply platform = Call(**first, "GET", "/v1/platform", token);
    aik_name = Field(platform.body.as_object().at("attestation_key"), "name");
    // Enrolled with the privacy CA at first start, through credential activation.
    aik_chain = Field(platform.body.as_object().at("attestation_key"), "certificate_chain_pem");
    const std::string chain_file = WriteTempFile(scratch, "aik-chain.pem", aik_chain);
    const std::string root = WriteTempFile(scratch, "root.pem", aik_chain.substr(aik_chain.rfind("-----BEGIN")));
    // The first certificate of the bundle (the AIK's) is the one verified; the root alone is trusted.
    CommandResult verified =
        RunCommand("openssl verify -CAfile " + root + " -untrusted " + chain_file + " " + chain_file);
    EXPECT_EQ(verified.exit_code, 0) << verified.output;
    ek_certificate = Field(platform.body.as_object().at("endorsement_keys").as_array()[0], "certificate_pem");
    EXPECT_EQ((*first)->Stop(), 0) << (*first)->log();
  }
  for (bool crash : {false, true}) {
    auto again = VtpmdProcess::Start(data);
    ASSERT_TRUE(again.ok()) << again.error().message();
    // Every issuer, certificate for certificate, is the one the first start made.
    EXPECT_EQ(Call(**again, "GET", "/v1/ca/certificates").raw, issuers_json);
    JsonReply platform = Call(**again, "GET", "/v1/platform", token);
    ASSERT_EQ(platform.status, 200u) << platform.raw;  // the old admin token still works
    EXPECT_EQ(Field(platform.body.as_object().at("attestation_key"), "name"), aik_name);
    EXPECT_EQ(Field(platform.body.as_object().at("attestation_key"), "certificate_chain_pem"), aik_chain)
        << "the platform AIK certificate is reused, not re-issued";
    EXPECT_EQ(Field(platform.body.as_object().at("endorsement_keys").as_array()[0], "certificate_pem"), ek_certificate);
    if (crash) {
      (*again)->Kill();
    } else {
      EXPECT_EQ((*again)->Stop(), 0);
    }
  }
  auto after_crash = VtpmdProcess::Start(data);
  ASSERT_TRUE(after_crash.ok()) << after_crash.error().message();
  EXPECT_EQ(Call(**after_crash, "GET", "/v1/ca/certificates").raw, issuers_json);
  after_crash->reset();
  std::filesystem::remove_all(scratch);
}

}  // namespace
}  // namespace vtpmd::testing
