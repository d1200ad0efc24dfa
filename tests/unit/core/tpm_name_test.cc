#include "core/tpm_name.h"

#include <gtest/gtest.h>

#include "core/tpm_alg.h"
#include "core/tpm_wire.h"
#include "tests/support/test_data.h"

namespace vtpmd::tpm {
namespace {

TEST(TpmName, MatchesNamesWrittenByTpm2Tools) {
  for (const char* key : {"ek", "ak", "akecc", "akpss", "akp384"}) {
    auto pub_bytes = testing::ReadTestData(std::string("tpm/") + key + ".pub");
    auto expected = testing::ReadTestData(std::string("tpm/") + key + ".name");
    ASSERT_TRUE(pub_bytes.ok() && expected.ok()) << key;
    auto pub = ParsePublic(*pub_bytes);
    ASSERT_TRUE(pub.ok()) << key;
    auto name = ObjectName(pub->publicArea);
    ASSERT_TRUE(name.ok()) << key;
    EXPECT_EQ(HexEncode(*name), HexEncode(*expected)) << key;
  }
}

TEST(TpmName, ChangesWithAnyAttribute) {
  auto pub_bytes = testing::ReadTestData("tpm/ak.pub");
  ASSERT_TRUE(pub_bytes.ok());
  auto pub = ParsePublic(*pub_bytes);
  ASSERT_TRUE(pub.ok());
  auto before = ObjectName(pub->publicArea);
  pub->publicArea.objectAttributes ^= TPMA_OBJECT_NODA;
  auto after = ObjectName(pub->publicArea);
  ASSERT_TRUE(before.ok() && after.ok());
  EXPECT_NE(*before, *after);
}

TEST(TpmName, RefusesUnknownNameAlg) {
  TPMT_PUBLIC area{};
  area.type = TPM2_ALG_KEYEDHASH;
  area.nameAlg = TPM2_ALG_NULL;
  EXPECT_FALSE(ObjectName(area).ok());
}

TEST(TpmAlg, MapsHashAlgorithmsBothWays) {
  for (HashAlg alg : {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384, HashAlg::kSha512}) {
    auto back = HashAlgFromTpm(TpmAlgFromHash(alg));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, alg);
  }
  EXPECT_EQ(TpmAlgFromHash(HashAlg::kSha256), TPM2_ALG_SHA256);
  EXPECT_EQ(HashAlgFromTpm(TPM2_ALG_SM3_256).error().code(), ErrorCode::kUnsupported);
  EXPECT_FALSE(HashAlgFromTpm(TPM2_ALG_RSA).ok());
}

}  // namespace
}  // namespace vtpmd::tpm
