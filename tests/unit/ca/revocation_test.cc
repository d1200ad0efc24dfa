#include "ca/revocation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "ca/crl.h"
#include "ca/ek_certificate.h"
#include "ca/hierarchy.h"
#include "ca/serial_number.h"
#include "ca_test_support.h"
#include "schema/schema.h"

namespace vtpmd::ca {
namespace {

using testing::kTestEpochSeconds;
using testing::TestStart;

constexpr char kInstanceA[] = "0e4d6f0a-1b2c-4d3e-8f40-5a6b7c8d9e0f";
constexpr char kInstanceB[] = "1f5e7a1b-2c3d-4e4f-9a51-6b7c8d9e0fa1";

class RevocationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = Store::OpenInMemory(schema::Migrations()).value();
    auto hierarchy = CaHierarchy::LoadOrCreate(*store_, testing::TestDataKey(0x22), CaOptions{}, clock_, rng_);
    ASSERT_TRUE(hierarchy.ok()) << hierarchy.error().message();
    hierarchy_ = std::move(hierarchy).value();
    ek_authority_ = hierarchy_->issuer(IssuerRole::kEkAuthority).value();
  }

  // An EK' certificate for `instance`, as provisioning issues it; returns its serial.
  std::string IssueFor(const std::string& instance) {
    ossl::PkeyPtr key(EVP_EC_gen("P-256"));
    EkCertificateRequest request{.ek_public = key.get(),
                                 .tpm = {.manufacturer_id = 0x49424D00, .model = "swtpm", .firmware_version = 0},
                                 .subject_common_name = "vm",
                                 .validity = std::chrono::hours(24),
                                 .instance_id = instance};
    Result<ossl::X509Ptr> certificate = IssueEkCertificate(*ek_authority_, request, *store_, clock_, rng_);
    EXPECT_TRUE(certificate.ok());
    certificates_.push_back(std::move(certificate).value());
    return SerialHex(certificates_.back().get()).value();
  }

  static CertificateFilter Filter(std::string instance, std::optional<CertificateStatus> status,
                                  std::string after = "", std::size_t limit = 100) {
    CertificateFilter filter;
    filter.instance_id = std::move(instance);
    filter.status = status;
    filter.after_serial = std::move(after);
    filter.limit = limit;
    return filter;
  }

  std::vector<std::string> Serials(const CertificateFilter& filter) {
    Result<std::vector<CertificateRecord>> listed = ListCertificates(*store_, filter, clock_.Now());
    std::vector<std::string> serials;
    if (!listed.ok()) {
      ADD_FAILURE() << listed.error().message();
      return serials;
    }
    for (const CertificateRecord& record : *listed) serials.push_back(record.serial);
    return serials;
  }

  ossl::Owned<X509_CRL, X509_CRL_free> ParseCrl(const Bytes& der) {
    const unsigned char* cursor = der.data();
    return ossl::Owned<X509_CRL, X509_CRL_free>(d2i_X509_CRL(nullptr, &cursor, static_cast<long>(der.size())));
  }

  testing::TempDir dir_;
  FakeClock clock_{TestStart()};
  DeterministicRng rng_{7};
  std::unique_ptr<Store> store_;
  std::unique_ptr<CaHierarchy> hierarchy_;
  const Issuer* ek_authority_ = nullptr;
  std::vector<ossl::X509Ptr> certificates_;
};

TEST_F(RevocationTest, RevokedCertificateIsListedAsRevokedAndCannotBeRevokedTwice) {
  const std::string serial = IssueFor(kInstanceA);
  Result<CertificateRecord> revoked =
      RevokeCertificate(*store_, serial, RevocationReason::kKeyCompromise, clock_.Now());
  ASSERT_TRUE(revoked.ok()) << revoked.error().message();
  EXPECT_EQ(revoked->StatusAt(clock_.Now()), CertificateStatus::kRevoked);
  EXPECT_EQ(revoked->revocation_reason, RevocationReason::kKeyCompromise);

  Result<CertificateRecord> again = RevokeCertificate(*store_, serial, RevocationReason::kSuperseded, clock_.Now());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(FindCertificate(*store_, serial).value()->revocation_reason, RevocationReason::kKeyCompromise)
      << "the first reason stands";
}

