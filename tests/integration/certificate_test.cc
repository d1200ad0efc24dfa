// Revocation end to end: the certificates vtpmd issued are listed per instance,
// revoked by an operator or by deleting the instance, and the issuer's public CRL
// makes `openssl verify -crl_check` refuse them.

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/integration/test_server.h"

namespace vtpmd::testing {
namespace {

std::string Field(const boost::json::value& v, std::string_view key) {
  return std::string(v.as_object().at(key).as_string());
}

class CertificateTest : public ServerSuite {
 protected:
  // An ECC-only instance (fast to manufacture), once it is running.
  static std::string CreateRunning(const std::string& vm_id) {
    JsonReply created = Call(server(), "POST", "/v1/instances", admin(),
                             "{\"vm_id\":\"" + vm_id + "\",\"ek_algorithms\":[\"ecc-nist-p256\"]}");
    EXPECT_EQ(created.status, 202u) << created.raw;
    const std::string id = Field(created.body, "id");
    for (int i = 0; i < 600; ++i) {
      JsonReply shown = Call(server(), "GET", "/v1/instances/" + id, admin());
      if (Field(shown.body, "status") == "running") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return id;
  }

  static boost::json::array Certificates(const std::string& query) {
    JsonReply listed = Call(server(), "GET", "/v1/certificates?" + query, admin());
    EXPECT_EQ(listed.status, 200u) << listed.raw;
    return listed.body.as_object().at("certificates").as_array();
  }

  // Fetches the issuer's CRL (no token: CRLs are public) and writes it as PEM.
  static std::string FetchCrl(const std::string& issuer, const std::string& name) {
    JsonReply crl = Call(server(), "GET", "/v1/ca/" + issuer + "/crl?format=pem");
    EXPECT_EQ(crl.status, 200u) << crl.raw;
    EXPECT_EQ(crl.content_type, "application/x-pem-file");
    return WriteTempFile(scratch(), name, crl.raw);
  }

  static std::string IssuerPem(const std::string& role) {
    JsonReply issuers = Call(server(), "GET", "/v1/ca/certificates");
    for (const auto& issuer : issuers.body.as_object().at("issuers").as_array()) {
      if (Field(issuer, "role") == role) return WriteTempFile(scratch(), role + ".pem", Field(issuer, "certificate_pem"));
    }
    ADD_FAILURE() << "no issuer " << role;
    return "";
  }

  static CommandResult VerifyWithCrls(const std::string& leaf_pem) {
    return RunCommand("openssl verify -crl_check_all -CRLfile " + FetchCrl("ek-authority", "ek.crl") + " -CRLfile " +
                      FetchCrl("root", "root.crl") + " -CAfile " + IssuerPem("root") + " -untrusted " +
                      IssuerPem("ek-authority") + " " + leaf_pem);
  }
};

TEST_F(CertificateTest, OperatorRevocationReachesTheCrlAndOpensslRefusesTheCertificate) {
  const std::string id = CreateRunning("6a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d");
  boost::json::array valid = Certificates("instance=" + id + "&status=valid");
  ASSERT_EQ(valid.size(), 1u) << "the ECC EK' certificate";
  EXPECT_EQ(Field(valid[0], "kind"), "ek");
  EXPECT_EQ(Field(valid[0], "issuer"), "ek-authority");
  const std::string serial = Field(valid[0], "serial");
  const std::string leaf = WriteTempFile(scratch(), "leaf.pem", Field(valid[0], "certificate_pem"));
  CommandResult before = VerifyWithCrls(leaf);
  EXPECT_EQ(before.exit_code, 0) << before.output;

  const std::string target = "/v1/certificates/" + serial + "/revocation";
  EXPECT_EQ(Call(server(), "POST", target, admin(), R"({"reason":"certificateHold"})").status, 422u);
  EXPECT_EQ(Call(server(), "POST", target, admin(), R"({"reason":"no-such-reason"})").status, 400u);
  EXPECT_EQ(Call(server(), "POST", target, admin(), R"({"why":"typo"})").status, 400u);
  EXPECT_EQ(Call(server(), "POST", target, "", R"({"reason":"keyCompromise"})").status, 401u);
  EXPECT_EQ(Certificates("instance=" + id + "&status=valid").size(), 1u) << "refused requests changed nothing";

  JsonReply revoked = Call(server(), "POST", target, admin(), R"({"reason":"keyCompromise"})");
  ASSERT_EQ(revoked.status, 200u) << revoked.raw;
  EXPECT_EQ(Field(revoked.body, "status"), "revoked");
  EXPECT_EQ(Field(revoked.body, "revocation_reason"), "keyCompromise");
  EXPECT_EQ(Call(server(), "POST", target, admin(), R"({"reason":"superseded"})").status, 409u);

  CommandResult after = VerifyWithCrls(leaf);
  EXPECT_NE(after.exit_code, 0);
  EXPECT_NE(after.output.find("revoked"), std::string::npos) << after.output;

  JsonReply events = Call(server(), "GET", "/v1/events?subject=certificates/" + serial, admin());
  ASSERT_EQ(events.body.as_object().at("events").as_array().size(), 1u) << events.raw;
  EXPECT_EQ(Field(events.body.as_object().at("events").as_array()[0], "type"), "certificate.revoked");
}

TEST_F(CertificateTest, DeletingAnInstanceRevokesItsCertificates) {
  const std::string id = CreateRunning("7b2c3d4e-5f6a-4b7c-9d8e-9f0a1b2c3d4e");
  ASSERT_EQ(Certificates("instance=" + id + "&status=valid").size(), 1u);
  ASSERT_EQ(Call(server(), "DELETE", "/v1/instances/" + id, admin()).status, 204u);
  boost::json::array revoked = Certificates("instance=" + id + "&status=revoked");
  ASSERT_EQ(revoked.size(), 1u);
  EXPECT_EQ(Field(revoked[0], "revocation_reason"), "cessationOfOperation");
  EXPECT_TRUE(Certificates("instance=" + id + "&status=valid").empty());
  CommandResult verify = VerifyWithCrls(WriteTempFile(scratch(), "deleted.pem", Field(revoked[0], "certificate_pem")));
  EXPECT_NE(verify.exit_code, 0) << verify.output;
}

TEST_F(CertificateTest, BadQueriesAndUnknownCertificatesGetClearErrors) {
  EXPECT_EQ(Call(server(), "GET", "/v1/certificates?status=fine", admin()).status, 400u);
  EXPECT_EQ(Call(server(), "GET", "/v1/certificates?instance=nope", admin()).status, 400u);
  EXPECT_EQ(Call(server(), "GET", "/v1/certificates?limit=0", admin()).status, 400u);
  EXPECT_EQ(Call(server(), "GET", "/v1/certificates?colour=red", admin()).status, 400u);
  EXPECT_EQ(Call(server(), "GET", "/v1/certificates").status, 401u);
  EXPECT_EQ(Call(server(), "GET", "/v1/certificates/ZZ", admin()).status, 400u);
  EXPECT_EQ(Call(server(), "GET", "/v1/certificates/0123ABCD", admin()).status, 404u);
  EXPECT_EQ(Call(server(), "POST", "/v1/certificates/0123ABCD/revocation", admin(), "{}").status, 404u);
  EXPECT_EQ(Call(server(), "GET", "/v1/ca/nobody/crl").status, 404u);
  EXPECT_EQ(Call(server(), "GET", "/v1/ca/root/crl?format=txt").status, 400u);

  // Issuers are rotated, not revoked.
  JsonReply issuers = Call(server(), "GET", "/v1/ca/certificates");
  for (const auto& issuer : issuers.body.as_object().at("issuers").as_array()) {
    EXPECT_EQ(Call(server(), "POST", "/v1/certificates/" + Field(issuer, "serial") + "/revocation", admin(), "{}").status,
              422u)
        << Field(issuer, "role");
  }

  JsonReply der = Call(server(), "GET", "/v1/ca/privacy-ca/crl");
  EXPECT_EQ(der.status, 200u);
  EXPECT_EQ(der.content_type, "application/pkix-crl");
}

}  // namespace
}  // namespace vtpmd::testing
