#include "tests/support/software_credential_activation.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "ca/aik_public.h"
#include "ca/make_credential.h"
#include "core/tpm_ek_template.h"
#include "core/tpm_keys.h"
#include "core/tpm_name.h"
#include "tests/support/software_aik.h"

namespace vtpmd::testing {
namespace {

struct SoftwareEk {
  ossl::PkeyPtr key;
  TPMT_PUBLIC area;
};

SoftwareEk MakeEk(const char* type) {
  ossl::PkeyPtr key(std::string_view(type) == "RSA" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048})
                                                    : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  EXPECT_NE(key, nullptr);
  auto area = tpm::EkPublicFromKey(key.get());
  EXPECT_TRUE(area.ok()) << (area.ok() ? "" : area.error().message());
  return {std::move(key), area.ok() ? *area : TPMT_PUBLIC{}};
}

// The AIK is the object the credential is bound to; its name comes from the
// software AIK's public area, as the CA computes it.
Bytes AikName() {
  ossl::PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  auto pub = SoftwareAikPublic(key.get());
  EXPECT_TRUE(pub.ok()) << (pub.ok() ? "" : pub.error().message());
  auto aik = ca::AikPublic::Create(pub.ok() ? *pub : Bytes{});
  EXPECT_TRUE(aik.ok()) << (aik.ok() ? "" : aik.error().message());
  return aik.ok() ? aik->name() : Bytes{};
}

void ExpectRoundTripAndTamperRefusal(const char* ek_type) {
  const SoftwareEk ek = MakeEk(ek_type);
  const Bytes name = AikName();
  ASSERT_EQ(name.size(), 34U);
  OsRng rng;
  auto secret = rng.GenerateSecret(32);
  ASSERT_TRUE(secret.ok());
  auto blob = ca::MakeCredential(ek.area, name, *secret, rng);
  ASSERT_TRUE(blob.ok()) << blob.error().message();

  auto recovered = ActivateCredential(ek.key.get(), ek.area, name, *blob);
  ASSERT_TRUE(recovered.ok()) << recovered.error().message();
  EXPECT_EQ(HexEncode(recovered->view()), HexEncode(secret->view()));

  // One flipped bit anywhere in the ID object, or another object's name: the
  // integrity check refuses before anything is decrypted.
  for (std::size_t i = 0; i < blob->id_object.size(); ++i) {
    ca::CredentialBlob tampered{blob->id_object, blob->encrypted_secret};
    tampered.id_object[i] ^= 0x01;
    EXPECT_FALSE(ActivateCredential(ek.key.get(), ek.area, name, tampered).ok()) << "byte " << i;
  }
  Bytes other_name = name;
  other_name[other_name.size() - 1] ^= 0x80;
  auto wrong_object = ActivateCredential(ek.key.get(), ek.area, other_name, *blob);
  ASSERT_FALSE(wrong_object.ok());
  EXPECT_NE(wrong_object.error().message().find("TPM_RC_INTEGRITY"), std::string::npos)
      << wrong_object.error().message();
  // A flipped bit in the encrypted secret (inside the OAEP block, or the ephemeral
  // point's x): OAEP fails, or the point leaves the curve.
  ca::CredentialBlob bad_seed{blob->id_object, blob->encrypted_secret};
  bad_seed.encrypted_secret[10] ^= 0x01;
  EXPECT_FALSE(ActivateCredential(ek.key.get(), ek.area, name, bad_seed).ok());
}

TEST(SoftwareCredentialActivationTest, RecoversMakeCredentialsSecretForAnRsaEkAndRefusesTampering) {
  ExpectRoundTripAndTamperRefusal("RSA");
}

TEST(SoftwareCredentialActivationTest, RecoversMakeCredentialsSecretForAnEccEkAndRefusesTampering) {
  ExpectRoundTripAndTamperRefusal("EC");
}

TEST(SoftwareCredentialActivationTest, SoftwareAikIsAnAcceptableAikNamedLikeTheTpmWould) {
  ossl::PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  auto pub = SoftwareAikPublic(key.get());
  ASSERT_TRUE(pub.ok()) << pub.error().message();
  auto aik = ca::AikPublic::Create(*pub);
  ASSERT_TRUE(aik.ok()) << aik.error().message();
  auto certified = tpm::PublicKeyFromTpm(aik->area());
  ASSERT_TRUE(certified.ok());
  EXPECT_EQ(EVP_PKEY_eq(certified->get(), key.get()), 1);
  auto name = tpm::ObjectName(aik->area());
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(aik->name(), *name);
  EXPECT_EQ(HexEncode(ByteView(aik->name()).first(2)), "000b") << "nameAlg SHA-256";

  ossl::PkeyPtr rsa(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}));
  EXPECT_FALSE(SoftwareAikPublic(rsa.get()).ok());
}

}  // namespace
}  // namespace vtpmd::testing
