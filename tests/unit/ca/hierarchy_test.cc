#include "ca/hierarchy.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "ca/private_key.h"
#include "ca_test_support.h"
#include "schema/schema.h"

namespace vtpmd::ca {
namespace {

using testing::kTestEpochSeconds;
using testing::OpensslVerify;
using testing::TempDir;
using testing::TestDataKey;
using testing::TestStart;

constexpr std::int64_t kOneHour = 3600;

std::unique_ptr<Store> OpenStore(const TempDir& dir) {
  Result<std::unique_ptr<Store>> store = Store::Open(dir.path() / "vtpmd.db", schema::Migrations());
  EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message());
  return store.ok() ? std::move(store).value() : nullptr;
}

const Issuer& Get(const CaHierarchy& hierarchy, IssuerRole role) {
  Result<const Issuer*> issuer = hierarchy.issuer(role);
  EXPECT_TRUE(issuer.ok()) << IssuerRoleName(role);
  return **issuer;
}

std::map<IssuerRole, Bytes> CertificateDers(const CaHierarchy& hierarchy) {
  std::map<IssuerRole, Bytes> ders;
  for (const Issuer* issuer : hierarchy.issuers()) {
    Result<Bytes> der = ossl::CertificateDer(issuer->certificate.get());
    EXPECT_TRUE(der.ok());
    ders[issuer->role] = *der;
  }
  return ders;
}

// Signs with the issuer's private key and verifies with its certificate's public key.
bool KeyWorks(const Issuer& issuer) {
  const Bytes message = {1, 2, 3, 4};
  ossl::MdCtxPtr sign_context(EVP_MD_CTX_new());
  std::size_t length = 0;
  if (EVP_DigestSignInit(sign_context.get(), nullptr, EVP_sha256(), nullptr, issuer.private_key.get()) != 1 ||
      EVP_DigestSign(sign_context.get(), nullptr, &length, message.data(), message.size()) != 1) {
    return false;
  }
  Bytes signature(length);
  if (EVP_DigestSign(sign_context.get(), signature.data(), &length, message.data(), message.size()) != 1) return false;
  signature.resize(length);
  ossl::MdCtxPtr verify_context(EVP_MD_CTX_new());
  return EVP_DigestVerifyInit(verify_context.get(), nullptr, EVP_sha256(), nullptr,
                              X509_get0_pubkey(issuer.certificate.get())) == 1 &&
         EVP_DigestVerify(verify_context.get(), signature.data(), signature.size(), message.data(), message.size()) == 1;
}

std::int64_t CountRows(Store& store, const std::string& sql) {
  Result<Statement> statement = store.Prepare(sql);
  EXPECT_TRUE(statement.ok());
  Result<bool> row = statement->Step();
  EXPECT_TRUE(row.ok() && *row);
  return statement->Int(0);
}

std::int64_t Lifetime(X509* certificate) {
  int days = 0;
  int seconds = 0;
  EXPECT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(certificate), X509_get0_notAfter(certificate)), 1);
  return std::int64_t{days} * 86400 + seconds;
}

