#include "ca/key_algorithm.h"

#include <gtest/gtest.h>

namespace vtpmd::ca {
namespace {

TEST(KeyAlgorithmTest, NamesRoundTrip) {
  for (KeyAlgorithm algorithm : {KeyAlgorithm::kEcdsaP256, KeyAlgorithm::kEcdsaP384, KeyAlgorithm::kRsa3072}) {
    Result<KeyAlgorithm> parsed = KeyAlgorithmFromName(KeyAlgorithmName(algorithm));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, algorithm);
  }
  EXPECT_EQ(KeyAlgorithmName(KeyAlgorithm::kEcdsaP256), "ecdsa-p256");
  EXPECT_EQ(KeyAlgorithmName(KeyAlgorithm::kEcdsaP384), "ecdsa-p384");
  EXPECT_EQ(KeyAlgorithmName(KeyAlgorithm::kRsa3072), "rsa-3072");
}

TEST(KeyAlgorithmTest, RejectsUnknownNames) {
  for (const char* name : {"", "ECDSA-P256", "rsa-2048", "ed25519", "ecdsa-p256 "}) {
    Result<KeyAlgorithm> parsed = KeyAlgorithmFromName(name);
    ASSERT_FALSE(parsed.ok()) << name;
    EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidArgument);
  }
}

TEST(KeyAlgorithmTest, SignatureDigestMatchesStrength) {
  EXPECT_EQ(SignatureDigest(KeyAlgorithm::kEcdsaP256), HashAlg::kSha256);
  EXPECT_EQ(SignatureDigest(KeyAlgorithm::kEcdsaP384), HashAlg::kSha384);
  EXPECT_EQ(SignatureDigest(KeyAlgorithm::kRsa3072), HashAlg::kSha384);
}

}  // namespace
}  // namespace vtpmd::ca
