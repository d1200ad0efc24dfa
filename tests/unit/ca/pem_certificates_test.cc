#include "ca/pem_certificates.h"

#include <gtest/gtest.h>

namespace vtpmd::ca {
namespace {

std::string Block(const std::string& base64) {
  return "-----BEGIN CERTIFICATE-----\n" + base64 + "\n-----END CERTIFICATE-----\n";
}

TEST(PemCertificates, SplitsBlocksIntoDer) {
  auto ders = PemCertificateDers("\n" + Block("AAEC\nAwQ=") + "  \r\n" + Block("BQYH"));
  ASSERT_TRUE(ders.ok()) << ders.error().message();
  ASSERT_EQ(ders->size(), 2u);
  EXPECT_EQ((*ders)[0], (Bytes{0, 1, 2, 3, 4}));
  EXPECT_EQ((*ders)[1], (Bytes{5, 6, 7}));
}

TEST(PemCertificates, RefusesAnythingElse) {
  std::string nine;
  for (int i = 0; i < 9; ++i) nine += Block("AAEC");
  for (const std::string& pem : {std::string(), std::string("  \n"), std::string("junk") + Block("AAEC"),
                                 Block("AAEC") + "junk", std::string("-----BEGIN CERTIFICATE-----\nAAEC\n"),
                                 Block("!!!!"), Block(""), std::string("-----BEGIN PRIVATE KEY-----\nAAEC\n-----END PRIVATE KEY-----\n"),
                                 nine}) {
    auto ders = PemCertificateDers(pem);
    ASSERT_FALSE(ders.ok()) << pem;
    EXPECT_EQ(ders.error().code(), ErrorCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace vtpmd::ca
