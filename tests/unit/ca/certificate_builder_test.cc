#include "ca/certificate_builder.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "ca/private_key.h"
#include "ca/serial_number.h"
#include "ca_test_support.h"

namespace vtpmd::ca {
namespace {

using testing::TestStart;

// An Rng that only ever yields zero bytes, as a broken generator would.
class ZeroRng final : public Rng {
 public:
  Status Fill(std::span<std::uint8_t> out) override {
    std::fill(out.begin(), out.end(), std::uint8_t{0});
    return Ok();
  }
};

std::string ExtensionDataHex(X509* certificate, int nid) {
  const int index = X509_get_ext_by_NID(certificate, nid, -1);
  if (index < 0) return "";
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(certificate, index));
  return HexEncode({ASN1_STRING_get0_data(data), static_cast<std::size_t>(ASN1_STRING_length(data))});
}

class CertificateBuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<ossl::PkeyPtr> key = GeneratePrivateKey(KeyAlgorithm::kEcdsaP256);
    ASSERT_TRUE(key.ok());
    key_ = std::move(key).value();
  }

  FakeClock clock_{TestStart()};
  DeterministicRng rng_{7};
  ossl::PkeyPtr key_;
};

TEST(SerialNumberTest, UniqueAndPositiveOver1000Draws) {
  OsRng os_rng;
  DeterministicRng deterministic_rng(1);
  for (Rng* rng : std::initializer_list<Rng*>{&os_rng, &deterministic_rng}) {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
      Result<ossl::Asn1IntegerPtr> serial = RandomSerialNumber(*rng);
      ASSERT_TRUE(serial.ok());
      EXPECT_EQ(ASN1_STRING_type(serial->get()), V_ASN1_INTEGER) << "negative serial";
      ossl::BignumPtr number(ASN1_INTEGER_to_BN(serial->get(), nullptr));
      ASSERT_NE(number, nullptr);
      EXPECT_FALSE(BN_is_zero(number.get()));
      EXPECT_FALSE(BN_is_negative(number.get()));
      EXPECT_LE(BN_num_bits(number.get()), 127);
      const Bytes der = [&] {
        Bytes out(static_cast<std::size_t>(BN_num_bytes(number.get())));
        BN_bn2bin(number.get(), out.data());
        return out;
      }();
      EXPECT_TRUE(seen.insert(HexEncode(der)).second) << "duplicate serial";
    }
    EXPECT_EQ(seen.size(), 1000u);
  }
}

TEST(SerialNumberTest, BrokenGeneratorIsAnError) {
  ZeroRng zero;
  EXPECT_FALSE(RandomSerialNumber(zero).ok());
}

TEST_F(CertificateBuilderTest, SelfSignedCertificateCarriesWhatWasAsked) {
  CertificateBuilder builder(key_.get());
  builder.SetSubject({.common_name = "test CA", .organization = "vtpmd", .organizational_unit = "unit"})
      .SetValidity(clock_, std::chrono::hours(24))
      .SetBasicConstraints(true, 2)
      .SetKeyUsage({.key_cert_sign = true, .crl_sign = true});
  Result<ossl::X509Ptr> certificate = builder.SelfSign(key_.get(), rng_);
  ASSERT_TRUE(certificate.ok()) << certificate.error().message();
  X509* cert = certificate->get();

  EXPECT_EQ(X509_get_version(cert), X509_VERSION_3);
  EXPECT_EQ(X509_verify(cert, key_.get()), 1);
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)), 0);
  EXPECT_EQ(X509_check_ca(cert), 1);
  EXPECT_EQ(X509_get_pathlen(cert), 2);
  EXPECT_EQ(X509_get_key_usage(cert), static_cast<std::uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_EQ(X509_get_signature_nid(cert), NID_ecdsa_with_SHA256);
  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_get0_notBefore(cert), testing::kTestEpochSeconds), 0);
  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_get0_notAfter(cert), testing::kTestEpochSeconds + 24 * 3600), 0);
  // Self-signed: the authority key identifier is the certificate's own key identifier.
  const ASN1_OCTET_STRING* subject_key_id = X509_get0_subject_key_id(cert);
  const ASN1_OCTET_STRING* authority_key_id = X509_get0_authority_key_id(cert);
  ASSERT_NE(subject_key_id, nullptr);
  ASSERT_NE(authority_key_id, nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(subject_key_id, authority_key_id), 0);
  const X509_EXTENSION* basic = X509_get_ext(cert, X509_get_ext_by_NID(cert, NID_basic_constraints, -1));
  EXPECT_EQ(X509_EXTENSION_get_critical(basic), 1);
  const X509_EXTENSION* usage = X509_get_ext(cert, X509_get_ext_by_NID(cert, NID_key_usage, -1));
  EXPECT_EQ(X509_EXTENSION_get_critical(usage), 1);
}

