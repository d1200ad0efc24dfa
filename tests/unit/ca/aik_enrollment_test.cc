// The enrollment protocol's refusals at the CA, with a fake clock: untrusted,
// revoked or mismatched EKs, expiry, single use and a bounded challenge table;
// what is written to the store, and what a restart forgets.

#include "ca/aik_enrollment.h"

#include <gtest/gtest.h>

#include "ca/ek_certificate.h"
#include "ca/hierarchy.h"
#include "ca/revocation.h"
#include "ca/serial_number.h"
#include "ca_test_support.h"
#include "core/tpm_ek_template.h"
#include "schema/schema.h"
#include "tests/support/software_credential_activation.h"
#include "tests/support/test_data.h"

namespace vtpmd::ca {
namespace {

class AikEnrollmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = Store::OpenInMemory(schema::Migrations()).value();
    hierarchy_ = CaHierarchy::LoadOrCreate(*store_, testing::TestDataKey(0x44), CaOptions{}, clock_, rng_).value();
    auto verifier = EkCertificateVerifier::Create(*store_, *hierarchy_, {});
    ASSERT_TRUE(verifier.ok());
    verifier_.emplace(std::move(*verifier));
    EnrollmentPolicy policy;
    policy.challenge_lifetime = std::chrono::seconds(60);
    policy.max_pending_challenges = 3;
    enrollment_ = std::make_unique<AikEnrollment>(*store_, *hierarchy_->issuer(IssuerRole::kPrivacyCa).value(),
                                                  nullptr, *verifier_, policy, clock_, rng_, nullptr);
    ek_key_.reset(EVP_EC_gen("P-256"));
    ek_certificate_ = IssueEk(ek_key_.get(), *hierarchy_->issuer(IssuerRole::kEkAuthority).value());
    aik_ = vtpmd::testing::ReadTestData("tpm/akecc.pub").value();
  }

  ossl::X509Ptr IssueEk(EVP_PKEY* key, const Issuer& issuer) {
    EkCertificateRequest request{.ek_public = key,
                                 .tpm = {.manufacturer_id = 0x49424D00, .model = "swtpm", .firmware_version = 0},
                                 .subject_common_name = "",
                                 .validity = std::chrono::hours(24),
                                 .instance_id = "",
                                 .binder = nullptr};
    return IssueEkCertificate(issuer, request, *store_, clock_, rng_).value();
  }

  EndorsementClaim Claim(X509* certificate) {
    return EndorsementClaim{.ek_certificate = certificate,
                            .ek_public = std::nullopt,
                            .instance_id = "",
                            .vm_id = "",
                            .host_name = "test TPM",
                            .host_signed = false};
  }

  FakeClock clock_{testing::TestStart()};
  DeterministicRng rng_{11};
  std::unique_ptr<Store> store_;
  std::unique_ptr<CaHierarchy> hierarchy_;
  std::optional<EkCertificateVerifier> verifier_;
  std::unique_ptr<AikEnrollment> enrollment_;
  ossl::PkeyPtr ek_key_;
  ossl::X509Ptr ek_certificate_;
  Bytes aik_;
};

TEST_F(AikEnrollmentTest, ChallengesAreBoundedAndExpiredOnesStopCounting) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(enrollment_->Challenge(Claim(ek_certificate_.get()), aik_).ok());
  Result<IssuedChallenge> flood = enrollment_->Challenge(Claim(ek_certificate_.get()), aik_);
  ASSERT_FALSE(flood.ok());
  EXPECT_EQ(flood.error().code(), ErrorCode::kResourceExhausted);
  clock_.Advance(std::chrono::seconds(61));
  EXPECT_TRUE(enrollment_->Challenge(Claim(ek_certificate_.get()), aik_).ok()) << "expired challenges free the table";
}

