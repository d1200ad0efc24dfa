#include "core/tpm_keys.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include <cstring>

#include <gtest/gtest.h>

#include "core/tpm_wire.h"
#include "tests/support/test_data.h"

namespace vtpmd::tpm {
namespace {

TPMT_PUBLIC LoadArea(const std::string& key) {
  auto bytes = testing::ReadTestData("tpm/" + key + ".pub");
  EXPECT_TRUE(bytes.ok()) << key;
  if (!bytes.ok()) return {};
  auto pub = ParsePublic(*bytes);
  EXPECT_TRUE(pub.ok()) << key;
  return pub.ok() ? pub->publicArea : TPMT_PUBLIC{};
}

TEST(TpmKeys, MatchPemWrittenByTpm2Tools) {
  for (const char* key : {"ek", "ak", "akecc", "akpss", "akp384"}) {
    auto pkey = PublicKeyFromTpm(LoadArea(key));
    ASSERT_TRUE(pkey.ok()) << key << ": " << pkey.error().message();
    auto pem = ossl::PublicKeyPem(pkey->get());
    auto expected = testing::ReadTestData(std::string("tpm/") + key + ".pem");
    ASSERT_TRUE(pem.ok() && expected.ok()) << key;
    EXPECT_EQ(*pem, std::string(AsChars(*expected))) << key;
  }
}

TEST(TpmKeys, ZeroRsaExponentMeans65537) {
  TPMT_PUBLIC area = LoadArea("ak");
  ASSERT_EQ(area.parameters.rsaDetail.exponent, 0u);
  auto pkey = PublicKeyFromTpm(area);
  ASSERT_TRUE(pkey.ok());
  BIGNUM* e = nullptr;
  ASSERT_EQ(EVP_PKEY_get_bn_param(pkey->get(), OSSL_PKEY_PARAM_RSA_E, &e), 1);
  ossl::BignumPtr owned_e(e);
  EXPECT_EQ(BN_get_word(owned_e.get()), 65537u);

  area.parameters.rsaDetail.exponent = 3;
  auto small_e = PublicKeyFromTpm(area);
  ASSERT_TRUE(small_e.ok());
  BIGNUM* e3 = nullptr;
  ASSERT_EQ(EVP_PKEY_get_bn_param(small_e->get(), OSSL_PKEY_PARAM_RSA_E, &e3), 1);
  ossl::BignumPtr owned_e3(e3);
  EXPECT_EQ(BN_get_word(owned_e3.get()), 3u);
}

TEST(TpmKeys, RejectsInconsistentRsaKeys) {
  TPMT_PUBLIC short_modulus = LoadArea("ak");
  short_modulus.unique.rsa.size = 128;
  EXPECT_FALSE(PublicKeyFromTpm(short_modulus).ok());

  TPMT_PUBLIC weak = LoadArea("ak");
  weak.parameters.rsaDetail.keyBits = 1024;
  weak.unique.rsa.size = 128;
  EXPECT_EQ(PublicKeyFromTpm(weak).error().code(), ErrorCode::kUnsupported);
}

TEST(TpmKeys, RejectsPointsOffTheCurveAndOtherCurves) {
  TPMT_PUBLIC off_curve = LoadArea("akecc");
  off_curve.unique.ecc.y.buffer[31] ^= 0x01;
  EXPECT_FALSE(PublicKeyFromTpm(off_curve).ok());

  TPMT_PUBLIC no_point = LoadArea("akecc");
  no_point.unique.ecc.x.size = 0;
  EXPECT_FALSE(PublicKeyFromTpm(no_point).ok());

  TPMT_PUBLIC oversized = LoadArea("akecc");
  oversized.unique.ecc.x.size = 33;
  EXPECT_FALSE(PublicKeyFromTpm(oversized).ok());

  TPMT_PUBLIC bn_curve = LoadArea("akecc");
  bn_curve.parameters.eccDetail.curveID = TPM2_ECC_BN_P256;
  EXPECT_EQ(PublicKeyFromTpm(bn_curve).error().code(), ErrorCode::kUnsupported);

  TPMT_PUBLIC symmetric{};
  symmetric.type = TPM2_ALG_SYMCIPHER;
  EXPECT_EQ(PublicKeyFromTpm(symmetric).error().code(), ErrorCode::kUnsupported);
}

// Returns k*G on P-256 for the smallest k whose x coordinate starts with a zero byte.
void FindPointWithShortX(TPMS_ECC_POINT& point) {
  using GroupPtr = ossl::Owned<EC_GROUP, EC_GROUP_free>;
  using PointPtr = ossl::Owned<EC_POINT, EC_POINT_free>;
  GroupPtr group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  PointPtr p(EC_POINT_new(group.get()));
  ossl::BignumPtr k(BN_new()), x(BN_new()), y(BN_new());
  ASSERT_TRUE(group && p && k && x && y);
  for (unsigned long scalar = 1; scalar < 100000; ++scalar) {
    ASSERT_EQ(BN_set_word(k.get(), scalar), 1);
    ASSERT_EQ(EC_POINT_mul(group.get(), p.get(), k.get(), nullptr, nullptr, nullptr), 1);
    ASSERT_EQ(EC_POINT_get_affine_coordinates(group.get(), p.get(), x.get(), y.get(), nullptr), 1);
    if (BN_num_bytes(x.get()) == 31 && BN_num_bytes(y.get()) == 32) {
      point.x.size = 31;
      ASSERT_EQ(BN_bn2bin(x.get(), point.x.buffer), 31);
      point.y.size = 32;
      ASSERT_EQ(BN_bn2bin(y.get(), point.y.buffer), 32);
      return;
    }
  }
  FAIL() << "no P-256 point with a short x found";
}

TEST(TpmKeys, AcceptsCoordinatesWithLeadingZerosDropped) {
  TPMT_PUBLIC short_x = LoadArea("akecc");
  FindPointWithShortX(short_x.unique.ecc);
  ASSERT_EQ(short_x.unique.ecc.x.size, 31);
  TPMT_PUBLIC full_x = short_x;
  full_x.unique.ecc.x.size = 32;
  std::memmove(full_x.unique.ecc.x.buffer + 1, short_x.unique.ecc.x.buffer, 31);
  full_x.unique.ecc.x.buffer[0] = 0;

  auto from_short = PublicKeyFromTpm(short_x);
  auto from_full = PublicKeyFromTpm(full_x);
  ASSERT_TRUE(from_short.ok()) << from_short.error().message();
  ASSERT_TRUE(from_full.ok());
  EXPECT_EQ(EVP_PKEY_eq(from_short->get(), from_full->get()), 1);
}

}  // namespace
}  // namespace vtpmd::tpm
