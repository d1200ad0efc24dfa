#include "ca/ek_certificate.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "ca/certificate_record.h"
#include "ca/hierarchy.h"
#include "ca/serial_number.h"
#include "ca_test_support.h"
#include "schema/schema.h"

namespace vtpmd::ca {
namespace {

using testing::kTestEpochSeconds;
using testing::TestStart;

// SEQUENCE { SEQUENCE { OID 2.23.133.2.16, SET { SEQUENCE { UTF8String "2.0", INTEGER 0, INTEGER 164 } } } }
constexpr std::string_view kExpectedDirectoryAttributes =
    "3019" "3017" "06056781050210" "310e" "300c" "0c03322e30" "020100" "020200a4";

std::string Text(const ASN1_STRING* value) {
  return std::string(AsChars({ASN1_STRING_get0_data(value), static_cast<std::size_t>(ASN1_STRING_length(value))}));
}

std::string OidText(const ASN1_OBJECT* object) {
  char buffer[80];
  OBJ_obj2txt(buffer, sizeof buffer, object, 1);
  return buffer;
}

X509_EXTENSION* Extension(X509* certificate, std::string_view oid) {
  ossl::Owned<ASN1_OBJECT, ASN1_OBJECT_free> object(OBJ_txt2obj(std::string(oid).c_str(), 1));
  const int index = X509_get_ext_by_OBJ(certificate, object.get(), -1);
  return index < 0 ? nullptr : X509_get_ext(certificate, index);
}

// The (OID, value, UTF8String?) triples of every directoryName entry in the SAN.
std::vector<std::pair<std::string, std::string>> SanDirectoryEntries(X509* certificate, bool* all_utf8) {
  std::vector<std::pair<std::string, std::string>> entries;
  *all_utf8 = true;
  ossl::GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return entries;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_DIRNAME) continue;
    for (int j = 0; j < X509_NAME_entry_count(name->d.directoryName); ++j) {
      const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name->d.directoryName, j);
      const ASN1_STRING* data = X509_NAME_ENTRY_get_data(entry);
      *all_utf8 = *all_utf8 && ASN1_STRING_type(data) == V_ASN1_UTF8STRING;
      entries.emplace_back(OidText(X509_NAME_ENTRY_get_object(entry)), Text(data));
    }
  }
  return entries;
}

// A public-only copy, as the CA receives an EK from a TPM.
ossl::PkeyPtr PublicOnly(EVP_PKEY* key) {
  Result<Bytes> der = ossl::PublicKeyDer(key);
  EXPECT_TRUE(der.ok());
  const unsigned char* cursor = der->data();
  return ossl::PkeyPtr(d2i_PUBKEY(nullptr, &cursor, static_cast<long>(der->size())));
}

class EkCertificateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<Store>> store = Store::OpenInMemory(schema::Migrations());
    ASSERT_TRUE(store.ok());
    store_ = std::move(store).value();
    Result<std::unique_ptr<CaHierarchy>> hierarchy =
        CaHierarchy::LoadOrCreate(*store_, testing::TestDataKey(0x11), CaOptions{}, clock_, rng_);
    ASSERT_TRUE(hierarchy.ok()) << hierarchy.error().message();
    hierarchy_ = std::move(hierarchy).value();
    Result<const Issuer*> manufacturer = hierarchy_->issuer(IssuerRole::kDevManufacturer);
    ASSERT_TRUE(manufacturer.ok());
    manufacturer_ = *manufacturer;
  }

  Result<ossl::X509Ptr> Issue(EVP_PKEY* ek, std::string common_name) {
    EkCertificateRequest request{
        .ek_public = ek,
        .tpm = {.manufacturer_id = 0x49424D00, .model = "swtpm", .firmware_version = 0x2019121700112233},
        .subject_common_name = std::move(common_name),
        .validity = std::chrono::hours(24 * 365 * 10),
    };
    return IssueEkCertificate(*manufacturer_, request, *store_, clock_, rng_);
  }

  void ExpectTcgProfile(X509* certificate, std::uint32_t expected_key_usage, bool empty_subject) {
    EXPECT_EQ(X509_get_version(certificate), X509_VERSION_3);
    EXPECT_EQ(X509_check_ca(certificate), 0);
    const X509_EXTENSION* basic = Extension(certificate, "2.5.29.19");
    ASSERT_NE(basic, nullptr) << "basicConstraints CA:FALSE is present";
    EXPECT_EQ(X509_get_key_usage(certificate), expected_key_usage);
    EXPECT_EQ(X509_EXTENSION_get_critical(Extension(certificate, "2.5.29.15")), 1) << "keyUsage critical";

    ossl::Owned<EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free> usages(
        static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(certificate, NID_ext_key_usage, nullptr, nullptr)));
    ASSERT_NE(usages, nullptr);
    ASSERT_EQ(sk_ASN1_OBJECT_num(usages.get()), 1);
    EXPECT_EQ(OidText(sk_ASN1_OBJECT_value(usages.get(), 0)), "2.23.133.8.1");

    bool all_utf8 = false;
    const std::vector<std::pair<std::string, std::string>> expected = {
        {"2.23.133.2.1", "id:49424D00"}, {"2.23.133.2.2", "swtpm"}, {"2.23.133.2.3", "id:20191217"}};
    EXPECT_EQ(SanDirectoryEntries(certificate, &all_utf8), expected);
    EXPECT_TRUE(all_utf8);
    const X509_EXTENSION* san = Extension(certificate, "2.5.29.17");
    ASSERT_NE(san, nullptr);
    EXPECT_EQ(X509_EXTENSION_get_critical(san), empty_subject ? 1 : 0);
    EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(certificate)) == 0, empty_subject);

    X509_EXTENSION* attributes = Extension(certificate, "2.5.29.9");
    ASSERT_NE(attributes, nullptr);
    EXPECT_EQ(X509_EXTENSION_get_critical(attributes), 0);
    const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(attributes);
    EXPECT_EQ(HexEncode({ASN1_STRING_get0_data(data), static_cast<std::size_t>(ASN1_STRING_length(data))}),
              kExpectedDirectoryAttributes);

    EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(certificate),
                                    X509_get0_subject_key_id(manufacturer_->certificate.get())),
              0);
    testing::CommandResult verified = testing::OpensslVerify(dir_, manufacturer_->certificate.get(), {}, certificate,
                                                             kTestEpochSeconds + 3600);
    EXPECT_EQ(verified.exit_code, 0) << verified.output;
  }

  testing::TempDir dir_;
  FakeClock clock_{TestStart()};
  DeterministicRng rng_{99};
  std::unique_ptr<Store> store_;
  std::unique_ptr<CaHierarchy> hierarchy_;
  const Issuer* manufacturer_ = nullptr;
};