TEST_F(AikEnrollmentTest, ALateOrSecondOrWrongActivationIsRefused) {
  IssuedChallenge late = enrollment_->Challenge(Claim(ek_certificate_.get()), aik_).value();
  clock_.Advance(std::chrono::seconds(60));
  Result<Enrollment> expired = enrollment_->Activate(late.id, Bytes(32, 1));
  ASSERT_FALSE(expired.ok());
  EXPECT_NE(expired.error().message().find("expired"), std::string::npos) << expired.error().message();
  EXPECT_NE(enrollment_->Activate(late.id, Bytes(32, 1)).error().message().find("already used"), std::string::npos);

  IssuedChallenge wrong = enrollment_->Challenge(Claim(ek_certificate_.get()), aik_).value();
  EXPECT_EQ(enrollment_->Activate(wrong.id, Bytes(32, 2)).error().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(enrollment_->Activate(wrong.id, Bytes(32, 2)).error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(enrollment_->Activate("00000000-0000-4000-8000-000000000000", Bytes(32, 2)).error().code(),
            ErrorCode::kNotFound);
}

TEST_F(AikEnrollmentTest, OnlyUsedChallengesAreRecordedAndARestartForgetsPendingOnes) {
  auto recorded = [&] {
    std::vector<std::string> rows;
    auto select = store_->Prepare("SELECT state || ' ' || COALESCE(certificate_serial, '-') FROM aik_challenges "
                                  "ORDER BY state");
    EXPECT_TRUE(select.ok());
    while (select.ok()) {
      Result<bool> row = select->Step();
      if (!row.ok() || !*row) break;
      rows.push_back(select->Text(0));
    }
    return rows;
  };
  IssuedChallenge forgotten = enrollment_->Challenge(Claim(ek_certificate_.get()), aik_).value();
  IssuedChallenge answered = enrollment_->Challenge(Claim(ek_certificate_.get()), aik_).value();
  IssuedChallenge refused = enrollment_->Challenge(Claim(ek_certificate_.get()), aik_).value();
  EXPECT_TRUE(recorded().empty()) << "issuing a challenge writes nothing";

  const TPMT_PUBLIC ek_public = tpm::EkPublicFromKey(ek_key_.get()).value();
  Result<SecretBytes> secret =
      vtpmd::testing::ActivateCredential(ek_key_.get(), ek_public, answered.aik_name, answered.credential);
  ASSERT_TRUE(secret.ok()) << secret.error().message();
  Result<Enrollment> enrolled = enrollment_->Activate(answered.id, secret->view());
  ASSERT_TRUE(enrolled.ok()) << enrolled.error().message();
  EXPECT_EQ(enrollment_->Activate(refused.id, Bytes(32, 9)).error().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(recorded(), (std::vector<std::string>{"activated " + enrolled->serial, "refused -"}));

  // vtpmd restarts: a new enrollment object over the same store.
  EnrollmentPolicy policy;
  enrollment_ = std::make_unique<AikEnrollment>(*store_, *hierarchy_->issuer(IssuerRole::kPrivacyCa).value(),
                                                nullptr, *verifier_, policy, clock_, rng_, nullptr);
  Result<Enrollment> lost = enrollment_->Activate(forgotten.id, Bytes(32, 1));
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(lost.error().message().find("restart"), std::string::npos) << lost.error().message();
  EXPECT_EQ(enrollment_->Activate(answered.id, secret->view()).error().code(), ErrorCode::kFailedPrecondition)
      << "a used challenge stays used across the restart";
  EXPECT_EQ(recorded().size(), 2u);
}

TEST_F(AikEnrollmentTest, UntrustedRevokedMismatchedAndNonEkCertificatesAreRefused) {
  // An EK certificate from a CA nobody configured.
  ossl::PkeyPtr rogue_key(EVP_EC_gen("P-256"));
  {
    auto other = CaHierarchy::LoadOrCreate(*Store::OpenInMemory(schema::Migrations()).value(),
                                           testing::TestDataKey(0x55), CaOptions{}, clock_, rng_);
    ASSERT_TRUE(other.ok());
    const Issuer* their_authority = (*other)->issuer(IssuerRole::kEkAuthority).value();
    ossl::X509Ptr foreign = IssueEk(rogue_key.get(), *their_authority);
    EXPECT_EQ(enrollment_->Challenge(Claim(foreign.get()), aik_).error().code(), ErrorCode::kUnsupported);
  }

  // The EK public area of another key than the certificate's.
  EndorsementClaim mismatched = Claim(ek_certificate_.get());
  ossl::PkeyPtr other_ek(EVP_EC_gen("P-256"));
  mismatched.ek_public = tpm::EkPublicFromKey(other_ek.get()).value();
  Result<IssuedChallenge> refused = enrollment_->Challenge(mismatched, aik_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("another key"), std::string::npos) << refused.error().message();

  // A certificate of ours that is not an EK certificate.
  X509* privacy_ca = hierarchy_->issuer(IssuerRole::kPrivacyCa).value()->certificate.get();
  EXPECT_EQ(enrollment_->Challenge(Claim(privacy_ca), aik_).error().code(), ErrorCode::kUnsupported);

  // A revoked EK certificate.
  ASSERT_TRUE(RevokeCertificate(*store_, SerialHex(ek_certificate_.get()).value(), RevocationReason::kKeyCompromise,
                                clock_.Now())
                  .ok());
  Result<IssuedChallenge> revoked = enrollment_->Challenge(Claim(ek_certificate_.get()), aik_);
  ASSERT_FALSE(revoked.ok());
  EXPECT_NE(revoked.error().message().find("revoked"), std::string::npos) << revoked.error().message();

  // The EK itself is no attestation key.
  Result<IssuedChallenge> not_aik = enrollment_->Challenge(Claim(ek_certificate_.get()),
                                                           vtpmd::testing::ReadTestData("tpm/ek.pub").value());
  EXPECT_EQ(not_aik.error().code(), ErrorCode::kUnsupported);
}

}  // namespace
}  // namespace vtpmd::ca
