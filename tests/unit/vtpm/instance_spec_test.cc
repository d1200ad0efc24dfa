#include "vtpm/instance_spec.h"

#include <gtest/gtest.h>

#include "vtpm/tpm_templates.h"

namespace vtpmd::vtpm {
namespace {

TEST(InstanceSpecTest, AlgorithmNamesRoundTrip) {
  EXPECT_EQ(EkAlgorithmName(EkAlgorithm::kRsa2048), "rsa2048");
  EXPECT_EQ(EkAlgorithmName(EkAlgorithm::kEccP256), "ecc-nist-p256");
  for (EkAlgorithm algorithm : {EkAlgorithm::kRsa2048, EkAlgorithm::kEccP256}) {
    auto parsed = ParseEkAlgorithm(EkAlgorithmName(algorithm));
    ASSERT_TRUE(parsed.ok()) << parsed.error().message();
    EXPECT_EQ(*parsed, algorithm);
  }
}

TEST(InstanceSpecTest, UnknownAlgorithmNamesAreRefused) {
  for (std::string_view name : {"", "rsa", "RSA2048", "ecc", "rsa2048 ", "ecc-nist-p384", "rsa3072"}) {
    auto parsed = ParseEkAlgorithm(name);
    ASSERT_FALSE(parsed.ok()) << name;
    EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(parsed.error().message().find("ecc-nist-p256"), std::string::npos);
  }
}

TEST(InstanceSpecTest, TcgDefaultHandlesIndicesAndTemplates) {
  EXPECT_EQ(EkHandle(EkAlgorithm::kRsa2048), 0x81010001U);
  EXPECT_EQ(EkHandle(EkAlgorithm::kEccP256), 0x81010002U);
  EXPECT_EQ(EkCertificateIndex(EkAlgorithm::kRsa2048), 0x01c00002U);
  EXPECT_EQ(EkCertificateIndex(EkAlgorithm::kEccP256), 0x01c0000aU);
  EXPECT_EQ(EkTemplate(EkAlgorithm::kRsa2048).publicArea.type, TPM2_ALG_RSA);
  EXPECT_EQ(EkTemplate(EkAlgorithm::kEccP256).publicArea.type, TPM2_ALG_ECC);
}

}  // namespace
}  // namespace vtpmd::vtpm