TEST_F(EkCertificateTest, RsaEkWithEmptySubject) {
  ossl::PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}));
  ossl::PkeyPtr ek = PublicOnly(key.get());
  ASSERT_NE(ek, nullptr);
  Result<ossl::X509Ptr> certificate = Issue(ek.get(), "");
  ASSERT_TRUE(certificate.ok()) << certificate.error().message();
  ExpectTcgProfile(certificate->get(), KU_KEY_ENCIPHERMENT, true);
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(certificate->get()), ek.get()), 1);
}

TEST_F(EkCertificateTest, EccEkWithSubject) {
  ossl::PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  ossl::PkeyPtr ek = PublicOnly(key.get());
  ASSERT_NE(ek, nullptr);
  Result<ossl::X509Ptr> certificate = Issue(ek.get(), "simulated platform TPM");
  ASSERT_TRUE(certificate.ok()) << certificate.error().message();
  ExpectTcgProfile(certificate->get(), KU_KEY_AGREEMENT, false);
}

TEST_F(EkCertificateTest, IsNotValidUnderOurRoot) {
  ossl::PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  Result<ossl::X509Ptr> certificate = Issue(key.get(), "");
  ASSERT_TRUE(certificate.ok());
  Result<const Issuer*> root = hierarchy_->issuer(IssuerRole::kRoot);
  ASSERT_TRUE(root.ok());
  EXPECT_NE(testing::OpensslVerify(dir_, (*root)->certificate.get(), {}, certificate->get(), kTestEpochSeconds + 3600)
                .exit_code,
            0);
}

TEST_F(EkCertificateTest, IsRecorded) {
  ossl::PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  Result<ossl::X509Ptr> certificate = Issue(key.get(), "tpm");
  ASSERT_TRUE(certificate.ok());
  Result<Statement> select = store_->Prepare(
      "SELECT issuer_role, subject, certificate_der, not_before, not_after FROM certificates WHERE kind = 'ek'");
  ASSERT_TRUE(select.ok());
  Result<bool> row = select->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(select->Text(0), "dev-manufacturer");
  EXPECT_EQ(select->Text(1), "CN=tpm");
  Result<Bytes> der = ossl::CertificateDer(certificate->get());
  ASSERT_TRUE(der.ok());
  EXPECT_EQ(select->Blob(2), *der);
  EXPECT_EQ(select->Int(3), kTestEpochSeconds);
  EXPECT_EQ(select->Int(4), kTestEpochSeconds + 10 * 365 * 86400);
  Result<bool> more = select->Step();
  ASSERT_TRUE(more.ok());
  EXPECT_FALSE(*more);
}

TEST_F(EkCertificateTest, IsFoundAgainByItsSerial) {
  ossl::PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  Result<ossl::X509Ptr> certificate = Issue(key.get(), "tpm");
  ASSERT_TRUE(certificate.ok());
  Result<std::string> serial = SerialHex(certificate->get());
  ASSERT_TRUE(serial.ok());
  Result<std::optional<Bytes>> found = FindCertificateDer(*store_, *serial);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ(**found, *ossl::CertificateDer(certificate->get()));
  Result<std::optional<Bytes>> missing = FindCertificateDer(*store_, "00");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_F(EkCertificateTest, RejectsBadRequests) {
  EXPECT_EQ(Issue(nullptr, "").error().code(), ErrorCode::kInvalidArgument);
  ossl::PkeyPtr ed25519(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  EXPECT_EQ(Issue(ed25519.get(), "").error().code(), ErrorCode::kInvalidArgument);

  ossl::PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  EkCertificateRequest no_validity{.ek_public = key.get(),
                                   .tpm = {.manufacturer_id = 1, .model = "m", .firmware_version = 0},
                                   .subject_common_name = "",
                                   .validity = std::chrono::seconds(0)};
  EXPECT_FALSE(IssueEkCertificate(*manufacturer_, no_validity, *store_, clock_, rng_).ok());
  EkCertificateRequest no_model{.ek_public = key.get(),
                                .tpm = {.manufacturer_id = 1, .model = "", .firmware_version = 0},
                                .subject_common_name = "",
                                .validity = std::chrono::hours(1)};
  EXPECT_FALSE(IssueEkCertificate(*manufacturer_, no_model, *store_, clock_, rng_).ok());
}

}  // namespace
}  // namespace vtpmd::ca