TEST_F(CertificateBuilderTest, SignedCertificateChainsToIssuer) {
  CertificateBuilder root_builder(key_.get());
  root_builder.SetSubject({.common_name = "root"}).SetValidity(clock_, std::chrono::hours(48)).SetBasicConstraints(true, {});
  Result<ossl::X509Ptr> root = root_builder.SelfSign(key_.get(), rng_);
  ASSERT_TRUE(root.ok());

  Result<ossl::PkeyPtr> leaf_key = GeneratePrivateKey(KeyAlgorithm::kEcdsaP384);
  ASSERT_TRUE(leaf_key.ok());
  CertificateBuilder leaf_builder(leaf_key->get());
  leaf_builder.SetValidity(clock_, std::chrono::hours(1))
      .SetExtendedKeyUsage({"1.3.6.1.5.5.7.3.1"})
      .SetSubjectAltNames({.dns_names = {"a.example"}, .ip_addresses = {"10.0.0.1", "fe80::1"}}, true)
      .AddExtension("1.3.6.1.4.1.99999.1", Bytes{0x05, 0x00}, false);
  Result<ossl::X509Ptr> leaf = leaf_builder.SignWith(root->get(), key_.get(), rng_);
  ASSERT_TRUE(leaf.ok()) << leaf.error().message();

  EXPECT_EQ(X509_verify(leaf->get(), key_.get()), 1);
  EXPECT_EQ(X509_check_issued(root->get(), leaf->get()), X509_V_OK);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(leaf->get()), X509_get0_subject_key_id(root->get())), 0);
  EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(leaf->get())), 0) << "empty subject expected";
  EXPECT_EQ(X509_check_host(leaf->get(), "a.example", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(leaf->get(), "fe80::1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(leaf->get(), "10.0.0.2", 0), 0);
  ossl::Owned<ASN1_OBJECT, ASN1_OBJECT_free> custom(OBJ_txt2obj("1.3.6.1.4.1.99999.1", 1));
  const int custom_index = X509_get_ext_by_OBJ(leaf->get(), custom.get(), -1);
  ASSERT_GE(custom_index, 0);
  EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(leaf->get(), custom_index)), 0);
  const ASN1_OCTET_STRING* custom_data = X509_EXTENSION_get_data(X509_get_ext(leaf->get(), custom_index));
  EXPECT_EQ(HexEncode({ASN1_STRING_get0_data(custom_data), static_cast<std::size_t>(ASN1_STRING_length(custom_data))}),
            "0500");
  EXPECT_EQ(ExtensionDataHex(leaf->get(), NID_ext_key_usage), "300a06082b06010505070301");
  EXPECT_EQ(X509_get_signature_nid(leaf->get()), NID_ecdsa_with_SHA256) << "digest follows the signer's key";
}

TEST_F(CertificateBuilderTest, RejectsInvalidInput) {
  CertificateBuilder no_validity(key_.get());
  EXPECT_FALSE(no_validity.SelfSign(key_.get(), rng_).ok());

  CertificateBuilder bad_ip(key_.get());
  bad_ip.SetValidity(clock_, std::chrono::hours(1)).SetSubjectAltNames({.ip_addresses = {"300.1.2.3"}}, false);
  EXPECT_FALSE(bad_ip.SelfSign(key_.get(), rng_).ok());

  CertificateBuilder empty_dns(key_.get());
  empty_dns.SetValidity(clock_, std::chrono::hours(1)).SetSubjectAltNames({.dns_names = {""}}, false);
  EXPECT_FALSE(empty_dns.SelfSign(key_.get(), rng_).ok());

  CertificateBuilder bad_eku(key_.get());
  bad_eku.SetValidity(clock_, std::chrono::hours(1)).SetExtendedKeyUsage({"serverAuth,critical"});
  EXPECT_FALSE(bad_eku.SelfSign(key_.get(), rng_).ok());

  CertificateBuilder bad_oid(key_.get());
  bad_oid.SetValidity(clock_, std::chrono::hours(1)).AddExtension("no.such.oid", Bytes{0x05, 0x00}, false);
  EXPECT_FALSE(bad_oid.SelfSign(key_.get(), rng_).ok());

  ossl::PkeyPtr rsa2048(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}));
  CertificateBuilder foreign_signer(key_.get());
  foreign_signer.SetValidity(clock_, std::chrono::hours(1));
  EXPECT_FALSE(foreign_signer.SelfSign(rsa2048.get(), rng_).ok()) << "only our key algorithms sign";
}

}  // namespace
}  // namespace vtpmd::ca
