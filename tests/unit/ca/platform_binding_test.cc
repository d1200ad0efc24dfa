// Method aik-certifies-ek: an EK' certificate bound to the platform by a real
// (simulated) platform TPM's quote over its to-be-signed contents.

#include "ca/platform_binding.h"

#include <gtest/gtest.h>

#include "ca/ek_certificate.h"
#include "ca/hierarchy.h"
#include "ca_test_support.h"
#include "core/pcr_selection.h"
#include "core/tpm_keys.h"
#include "schema/schema.h"
#include "vtpm/platform_tpm.h"

namespace vtpmd::ca {
namespace {

class PlatformBindingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir;
    auto tpm = vtpm::PlatformTpm::Open({.tcti = vtpm::kSimulatedTcti, .runtime_dir = dir_->path() / "tpm"});
    ASSERT_TRUE(tpm.ok()) << tpm.error().message();
    platform_ = std::move(*tpm).release();
  }
  static void TearDownTestSuite() {
    delete platform_;
    delete dir_;
  }

  void SetUp() override {
    store_ = Store::OpenInMemory(schema::Migrations()).value();
    hierarchy_ = CaHierarchy::LoadOrCreate(*store_, testing::TestDataKey(0x33), CaOptions{}, clock_, rng_).value();
    aik_key_ = tpm::PublicKeyFromTpm(platform_->aik().publicArea).value();
  }

  // The binder vtpmd uses: the platform quotes sha256:0-7 over the digest.
  PlatformBinder Binder() {
    return [](ByteView digest) -> Result<PlatformBinding> {
      VTPMD_ASSIGN_OR_RETURN(TPML_PCR_SELECTION selection, tpm::ParsePcrSelectionText("sha256:0-7"));
      VTPMD_ASSIGN_OR_RETURN(vtpm::QuoteResult quote, platform_->Quote(digest, selection));
      Bytes values;
      for (const Bytes& value : vtpm::ValuesInTpmOrder(quote.pcrs)) values.insert(values.end(), value.begin(), value.end());
      return PlatformBinding{Bytes{0x30, 0x00}, quote.attest, quote.signature, values};
    };
  }

  ossl::X509Ptr Issue(PlatformBinder binder) {
    ossl::PkeyPtr ek(EVP_EC_gen("P-256"));
    EkCertificateRequest request{.ek_public = ek.get(),
                                 .tpm = {.manufacturer_id = 0x49424D00, .model = "swtpm", .firmware_version = 0},
                                 .subject_common_name = "vm",
                                 .validity = std::chrono::hours(24),
                                 .instance_id = "",
                                 .binder = std::move(binder)};
    const Issuer* authority = hierarchy_->issuer(IssuerRole::kEkAuthority).value();
    Result<ossl::X509Ptr> certificate = IssueEkCertificate(*authority, request, *store_, clock_, rng_);
    EXPECT_TRUE(certificate.ok()) << certificate.error().message();
    return certificate.ok() ? std::move(certificate).value() : nullptr;
  }

  static PlatformBinding BindingOf(X509* certificate) {
    auto binding = FindPlatformBinding(certificate);
    EXPECT_TRUE(binding.ok() && binding->has_value());
    return binding.ok() && binding->has_value() ? **binding : PlatformBinding{};
  }

  static testing::TempDir* dir_;
  static vtpm::PlatformTpm* platform_;
  FakeClock clock_{testing::TestStart()};
  DeterministicRng rng_{5};
  std::unique_ptr<Store> store_;
  std::unique_ptr<CaHierarchy> hierarchy_;
  ossl::PkeyPtr aik_key_;
};

testing::TempDir* PlatformBindingTest::dir_ = nullptr;
vtpm::PlatformTpm* PlatformBindingTest::platform_ = nullptr;

