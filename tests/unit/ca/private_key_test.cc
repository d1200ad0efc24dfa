#include "ca/private_key.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>

#include <string>

namespace vtpmd::ca {
namespace {

ossl::PkeyPtr Generate(KeyAlgorithm algorithm) {
  Result<ossl::PkeyPtr> key = GeneratePrivateKey(algorithm);
  EXPECT_TRUE(key.ok()) << (key.ok() ? "" : key.error().message());
  return key.ok() ? std::move(key).value() : nullptr;
}

TEST(PrivateKeyTest, GeneratesIdentifiableEcKeys) {
  for (KeyAlgorithm algorithm : {KeyAlgorithm::kEcdsaP256, KeyAlgorithm::kEcdsaP384}) {
    ossl::PkeyPtr key = Generate(algorithm);
    ASSERT_NE(key, nullptr);
    Result<KeyAlgorithm> identified = IdentifyKeyAlgorithm(key.get());
    ASSERT_TRUE(identified.ok());
    EXPECT_EQ(*identified, algorithm);
  }
}

TEST(PrivateKeyTest, RefusesToIdentifyOtherKeys) {
  ossl::PkeyPtr rsa2048(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}));
  ossl::PkeyPtr p521(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-521"));
  ossl::PkeyPtr ed25519(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  for (EVP_PKEY* key : {rsa2048.get(), p521.get(), ed25519.get()}) {
    ASSERT_NE(key, nullptr);
    Result<KeyAlgorithm> identified = IdentifyKeyAlgorithm(key);
    ASSERT_FALSE(identified.ok());
    EXPECT_EQ(identified.error().code(), ErrorCode::kUnsupported);
  }
}

TEST(PrivateKeyTest, Pkcs8DerRoundTrips) {
  ossl::PkeyPtr key = Generate(KeyAlgorithm::kEcdsaP256);
  Result<SecretBytes> der = ExportPkcs8Der(key.get());
  ASSERT_TRUE(der.ok());
  Result<ossl::PkeyPtr> imported = ImportPkcs8Der(*der);
  ASSERT_TRUE(imported.ok()) << imported.error().message();
  EXPECT_EQ(EVP_PKEY_eq(key.get(), imported->get()), 1);
  Result<SecretBytes> again = ExportPkcs8Der(imported->get());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(ConstantTimeEquals(der->view(), again->view()));
}

TEST(PrivateKeyTest, ImportRejectsTrailingBytesAndGarbage) {
  ossl::PkeyPtr key = Generate(KeyAlgorithm::kEcdsaP256);
  Result<SecretBytes> der = ExportPkcs8Der(key.get());
  ASSERT_TRUE(der.ok());
  Bytes with_trailer(der->view().begin(), der->view().end());
  with_trailer.push_back(0);
  Result<ossl::PkeyPtr> trailing = ImportPkcs8Der(SecretBytes::CopyFrom(with_trailer));
  ASSERT_FALSE(trailing.ok());
  EXPECT_NE(trailing.error().message().find("trailing"), std::string::npos);

  Bytes truncated(der->view().begin(), der->view().end() - 1);
  EXPECT_FALSE(ImportPkcs8Der(SecretBytes::CopyFrom(truncated)).ok());
  EXPECT_FALSE(ImportPkcs8Der(SecretBytes::CopyFrom(AsBytes("not a key"))).ok());
  EXPECT_FALSE(ImportPkcs8Der(SecretBytes()).ok());
}

TEST(PrivateKeyTest, Pkcs8PemLoadsBack) {
  ossl::PkeyPtr key = Generate(KeyAlgorithm::kEcdsaP384);
  Result<SecretBytes> pem = ExportPkcs8Pem(key.get());
  ASSERT_TRUE(pem.ok());
  const std::string_view text = AsChars(pem->view());
  EXPECT_TRUE(text.starts_with("-----BEGIN PRIVATE KEY-----\n")) << "unencrypted PKCS#8 PEM expected";
  ossl::BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  ossl::PkeyPtr loaded(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(EVP_PKEY_eq(key.get(), loaded.get()), 1);
}

}  // namespace
}  // namespace vtpmd::ca