TEST_F(RevocationTest, UnknownSerialsAndIssuerCertificatesAreRefused) {
  EXPECT_EQ(RevokeCertificate(*store_, "ABCDEF", RevocationReason::kUnspecified, clock_.Now()).error().code(),
            ErrorCode::kNotFound);
  const std::string issuer_serial = SerialHex(ek_authority_->certificate.get()).value();
  EXPECT_EQ(RevokeCertificate(*store_, issuer_serial, RevocationReason::kUnspecified, clock_.Now()).error().code(),
            ErrorCode::kUnsupported);
  EXPECT_FALSE(FindCertificate(*store_, issuer_serial).value()->revoked_at);
}

TEST_F(RevocationTest, ReasonsUseRfc5280NamesAndHoldsAreRefused) {
  EXPECT_EQ(RevocationReasonFromName("cessationOfOperation").value(), RevocationReason::kCessationOfOperation);
  EXPECT_EQ(RevocationReasonName(RevocationReason::kCaCompromise), "cACompromise");
  EXPECT_EQ(RevocationReasonFromName("certificateHold").error().code(), ErrorCode::kUnsupported);
  EXPECT_EQ(RevocationReasonFromName("keycompromise").error().code(), ErrorCode::kInvalidArgument);
}

TEST_F(RevocationTest, InstanceRevocationTakesOnlyThatInstancesCertificates) {
  const std::string a1 = IssueFor(kInstanceA);
  const std::string a2 = IssueFor(kInstanceA);
  const std::string b = IssueFor(kInstanceB);
  ASSERT_TRUE(RevokeCertificate(*store_, a1, RevocationReason::kKeyCompromise, clock_.Now()).ok());

  Result<std::vector<CertificateRecord>> revoked =
      RevokeInstanceCertificates(*store_, kInstanceA, RevocationReason::kCessationOfOperation, clock_.Now());
  ASSERT_TRUE(revoked.ok()) << revoked.error().message();
  ASSERT_EQ(revoked->size(), 1u) << "the already revoked one keeps its reason";
  EXPECT_EQ(revoked->front().serial, a2);

  EXPECT_EQ(Serials(Filter(kInstanceB, CertificateStatus::kValid)), std::vector<std::string>{b});
  EXPECT_EQ(Serials(Filter(kInstanceA, CertificateStatus::kValid)), std::vector<std::string>{});
  EXPECT_EQ(Serials(Filter(kInstanceA, CertificateStatus::kRevoked)).size(), 2u);
}

TEST_F(RevocationTest, ListingPagesAndReportsExpiry) {
  std::vector<std::string> issued = {IssueFor(kInstanceA), IssueFor(kInstanceA), IssueFor(kInstanceA)};
  std::sort(issued.begin(), issued.end());
  EXPECT_EQ(Serials(Filter(kInstanceA, std::nullopt, "", 2)), std::vector<std::string>(issued.begin(), issued.begin() + 2));
  EXPECT_EQ(Serials(Filter(kInstanceA, std::nullopt, issued[1], 2)),
            std::vector<std::string>{issued[2]});
  clock_.Advance(std::chrono::hours(25));
  EXPECT_EQ(Serials(Filter(kInstanceA, CertificateStatus::kExpired)), issued);
  EXPECT_TRUE(Serials(Filter(kInstanceA, CertificateStatus::kValid)).empty());
}