TEST_F(PlatformBindingTest, BoundCertificateVerifiesAndStillChains) {
  ossl::X509Ptr certificate = Issue(Binder());
  ASSERT_NE(certificate, nullptr);
  const PlatformBinding binding = BindingOf(certificate.get());
  Status verified = VerifyPlatformBinding(certificate.get(), binding, aik_key_.get(), PlatformPolicy{});
  EXPECT_TRUE(verified.ok()) << verified.error().message();
  const Issuer* authority = hierarchy_->issuer(IssuerRole::kEkAuthority).value();
  EXPECT_EQ(X509_verify(certificate.get(), X509_get0_pubkey(authority->certificate.get())), 1)
      << "the re-signed certificate carries a valid signature";
  EXPECT_EQ(ParsePlatformBinding(EncodePlatformBinding(binding).value()).value().attest, binding.attest);
}

TEST_F(PlatformBindingTest, TamperedBindingsAreRefused) {
  ossl::X509Ptr certificate = Issue(Binder());
  ASSERT_NE(certificate, nullptr);
  const PlatformBinding good = BindingOf(certificate.get());

  PlatformBinding pcrs = good;
  pcrs.pcr_values[0] ^= 1;
  EXPECT_EQ(VerifyPlatformBinding(certificate.get(), pcrs, aik_key_.get(), {}).error().code(), ErrorCode::kUnsupported);

  PlatformBinding attest = good;
  attest.attest.back() ^= 1;
  EXPECT_FALSE(VerifyPlatformBinding(certificate.get(), attest, aik_key_.get(), {}).ok());

  // A genuine binding moved to another certificate does not cover it.
  ossl::X509Ptr other = Issue(Binder());
  ASSERT_NE(other, nullptr);
  Status moved = VerifyPlatformBinding(other.get(), good, aik_key_.get(), {});
  ASSERT_FALSE(moved.ok());
  EXPECT_NE(moved.error().message().find("another certificate"), std::string::npos) << moved.error().message();

  // Signed by some other key.
  ossl::PkeyPtr stranger(EVP_EC_gen("P-256"));
  EXPECT_FALSE(VerifyPlatformBinding(certificate.get(), good, stranger.get(), {}).ok());
}

TEST_F(PlatformBindingTest, PlatformPolicyIsAppliedToTheQuotedPcrs) {
  ossl::X509Ptr certificate = Issue(Binder());
  ASSERT_NE(certificate, nullptr);
  const PlatformBinding binding = BindingOf(certificate.get());
  const Bytes pcr0(binding.pcr_values.begin(), binding.pcr_values.begin() + 32);
  PlatformPolicy allowed{{{0, {Bytes(32, 0xaa), pcr0}}}};
  EXPECT_TRUE(VerifyPlatformBinding(certificate.get(), binding, aik_key_.get(), allowed).ok());
  PlatformPolicy refused{{{0, {Bytes(32, 0xaa)}}}};
  EXPECT_EQ(VerifyPlatformBinding(certificate.get(), binding, aik_key_.get(), refused).error().code(),
            ErrorCode::kUnsupported);
  PlatformPolicy uncovered{{{9, {pcr0}}}};
  EXPECT_FALSE(VerifyPlatformBinding(certificate.get(), binding, aik_key_.get(), uncovered).ok());
}

TEST_F(PlatformBindingTest, MalformedBindingsDoNotParse) {
  EXPECT_FALSE(ParsePlatformBinding(Bytes{}).ok());
  EXPECT_FALSE(ParsePlatformBinding(Bytes{0x30, 0x03, 0x02, 0x01, 0x01}).ok()) << "fields missing";
  PlatformBinding binding{Bytes{1}, Bytes{2}, Bytes{3}, Bytes{4}};
  Bytes der = EncodePlatformBinding(binding).value();
  EXPECT_TRUE(ParsePlatformBinding(der).ok());
  der.push_back(0);
  EXPECT_FALSE(ParsePlatformBinding(der).ok()) << "trailing bytes";
  Bytes version2 = EncodePlatformBinding(binding).value();
  version2[4] = 2;
  EXPECT_EQ(ParsePlatformBinding(version2).error().code(), ErrorCode::kUnsupported);
}

}  // namespace
}  // namespace vtpmd::ca