std::string Subject(X509* certificate) {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(certificate), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

void FlipSealedKeyByte(Store& store, const std::string& role, std::size_t index) {
  Result<Statement> select = store.Prepare("SELECT private_key_sealed FROM ca_issuers WHERE role = ?");
  ASSERT_TRUE(select.ok());
  select->Bind(1, role);
  ASSERT_TRUE(select->Step().ok());
  Bytes sealed = select->Blob(0);
  ASSERT_GT(sealed.size(), index);
  sealed[index] ^= 0x01;
  Result<Statement> update = store.Prepare("UPDATE ca_issuers SET private_key_sealed = ? WHERE role = ?");
  ASSERT_TRUE(update.ok());
  update->Bind(1, ByteView(sealed)).Bind(2, role);
  ASSERT_TRUE(update->Run().ok());
}

class CaHierarchyTest : public ::testing::Test {
 protected:
  Result<std::unique_ptr<CaHierarchy>> Load(Store& store, const SecretBytes& data_key, const CaOptions& options,
                                            std::uint64_t rng_seed) {
    // A fresh seed per call: the same seed under the same data key would repeat GCM nonces.
    DeterministicRng rng(rng_seed);
    return CaHierarchy::LoadOrCreate(store, data_key, options, clock_, rng);
  }

  std::unique_ptr<CaHierarchy> MustLoad(Store& store, const CaOptions& options, std::uint64_t rng_seed) {
    Result<std::unique_ptr<CaHierarchy>> hierarchy = Load(store, data_key_, options, rng_seed);
    EXPECT_TRUE(hierarchy.ok()) << (hierarchy.ok() ? "" : hierarchy.error().message());
    return hierarchy.ok() ? std::move(hierarchy).value() : nullptr;
  }

  void ExpectAllVerifyWithOpenssl(const CaHierarchy& hierarchy, std::int64_t at_seconds) {
    const Issuer& root = Get(hierarchy, IssuerRole::kRoot);
    for (IssuerRole role : {IssuerRole::kRoot, IssuerRole::kEkAuthority, IssuerRole::kPrivacyCa,
                            IssuerRole::kAttestationSigner, IssuerRole::kHostTls}) {
      testing::CommandResult verified =
          OpensslVerify(dir_, root.certificate.get(), {}, Get(hierarchy, role).certificate.get(), at_seconds);
      EXPECT_EQ(verified.exit_code, 0) << IssuerRoleName(role) << ": " << verified.output;
    }
  }

  TempDir dir_;
  FakeClock clock_{TestStart()};
  SecretBytes data_key_ = TestDataKey(0x42);
  CaOptions options_{.host_name = "host-a"};
};

TEST_F(CaHierarchyTest, FirstStartCreatesAndRestartReloadsTheSameIssuers) {
  std::map<IssuerRole, Bytes> created;
  {
    std::unique_ptr<Store> store = OpenStore(dir_);
    std::unique_ptr<CaHierarchy> hierarchy = MustLoad(*store, options_, 1);
    ASSERT_NE(hierarchy, nullptr);
    EXPECT_TRUE(hierarchy->created_now());
    EXPECT_EQ(hierarchy->issuers().size(), 6u);
    created = CertificateDers(*hierarchy);
    EXPECT_EQ(CountRows(*store, "SELECT COUNT(*) FROM ca_issuers"), 6);
    EXPECT_EQ(CountRows(*store, "SELECT COUNT(*) FROM certificates"), 6);
    EXPECT_EQ(CountRows(*store, "SELECT COUNT(*) FROM certificates WHERE issuer_role = 'root'"), 5);
  }
  clock_.Advance(std::chrono::hours(24));
  std::unique_ptr<Store> store = OpenStore(dir_);
  std::unique_ptr<CaHierarchy> reloaded = MustLoad(*store, options_, 2);
  ASSERT_NE(reloaded, nullptr);
  EXPECT_FALSE(reloaded->created_now());
  EXPECT_EQ(CertificateDers(*reloaded), created);
  for (const Issuer* issuer : reloaded->issuers()) {
    EXPECT_TRUE(KeyWorks(*issuer)) << IssuerRoleName(issuer->role);
    EXPECT_EQ(X509_check_private_key(issuer->certificate.get(), issuer->private_key.get()), 1);
  }
  EXPECT_EQ(CountRows(*store, "SELECT COUNT(*) FROM certificates"), 6) << "a plain restart issues nothing";
}

TEST_F(CaHierarchyTest, AChainIsTheLeafThenItsIssuerThenTheRoot) {
  std::unique_ptr<Store> store = OpenStore(dir_);
  std::unique_ptr<CaHierarchy> hierarchy = MustLoad(*store, options_, 1);
  ASSERT_NE(hierarchy, nullptr);
  auto pem = [&](IssuerRole role) { return ossl::CertificatePem(Get(*hierarchy, role).certificate.get()).value(); };
  X509* const leaf = Get(*hierarchy, IssuerRole::kHostTls).certificate.get();
  const std::string leaf_pem = ossl::CertificatePem(leaf).value();

  auto under_privacy_ca = hierarchy->ChainPem(leaf, IssuerRole::kPrivacyCa);
  ASSERT_TRUE(under_privacy_ca.ok()) << under_privacy_ca.error().message();
  EXPECT_EQ(*under_privacy_ca, leaf_pem + pem(IssuerRole::kPrivacyCa) + pem(IssuerRole::kRoot));
  auto under_root = hierarchy->ChainPem(leaf, IssuerRole::kRoot);
  ASSERT_TRUE(under_root.ok());
  EXPECT_EQ(*under_root, leaf_pem + pem(IssuerRole::kRoot));
}

TEST_F(CaHierarchyTest, ProfilesMatchTheTrustModel) {
  std::unique_ptr<Store> store = OpenStore(dir_);
  std::unique_ptr<CaHierarchy> hierarchy = MustLoad(*store, options_, 1);
  ASSERT_NE(hierarchy, nullptr);
  constexpr std::int64_t kYear = 31556952;  // std::chrono::years

  X509* root = Get(*hierarchy, IssuerRole::kRoot).certificate.get();
  EXPECT_EQ(Subject(root), "CN=vtpmd root CA,OU=host-a,O=vtpmd");
  EXPECT_EQ(X509_check_ca(root), 1);
  EXPECT_EQ(X509_get_key_usage(root), static_cast<std::uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(root, X509_get_ext_by_NID(root, NID_basic_constraints, -1))), 1);
  EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(root, X509_get_ext_by_NID(root, NID_key_usage, -1))), 1);
  EXPECT_EQ(Lifetime(root), 20 * kYear);

  for (IssuerRole role : {IssuerRole::kEkAuthority, IssuerRole::kPrivacyCa}) {
    X509* intermediate = Get(*hierarchy, role).certificate.get();
    EXPECT_EQ(X509_check_ca(intermediate), 1);
    // One CA may sit below the privacy CA: a host signing key (aik-certifies-aik).
    EXPECT_EQ(X509_get_pathlen(intermediate), role == IssuerRole::kPrivacyCa ? 1 : 0);
    EXPECT_EQ(X509_get_key_usage(intermediate), static_cast<std::uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
    EXPECT_EQ(Lifetime(intermediate), 10 * kYear);
    EXPECT_EQ(X509_check_issued(root, intermediate), X509_V_OK);
  }
  EXPECT_EQ(Subject(Get(*hierarchy, IssuerRole::kEkAuthority).certificate.get()), "CN=vtpmd EK authority,OU=host-a,O=vtpmd");

  X509* signer = Get(*hierarchy, IssuerRole::kAttestationSigner).certificate.get();
  EXPECT_EQ(X509_check_ca(signer), 0);
  EXPECT_EQ(X509_get_key_usage(signer), static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(Lifetime(signer), 3 * kYear);

  X509* tls = Get(*hierarchy, IssuerRole::kHostTls).certificate.get();
  EXPECT_EQ(X509_check_ca(tls), 0);
  EXPECT_EQ(X509_get_key_usage(tls), static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_get_extended_key_usage(tls), static_cast<std::uint32_t>(XKU_SSL_SERVER | XKU_SSL_CLIENT));
  EXPECT_EQ(X509_check_host(tls, "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(tls, "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(tls, "::1", 0), 1);
  EXPECT_EQ(X509_check_host(tls, "other.example", 0, 0, nullptr), 0);
  EXPECT_EQ(Lifetime(tls), kYear);
  EXPECT_EQ(X509_check_issued(root, tls), X509_V_OK);

  X509* manufacturer = Get(*hierarchy, IssuerRole::kDevManufacturer).certificate.get();
  EXPECT_NE(Subject(manufacturer).find("SIMULATED"), std::string::npos);
  EXPECT_EQ(X509_check_issued(manufacturer, manufacturer), X509_V_OK) << "its own trust anchor";
  EXPECT_NE(X509_check_issued(root, manufacturer), X509_V_OK) << "deliberately not under our root";
}

TEST_F(CaHierarchyTest, EveryIssuerVerifiesWithTheOpensslCli) {
  std::unique_ptr<Store> store = OpenStore(dir_);
  std::unique_ptr<CaHierarchy> hierarchy = MustLoad(*store, options_, 1);
  ASSERT_NE(hierarchy, nullptr);
  ExpectAllVerifyWithOpenssl(*hierarchy, kTestEpochSeconds + kOneHour);

  X509* manufacturer = Get(*hierarchy, IssuerRole::kDevManufacturer).certificate.get();
  EXPECT_EQ(OpensslVerify(dir_, manufacturer, {}, manufacturer, kTestEpochSeconds + kOneHour).exit_code, 0);
  EXPECT_NE(OpensslVerify(dir_, Get(*hierarchy, IssuerRole::kRoot).certificate.get(), {}, manufacturer,
                          kTestEpochSeconds + kOneHour)
                .exit_code,
            0);
  // The CLI really checks validity: before not_before the chain is refused.
  EXPECT_NE(OpensslVerify(dir_, Get(*hierarchy, IssuerRole::kRoot).certificate.get(), {},
                          Get(*hierarchy, IssuerRole::kHostTls).certificate.get(), kTestEpochSeconds - kOneHour)
                .exit_code,
            0);
}

TEST_F(CaHierarchyTest, WrongDataKeyIsAClearError) {
  std::unique_ptr<Store> store = OpenStore(dir_);
  ASSERT_NE(MustLoad(*store, options_, 1), nullptr);
  Result<std::unique_ptr<CaHierarchy>> reloaded = Load(*store, TestDataKey(0x43), options_, 2);
  ASSERT_FALSE(reloaded.ok());
  EXPECT_EQ(reloaded.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(reloaded.error().message().find("CA issuer 'root'"), std::string::npos) << reloaded.error().message();
  EXPECT_NE(reloaded.error().message().find("wrong data key"), std::string::npos) << reloaded.error().message();
}

TEST_F(CaHierarchyTest, ShortDataKeyIsRejected) {
  std::unique_ptr<Store> store = OpenStore(dir_);
  SecretBytes short_key(16);
  Result<std::unique_ptr<CaHierarchy>> hierarchy = Load(*store, short_key, options_, 1);
  ASSERT_FALSE(hierarchy.ok());
  EXPECT_EQ(hierarchy.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CountRows(*store, "SELECT COUNT(*) FROM ca_issuers"), 0);
}

TEST_F(CaHierarchyTest, TamperedSealedKeyIsDetected) {
  std::unique_ptr<Store> store = OpenStore(dir_);
  ASSERT_NE(MustLoad(*store, options_, 1), nullptr);
  FlipSealedKeyByte(*store, "privacy-ca", 20);
  Result<std::unique_ptr<CaHierarchy>> reloaded = Load(*store, data_key_, options_, 2);
  ASSERT_FALSE(reloaded.ok());
  EXPECT_NE(reloaded.error().message().find("CA issuer 'privacy-ca'"), std::string::npos) << reloaded.error().message();
}

TEST_F(CaHierarchyTest, KeyRecordMovedToAnotherRoleIsDetected) {
  std::unique_ptr<Store> store = OpenStore(dir_);
  ASSERT_NE(MustLoad(*store, options_, 1), nullptr);
  // Same data key, but the AAD binds each sealed key to its role.
  ASSERT_TRUE(store->Exec("UPDATE ca_issuers SET private_key_sealed = "
                          "(SELECT private_key_sealed FROM ca_issuers WHERE role = 'root') WHERE role = 'ek-authority'")
                  .ok());
  Result<std::unique_ptr<CaHierarchy>> reloaded = Load(*store, data_key_, options_, 2);
  ASSERT_FALSE(reloaded.ok());
  EXPECT_NE(reloaded.error().message().find("CA issuer 'ek-authority'"), std::string::npos)
      << reloaded.error().message();
}

TEST_F(CaHierarchyTest, SubstitutedCertificateIsDetected) {
  std::unique_ptr<Store> store = OpenStore(dir_);
  ASSERT_NE(MustLoad(*store, options_, 1), nullptr);
  ASSERT_TRUE(store->Exec("UPDATE ca_issuers SET certificate_der = "
                          "(SELECT certificate_der FROM ca_issuers WHERE role = 'privacy-ca') WHERE role = 'ek-authority'")
                  .ok());
  Result<std::unique_ptr<CaHierarchy>> reloaded = Load(*store, data_key_, options_, 2);
  ASSERT_FALSE(reloaded.ok());
  EXPECT_NE(reloaded.error().message().find("CA issuer 'ek-authority'"), std::string::npos)
      << reloaded.error().message();
  EXPECT_NE(reloaded.error().message().find("does not match"), std::string::npos) << reloaded.error().message();
}

TEST_F(CaHierarchyTest, MissingIssuerIsDetected) {
  std::unique_ptr<Store> store = OpenStore(dir_);
  ASSERT_NE(MustLoad(*store, options_, 1), nullptr);
  ASSERT_TRUE(store->Exec("DELETE FROM ca_issuers WHERE role = 'attestation-signer'").ok());
  Result<std::unique_ptr<CaHierarchy>> reloaded = Load(*store, data_key_, options_, 2);
  ASSERT_FALSE(reloaded.ok());
  EXPECT_NE(reloaded.error().message().find("'attestation-signer' is missing"), std::string::npos)
      << reloaded.error().message();
}

TEST_F(CaHierarchyTest, HostTlsIsReissuedNearExpiry) {
  std::unique_ptr<Store> store = OpenStore(dir_);
  std::unique_ptr<CaHierarchy> first = MustLoad(*store, options_, 1);
  ASSERT_NE(first, nullptr);
  const std::map<IssuerRole, Bytes> before = CertificateDers(*first);

  clock_.Advance(std::chrono::days(300));  // 65 days left: kept
  std::unique_ptr<CaHierarchy> kept = MustLoad(*store, options_, 2);
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(CertificateDers(*kept), before);

  clock_.Advance(std::chrono::days(40));  // 25 days left: re-issued
  std::unique_ptr<CaHierarchy> renewed = MustLoad(*store, options_, 3);
  ASSERT_NE(renewed, nullptr);
  std::map<IssuerRole, Bytes> after = CertificateDers(*renewed);
  EXPECT_NE(after[IssuerRole::kHostTls], before.at(IssuerRole::kHostTls));
  after[IssuerRole::kHostTls] = before.at(IssuerRole::kHostTls);
  EXPECT_EQ(after, before) << "only the host TLS identity changes";
  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_get0_notBefore(Get(*renewed, IssuerRole::kHostTls).certificate.get()),
                                 kTestEpochSeconds + 340 * 86400),
            0);
  EXPECT_EQ(CountRows(*store, "SELECT COUNT(*) FROM certificates WHERE kind = 'host-tls'"), 2);

  // The renewed identity persists.
  std::unique_ptr<CaHierarchy> reloaded = MustLoad(*store, options_, 4);
  ASSERT_NE(reloaded, nullptr);
  EXPECT_EQ(CertificateDers(*reloaded), CertificateDers(*renewed));
  ExpectAllVerifyWithOpenssl(*reloaded, kTestEpochSeconds + 340 * 86400 + kOneHour);
}

TEST_F(CaHierarchyTest, HostTlsIsReissuedWhenItsNamesChange) {
  std::unique_ptr<Store> store = OpenStore(dir_);
  ASSERT_NE(MustLoad(*store, options_, 1), nullptr);
  CaOptions renamed = options_;
  renamed.tls_dns_names = {"localhost", "vtpmd.example"};
  renamed.tls_ip_addresses = {"0:0::1", "127.0.0.1"};  // the same addresses, spelled differently
  std::unique_ptr<CaHierarchy> hierarchy = MustLoad(*store, renamed, 2);
  ASSERT_NE(hierarchy, nullptr);
  X509* tls = Get(*hierarchy, IssuerRole::kHostTls).certificate.get();
  EXPECT_EQ(X509_check_host(tls, "vtpmd.example", 0, 0, nullptr), 1);
  EXPECT_EQ(CountRows(*store, "SELECT COUNT(*) FROM certificates WHERE kind = 'host-tls'"), 2);

  std::unique_ptr<CaHierarchy> same = MustLoad(*store, renamed, 3);
  ASSERT_NE(same, nullptr);
  EXPECT_EQ(CountRows(*store, "SELECT COUNT(*) FROM certificates WHERE kind = 'host-tls'"), 2)
      << "equal addresses in another spelling do not trigger a re-issue";

  CaOptions bad = options_;
  bad.tls_ip_addresses = {"not-an-ip"};
  EXPECT_FALSE(Load(*store, data_key_, bad, 4).ok());
}

TEST_F(CaHierarchyTest, AlgorithmOfAnExistingHierarchyIsKept) {
  std::unique_ptr<Store> store = OpenStore(dir_);
  ASSERT_NE(MustLoad(*store, options_, 1), nullptr);
  CaOptions p384 = options_;
  p384.algorithm = KeyAlgorithm::kEcdsaP384;
  p384.tls_dns_names = {"renamed.example"};  // forces a host TLS re-issue
  std::unique_ptr<CaHierarchy> reloaded = MustLoad(*store, p384, 2);
  ASSERT_NE(reloaded, nullptr);
  for (const Issuer* issuer : reloaded->issuers()) {
    Result<KeyAlgorithm> algorithm = IdentifyKeyAlgorithm(issuer->private_key.get());
    ASSERT_TRUE(algorithm.ok());
    EXPECT_EQ(*algorithm, KeyAlgorithm::kEcdsaP256) << IssuerRoleName(issuer->role);
  }
}

TEST_F(CaHierarchyTest, WithoutSimulatedPlatformThereIsNoDevManufacturerUntilAsked) {
  std::unique_ptr<Store> store = OpenStore(dir_);
  CaOptions hardware = options_;
  hardware.simulated_platform = false;
  std::unique_ptr<CaHierarchy> hierarchy = MustLoad(*store, hardware, 1);
  ASSERT_NE(hierarchy, nullptr);
  EXPECT_EQ(hierarchy->issuers().size(), 5u);
  Result<const Issuer*> missing = hierarchy->issuer(IssuerRole::kDevManufacturer);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);

  std::unique_ptr<CaHierarchy> simulated = MustLoad(*store, options_, 2);
  ASSERT_NE(simulated, nullptr);
  EXPECT_TRUE(simulated->issuer(IssuerRole::kDevManufacturer).ok());
  EXPECT_EQ(CountRows(*store, "SELECT COUNT(*) FROM ca_issuers"), 6);
}

