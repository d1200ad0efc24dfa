#include "ca/make_credential.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <functional>
#include <string>

#include "core/openssl.h"
#include "core/tpm_wire.h"
#include "tests/support/software_credential_activation.h"
#include "tests/support/test_data.h"
#include "tests/support/byte_pattern.h"

namespace vtpmd::ca {
namespace {

using vtpmd::testing::Pattern;

Bytes Name(std::uint16_t alg, std::size_t digest_size, std::uint8_t start) {
  Bytes name = {static_cast<std::uint8_t>(alg >> 8), static_cast<std::uint8_t>(alg)};
  const Bytes digest = Pattern(digest_size, start);
  name.insert(name.end(), digest.begin(), digest.end());
  return name;
}

SecretBytes Secret(std::size_t n, std::uint8_t start) {
  return SecretBytes::CopyFrom(Pattern(n, start));
}

TPMT_PUBLIC RecordedRsaEk() {
  auto data = vtpmd::testing::ReadTestData("tpm/ek.pub");
  EXPECT_TRUE(data.ok());
  auto pub = tpm::ParsePublic(data.ok() ? *data : Bytes{});
  EXPECT_TRUE(pub.ok());
  return pub.ok() ? pub->publicArea : TPMT_PUBLIC{};
}

Bytes Coordinate(EVP_PKEY* key, const char* which, std::size_t size) {
  BIGNUM* raw = nullptr;
  EXPECT_EQ(EVP_PKEY_get_bn_param(key, which, &raw), 1);
  ossl::BignumPtr value(raw);
  Bytes out(size);
  EXPECT_EQ(BN_bn2binpad(value.get(), out.data(), static_cast<int>(size)), static_cast<int>(size));
  return out;
}

// An EK-shaped public area (TCG template L-1 or L-2 attributes) around a key whose
// private half the test holds, so the test can play the TPM's part.
TPMT_PUBLIC EkAreaFor(EVP_PKEY* key) {
  TPMT_PUBLIC area = RecordedRsaEk();
  if (EVP_PKEY_is_a(key, "RSA")) {
    const Bytes n = Coordinate(key, OSSL_PKEY_PARAM_RSA_N, 256);
    area.unique.rsa.size = static_cast<UINT16>(n.size());
    std::copy(n.begin(), n.end(), area.unique.rsa.buffer);
    return area;
  }
  area.type = TPM2_ALG_ECC;
  area.parameters.eccDetail = {};
  area.parameters.eccDetail.symmetric = {TPM2_ALG_AES, {128}, {TPM2_ALG_CFB}};
  area.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
  area.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
  area.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  area.unique.ecc = {};
  const Bytes x = Coordinate(key, OSSL_PKEY_PARAM_EC_PUB_X, 32);
  const Bytes y = Coordinate(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
  area.unique.ecc.x.size = 32;
  std::copy(x.begin(), x.end(), area.unique.ecc.x.buffer);
  area.unique.ecc.y.size = 32;
  std::copy(y.begin(), y.end(), area.unique.ecc.y.buffer);
  return area;
}

void ExpectRefused(const TPMT_PUBLIC& ek, ByteView name, const SecretBytes& credential, ErrorCode code,
                   std::string_view message_part) {
  DeterministicRng rng(1);
  auto blob = MakeCredential(ek, name, credential, rng);
  ASSERT_FALSE(blob.ok()) << message_part;
  EXPECT_EQ(blob.error().code(), code) << blob.error().message();
  EXPECT_NE(blob.error().message().find(message_part), std::string::npos) << blob.error().message();
}

void ExpectEkRefused(const std::function<void(TPMT_PUBLIC&)>& change, ErrorCode code, std::string_view message_part) {
  TPMT_PUBLIC ek = RecordedRsaEk();
  change(ek);
  ExpectRefused(ek, Name(TPM2_ALG_SHA256, 32, 0), Secret(32, 0), code, message_part);
}

// credential_vectors.py computes these from Part 1 §24.4/§24.5 with Python's own
// HMAC and AES.
TEST(MakeCredentialTest, ProtectCredentialMatchesIndependentVectors) {
  auto sha256 =
      ProtectCredential(HashAlg::kSha256, 128, Secret(32, 0xc0), Name(TPM2_ALG_SHA256, 32, 0x40), Secret(32, 0xe0));
  ASSERT_TRUE(sha256.ok()) << sha256.error().message();
  EXPECT_EQ(HexEncode(*sha256),
            "00205b1ce00ba7f522e1c377179bb655131efc163fee224a5923f526ea3b321dc12e"
            "951c4808b2185133196dacdd3482a53ecdadb972074f9b4e3442d4e718b439f947d4");
  auto sha384 =
      ProtectCredential(HashAlg::kSha384, 256, Secret(48, 0xd0), Name(TPM2_ALG_SHA384, 48, 0x50), Secret(20, 0x01));
  ASSERT_TRUE(sha384.ok()) << sha384.error().message();
  EXPECT_EQ(HexEncode(*sha384),
            "00305fbcea397780dd0ba1adc87e7cba48f17d6c843b78810e0a680038c87069d8bd08567711fb8390d984ff3b132e1bb2"
            "dc4addd94c1e59d3359025ad13f90287ee01576a35de36");
}

// Plays the TPM with the EK's private key: OAEP-decrypts the seed with label
// "IDENTITY\0", recomputes the ID object from it, and activates the credential.
TEST(MakeCredentialTest, RsaSeedIsOaepEncryptedWithTheIdentityLabel) {
  ossl::PkeyPtr ek_key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}));
  ASSERT_NE(ek_key, nullptr);
  const TPMT_PUBLIC ek = EkAreaFor(ek_key.get());
  DeterministicRng rng(7);
  const Bytes name = Name(TPM2_ALG_SHA256, 32, 0x11);
  auto blob = MakeCredential(ek, name, Secret(32, 0x22), rng);
  ASSERT_TRUE(blob.ok()) << blob.error().message();
  ASSERT_EQ(blob->encrypted_secret.size(), 256U);
  ASSERT_EQ(blob->id_object.size(), 2 + 32 + 2 + 32U);