TEST_F(RevocationTest, CrlListsRevocationsIsSignedAndOpensslRefusesTheRevokedCertificate) {
  const std::string revoked_serial = IssueFor(kInstanceA);
  IssueFor(kInstanceA);
  X509* revoked_certificate = certificates_[0].get();
  X509* kept_certificate = certificates_[1].get();

  Result<Bytes> empty = CurrentCrl(*store_, *ek_authority_, clock_.Now());
  ASSERT_TRUE(empty.ok()) << empty.error().message();
  EXPECT_LE(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(ParseCrl(*empty).get())), 0) << "no entries";
  EXPECT_EQ(CurrentCrl(*store_, *ek_authority_, clock_.Now()).value(), *empty) << "served from the store while fresh";

  ASSERT_TRUE(RevokeCertificate(*store_, revoked_serial, RevocationReason::kKeyCompromise, clock_.Now()).ok());
  const Bytes der = CurrentCrl(*store_, *ek_authority_, clock_.Now()).value();
  auto crl = ParseCrl(der);
  ASSERT_NE(crl, nullptr);
  ASSERT_EQ(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl.get())), 1);
  ossl::Owned<ASN1_INTEGER, ASN1_INTEGER_free> number(
      static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl.get(), NID_crl_number, nullptr, nullptr)));
  ASSERT_NE(number, nullptr);
  EXPECT_EQ(ASN1_INTEGER_get(number.get()), 2) << "a new CRL number after the revocation";

  const auto crl_path = dir_.path() / "ek-authority.crl";
  std::ofstream(crl_path, std::ios::binary).write(reinterpret_cast<const char*>(der.data()),
                                                   static_cast<std::streamsize>(der.size()));
  const auto issuer_pem = testing::WritePem(dir_.path() / "issuer.pem", {ek_authority_->certificate.get()});
  testing::CommandResult signature = testing::RunCommand("openssl crl -inform DER -in " + crl_path.string() +
                                                         " -CAfile " + issuer_pem.string() + " -noout -text");
  EXPECT_EQ(signature.exit_code, 0) << signature.output;
  EXPECT_NE(signature.output.find("verify OK"), std::string::npos) << signature.output;
  EXPECT_NE(signature.output.find("Key Compromise"), std::string::npos) << signature.output;

  const Issuer* root = hierarchy_->issuer(IssuerRole::kRoot).value();
  const auto root_crl = dir_.path() / "root.crl";
  const Bytes root_der = CurrentCrl(*store_, *root, clock_.Now()).value();
  std::ofstream(root_crl, std::ios::binary).write(reinterpret_cast<const char*>(root_der.data()),
                                                   static_cast<std::streamsize>(root_der.size()));
  const auto root_pem = testing::WritePem(dir_.path() / "root.pem", {root->certificate.get()});
  const auto leaf_pem = [&](X509* leaf, const char* name) { return testing::WritePem(dir_.path() / name, {leaf}); };
  const std::string command = "openssl verify -attime " + std::to_string(kTestEpochSeconds + 60) +
                              " -crl_check_all -CRLfile " + crl_path.string() + " -CRLfile " + root_crl.string() +
                              " -CAfile " + root_pem.string() + " -untrusted " + issuer_pem.string() + " ";
  testing::CommandResult kept = testing::RunCommand(command + leaf_pem(kept_certificate, "kept.pem").string());
  EXPECT_EQ(kept.exit_code, 0) << kept.output;
  testing::CommandResult refused = testing::RunCommand(command + leaf_pem(revoked_certificate, "revoked.pem").string());
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.output.find("revoked"), std::string::npos) << refused.output;
}

TEST_F(RevocationTest, CrlIsResignedWhenHalfItsLifetimeHasPassed) {
  const Bytes first = CurrentCrl(*store_, *ek_authority_, clock_.Now(), std::chrono::hours(2)).value();
  clock_.Advance(std::chrono::minutes(59));
  EXPECT_EQ(CurrentCrl(*store_, *ek_authority_, clock_.Now(), std::chrono::hours(2)).value(), first);
  clock_.Advance(std::chrono::minutes(2));
  const Bytes second = CurrentCrl(*store_, *ek_authority_, clock_.Now(), std::chrono::hours(2)).value();
  EXPECT_NE(second, first);
  auto crl = ParseCrl(second);
  int days = -1;
  int seconds = -1;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_CRL_get0_lastUpdate(crl.get()), X509_CRL_get0_nextUpdate(crl.get())), 1);
  EXPECT_EQ(days * 86400 + seconds, 7200);
}

}  // namespace
}  // namespace vtpmd::ca
