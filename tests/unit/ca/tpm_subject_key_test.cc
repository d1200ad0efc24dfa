#include "ca/tpm_subject_key.h"

#include <gtest/gtest.h>

#include <string>

#include "core/tpm_keys.h"
#include "core/tpm_wire.h"
#include "tests/support/test_data.h"

namespace vtpmd::ca {
namespace {

Bytes EncodedKeyInfo(X509_PUBKEY* key) {
  const int size = i2d_X509_PUBKEY(key, nullptr);
  if (size <= 0) return {};
  Bytes out(static_cast<std::size_t>(size));
  unsigned char* cursor = out.data();
  i2d_X509_PUBKEY(key, &cursor);
  return out;
}

Bytes OpensslKeyInfo(EVP_PKEY* key) {
  const int size = i2d_PUBKEY(key, nullptr);
  if (size <= 0) return {};
  Bytes out(static_cast<std::size_t>(size));
  unsigned char* cursor = out.data();
  i2d_PUBKEY(key, &cursor);
  return out;
}

// What we write must be byte for byte what OpenSSL's own encoder writes, and must
// read back as the same key.
TEST(TpmSubjectKeyTest, EncodesLikeOpenSslForEveryKeyTypeWeCertify) {
  for (std::string_view name : {"ak", "akpss", "akecc", "akp384"}) {
    auto data = vtpmd::testing::ReadTestData("tpm/" + std::string(name) + ".pub");
    ASSERT_TRUE(data.ok()) << data.error().message();
    auto pub = tpm::ParsePublic(*data);
    ASSERT_TRUE(pub.ok()) << name;
    auto key = tpm::PublicKeyFromTpm(pub->publicArea);
    ASSERT_TRUE(key.ok()) << name;

    ossl::X509Ptr certificate(X509_new());
    ASSERT_TRUE(SetSubjectKeyFromTpm(certificate.get(), pub->publicArea).ok()) << name;
    const Bytes ours = EncodedKeyInfo(X509_get_X509_PUBKEY(certificate.get()));
    EXPECT_EQ(ours, OpensslKeyInfo(key->get())) << name;

    const unsigned char* cursor = ours.data();
    ossl::PkeyPtr decoded(d2i_PUBKEY(nullptr, &cursor, static_cast<long>(ours.size())));
    ASSERT_NE(decoded, nullptr) << name;
    EXPECT_EQ(EVP_PKEY_eq(decoded.get(), key->get()), 1) << name;
  }
}

TEST(TpmSubjectKeyTest, RefusesKeysThatAreNotRsaOrEcc) {
  TPMT_PUBLIC keyed_hash{};
  keyed_hash.type = TPM2_ALG_KEYEDHASH;
  ossl::X509Ptr certificate(X509_new());
  auto placed = SetSubjectKeyFromTpm(certificate.get(), keyed_hash);
  ASSERT_FALSE(placed.ok());
  EXPECT_EQ(placed.error().code(), ErrorCode::kUnsupported);
}

TEST(TpmSubjectKeyTest, WritesAnRsaModulusWithItsTopBitSetAsAPositiveInteger) {
  TPMT_PUBLIC rsa{};
  rsa.type = TPM2_ALG_RSA;
  rsa.parameters.rsaDetail.keyBits = 2048;
  rsa.unique.rsa.size = 256;
  for (std::size_t i = 0; i < 256; ++i) rsa.unique.rsa.buffer[i] = static_cast<std::uint8_t>(0xff - i % 7);
  rsa.unique.rsa.buffer[255] |= 1;  // odd, as a modulus is
  ossl::X509Ptr certificate(X509_new());
  ASSERT_TRUE(SetSubjectKeyFromTpm(certificate.get(), rsa).ok());
  auto key = tpm::PublicKeyFromTpm(rsa);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(EncodedKeyInfo(X509_get_X509_PUBKEY(certificate.get())), OpensslKeyInfo(key->get()));
}

}  // namespace
}  // namespace vtpmd::ca