  auto seed = vtpmd::testing::RecoverCredentialSeed(ek_key.get(), ek, blob->encrypted_secret);
  ASSERT_TRUE(seed.ok()) << seed.error().message();
  ASSERT_EQ(seed->size(), 32U);
  auto expected = ProtectCredential(HashAlg::kSha256, 128, *seed, name, Secret(32, 0x22));
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(blob->id_object, *expected);
  auto activated = vtpmd::testing::ActivateCredential(ek_key.get(), ek, name, *blob);
  ASSERT_TRUE(activated.ok()) << activated.error().message();
  EXPECT_EQ(HexEncode(activated->view()), HexEncode(Pattern(32, 0x22)));
}

// Plays the TPM for an ECC EK: Z from the EK's private key and the ephemeral point,
// the seed from KDFe, then the ID object.
TEST(MakeCredentialTest, EccSeedComesFromOnePassDiffieHellman) {
  ossl::PkeyPtr ek_key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  ASSERT_NE(ek_key, nullptr);
  const TPMT_PUBLIC ek = EkAreaFor(ek_key.get());
  DeterministicRng rng(8);
  const Bytes name = Name(TPM2_ALG_SHA256, 32, 0x33);
  auto blob = MakeCredential(ek, name, Secret(16, 0x44), rng);
  ASSERT_TRUE(blob.ok()) << blob.error().message();
  ASSERT_EQ(blob->encrypted_secret.size(), 2 + 32 + 2 + 32U);
  ASSERT_EQ(HexEncode(ByteView(blob->encrypted_secret).first(2)), "0020");
  ASSERT_EQ(HexEncode(ByteView(blob->encrypted_secret).subspan(34, 2)), "0020");
  ASSERT_EQ(blob->id_object.size(), 2 + 32 + 2 + 16U);

  auto seed = vtpmd::testing::RecoverCredentialSeed(ek_key.get(), ek, blob->encrypted_secret);
  ASSERT_TRUE(seed.ok()) << seed.error().message();
  auto expected = ProtectCredential(HashAlg::kSha256, 128, *seed, name, Secret(16, 0x44));
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(blob->id_object, *expected);
  auto activated = vtpmd::testing::ActivateCredential(ek_key.get(), ek, name, *blob);
  ASSERT_TRUE(activated.ok()) << activated.error().message();
  EXPECT_EQ(HexEncode(activated->view()), HexEncode(Pattern(16, 0x44)));
}

TEST(MakeCredentialTest, FreshSeedEveryTime) {
  const TPMT_PUBLIC ek = RecordedRsaEk();
  OsRng rng;
  auto first = MakeCredential(ek, Name(TPM2_ALG_SHA256, 32, 0), Secret(32, 0), rng);
  auto second = MakeCredential(ek, Name(TPM2_ALG_SHA256, 32, 0), Secret(32, 0), rng);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(first->id_object, second->id_object);
  EXPECT_NE(first->encrypted_secret, second->encrypted_secret);
}

TEST(MakeCredentialTest, RefusesKeysThatAreNotStorageKeys) {
  ExpectEkRefused([](TPMT_PUBLIC& ek) { ek.objectAttributes &= ~TPMA_OBJECT_RESTRICTED; }, ErrorCode::kInvalidArgument,
                  "not a restricted decryption (storage) key");
  ExpectEkRefused([](TPMT_PUBLIC& ek) { ek.objectAttributes &= ~TPMA_OBJECT_DECRYPT; }, ErrorCode::kInvalidArgument,
                  "not a restricted decryption (storage) key");
  ExpectEkRefused([](TPMT_PUBLIC& ek) { ek.objectAttributes |= TPMA_OBJECT_SIGN_ENCRYPT; }, ErrorCode::kInvalidArgument,
                  "not a restricted decryption (storage) key");
  ExpectEkRefused([](TPMT_PUBLIC& ek) { ek.type = TPM2_ALG_KEYEDHASH; }, ErrorCode::kInvalidArgument,
                  "not an RSA or ECC key");
}