TEST_F(CaHierarchyTest, P384Hierarchy) {
  std::unique_ptr<Store> store = OpenStore(dir_);
  CaOptions p384 = options_;
  p384.algorithm = KeyAlgorithm::kEcdsaP384;
  std::unique_ptr<CaHierarchy> hierarchy = MustLoad(*store, p384, 1);
  ASSERT_NE(hierarchy, nullptr);
  for (const Issuer* issuer : hierarchy->issuers()) {
    EXPECT_EQ(X509_get_signature_nid(issuer->certificate.get()), NID_ecdsa_with_SHA384) << IssuerRoleName(issuer->role);
    EXPECT_TRUE(KeyWorks(*issuer));
  }
  ExpectAllVerifyWithOpenssl(*hierarchy, kTestEpochSeconds + kOneHour);
  EXPECT_NE(MustLoad(*store, p384, 2), nullptr);
}

TEST_F(CaHierarchyTest, Rsa3072Hierarchy) {
  std::unique_ptr<Store> store = OpenStore(dir_);
  CaOptions rsa = options_;
  rsa.algorithm = KeyAlgorithm::kRsa3072;
  std::unique_ptr<CaHierarchy> hierarchy = MustLoad(*store, rsa, 1);
  ASSERT_NE(hierarchy, nullptr);
  for (const Issuer* issuer : hierarchy->issuers()) {
    EXPECT_EQ(X509_get_signature_nid(issuer->certificate.get()), NID_sha384WithRSAEncryption);
    EXPECT_EQ(EVP_PKEY_get_bits(issuer->private_key.get()), 3072);
  }
  EXPECT_EQ(X509_get_key_usage(Get(*hierarchy, IssuerRole::kHostTls).certificate.get()),
            static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
  ExpectAllVerifyWithOpenssl(*hierarchy, kTestEpochSeconds + kOneHour);
  std::unique_ptr<CaHierarchy> reloaded = MustLoad(*store, rsa, 2);
  ASSERT_NE(reloaded, nullptr);
  EXPECT_EQ(CertificateDers(*reloaded), CertificateDers(*hierarchy));
}

}  // namespace
}  // namespace vtpmd::ca
