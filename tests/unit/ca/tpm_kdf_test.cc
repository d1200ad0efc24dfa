#include "ca/tpm_kdf.h"
#include "tests/support/byte_pattern.h"

#include <gtest/gtest.h>

#include <string>

namespace vtpmd::ca {
namespace {

// Expected values come from credential_vectors.py, which implements the formulas of
// TPM 2.0 Part 1 §11.4.10 on its own with Python's hashlib and hmac.

using vtpmd::testing::Pattern;

Bytes Name256() {
  Bytes name = {0x00, 0x0b};
  const Bytes digest = Pattern(32, 0x40);
  name.insert(name.end(), digest.begin(), digest.end());
  return name;
}

std::string Hex(const Result<SecretBytes>& result) {
  EXPECT_TRUE(result.ok()) << result.error().message();
  return result.ok() ? HexEncode(result->view()) : "";
}

TEST(TpmKdfTest, KdfAOneBlockMatchesTheSpecFormula) {
  EXPECT_EQ(Hex(KdfA(HashAlg::kSha256, Pattern(32, 0), "STORAGE", Name256(), {}, 128)),
            "7a58c2079bee13e00ed160d657aecaef");
}

TEST(TpmKdfTest, KdfAOddBitCountSpansBlocksAndMasksTheFirstOctet) {
  EXPECT_EQ(Hex(KdfA(HashAlg::kSha256, Pattern(32, 0), "INTEGRITY", Pattern(5, 0xa0), Pattern(7, 0xb0), 300)),
            "01331af443105fba1d0267d4f08a2999c45922d20a2cdfe79cb41624a99f224f7026d67c4800");
}

TEST(TpmKdfTest, KdfAWithSha384) {
  EXPECT_EQ(Hex(KdfA(HashAlg::kSha384, Pattern(48, 0x10), "INTEGRITY", {}, {}, 384)),
            "0408c4ea334ed660d1b01818915664ed7ce9f15f5c0728622d4fc1156ef2cac0"
            "d954dd8122bc33abbf1e882c06a45b9a");
}

TEST(TpmKdfTest, KdfEOneBlockMatchesTheSpecFormula) {
  EXPECT_EQ(Hex(KdfE(HashAlg::kSha256, Pattern(32, 0x20), "IDENTITY", Pattern(32, 0x60), Pattern(32, 0x80), 256)),
            "87fa3d31cdd16f7193ab1436ea6482d6604c075866fc49f3ebdec3b7cb2e3676");
}

TEST(TpmKdfTest, KdfESeveralBlocksWithSha384) {
  EXPECT_EQ(Hex(KdfE(HashAlg::kSha384, Pattern(48, 0x30), "IDENTITY", Pattern(48, 0x70), Pattern(48, 0x90), 1000)),
            "d46dbbfcb9d1f11ee31d7936f111a55501a754de9d95479020b09e4b41b3d553"
            "95eb8b79479a46e8533579111d2f18e130d3ac13e9be167ff094f72465c95cad"
            "5ce766b1bbf45e3f64a1987321e3404e18681568bba9a655ec102b90febfb236"
            "4b73dc896d2348266881e70f19491457148921067f26677f848c9eb3df");
}

TEST(TpmKdfTest, ALabelWithItsTerminatingZeroIsTheSameLabel) {
  using namespace std::string_view_literals;
  EXPECT_EQ(Hex(KdfA(HashAlg::kSha256, Pattern(32, 0), "STORAGE\0"sv, Name256(), {}, 128)),
            Hex(KdfA(HashAlg::kSha256, Pattern(32, 0), "STORAGE", Name256(), {}, 128)));
  EXPECT_EQ(Hex(KdfE(HashAlg::kSha256, Pattern(32, 0), "IDENTITY\0"sv, {}, {}, 256)),
            Hex(KdfE(HashAlg::kSha256, Pattern(32, 0), "IDENTITY", {}, {}, 256)));
}

TEST(TpmKdfTest, RefusesEmptyAndHugeOutputs) {
  for (std::size_t bits : {std::size_t{0}, std::size_t{8 * 4096 + 1}}) {
    auto a = KdfA(HashAlg::kSha256, Pattern(32, 0), "STORAGE", {}, {}, bits);
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.error().code(), ErrorCode::kInvalidArgument);
    auto e = KdfE(HashAlg::kSha256, Pattern(32, 0), "IDENTITY", {}, {}, bits);
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.error().code(), ErrorCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace vtpmd::ca