TEST(MakeCredentialTest, RefusesOtherSymmetricDefinitions) {
  ExpectEkRefused([](TPMT_PUBLIC& ek) { ek.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL; },
                  ErrorCode::kInvalidArgument, "not AES-CFB");
  ExpectEkRefused([](TPMT_PUBLIC& ek) { ek.parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CTR; },
                  ErrorCode::kInvalidArgument, "not AES-CFB");
  ExpectEkRefused([](TPMT_PUBLIC& ek) { ek.parameters.rsaDetail.symmetric.keyBits.aes = 64; },
                  ErrorCode::kInvalidArgument, "AES key size is 64 bits");
}

TEST(MakeCredentialTest, RefusesAnAsymmetricScheme) {
  ExpectEkRefused(
      [](TPMT_PUBLIC& ek) {
        ek.parameters.rsaDetail.scheme.scheme = TPM2_ALG_OAEP;
        ek.parameters.rsaDetail.scheme.details.oaep.hashAlg = TPM2_ALG_SHA256;
      },
      ErrorCode::kInvalidArgument, "asymmetric scheme");
}

TEST(MakeCredentialTest, RefusesWeakOrUnknownNameAlgorithms) {
  ExpectEkRefused([](TPMT_PUBLIC& ek) { ek.nameAlg = TPM2_ALG_SHA1; }, ErrorCode::kUnsupported, "SHA-1");
  ExpectEkRefused([](TPMT_PUBLIC& ek) { ek.nameAlg = TPM2_ALG_SM3_256; }, ErrorCode::kUnsupported, "nameAlg");
}

TEST(MakeCredentialTest, RefusesUnsupportedCurvesAndShortRsaKeys) {
  ossl::PkeyPtr ecc(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  TPMT_PUBLIC p521 = EkAreaFor(ecc.get());
  p521.parameters.eccDetail.curveID = TPM2_ECC_NIST_P521;
  ExpectRefused(p521, Name(TPM2_ALG_SHA256, 32, 0), Secret(32, 0), ErrorCode::kUnsupported, "curve");
  ExpectEkRefused(
      [](TPMT_PUBLIC& ek) {
        ek.parameters.rsaDetail.keyBits = 1024;
        ek.unique.rsa.size = 128;
      },
      ErrorCode::kUnsupported, "2048");
}

TEST(MakeCredentialTest, RefusesCredentialsOfTheWrongSize) {
  const TPMT_PUBLIC ek = RecordedRsaEk();
  ExpectRefused(ek, Name(TPM2_ALG_SHA256, 32, 0), SecretBytes(), ErrorCode::kInvalidArgument, "1 to 32 bytes");
  ExpectRefused(ek, Name(TPM2_ALG_SHA256, 32, 0), Secret(33, 0), ErrorCode::kInvalidArgument, "1 to 32 bytes");
}

TEST(MakeCredentialTest, RefusesMalformedObjectNames) {
  const TPMT_PUBLIC ek = RecordedRsaEk();
  ExpectRefused(ek, Bytes{}, Secret(32, 0), ErrorCode::kInvalidArgument, "truncated");
  ExpectRefused(ek, Bytes{0x00}, Secret(32, 0), ErrorCode::kInvalidArgument, "truncated");
  ExpectRefused(ek, Name(0x0099, 32, 0), Secret(32, 0), ErrorCode::kInvalidArgument, "not a supported hash");
  ExpectRefused(ek, Name(TPM2_ALG_SHA256, 20, 0), Secret(32, 0), ErrorCode::kInvalidArgument, "size");
  ExpectRefused(ek, Name(TPM2_ALG_SHA1, 32, 0), Secret(32, 0), ErrorCode::kInvalidArgument, "size");
}

TEST(MakeCredentialTest, ProtectCredentialRefusesBadParameters) {
  EXPECT_FALSE(
      ProtectCredential(HashAlg::kSha256, 100, Secret(32, 0), Name(TPM2_ALG_SHA256, 32, 0), Secret(32, 0)).ok());
  EXPECT_FALSE(
      ProtectCredential(HashAlg::kSha256, 128, Secret(32, 0), Name(TPM2_ALG_SHA256, 31, 0), Secret(32, 0)).ok());
  EXPECT_FALSE(
      ProtectCredential(HashAlg::kSha256, 128, Secret(32, 0), Name(TPM2_ALG_SHA256, 32, 0), Secret(33, 0)).ok());
}

}  // namespace
}  // namespace vtpmd::ca
