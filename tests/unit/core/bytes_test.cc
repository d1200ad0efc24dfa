#include "core/bytes.h"

#include <gtest/gtest.h>

namespace vtpmd {
namespace {

TEST(Hex, RoundTrips) {
  const Bytes data = {0x00, 0x01, 0xab, 0xff};
  EXPECT_EQ(HexEncode(data), "0001abff");
  auto decoded = HexDecode("0001ABff");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, data);
}

TEST(Hex, RejectsOddLengthAndNonHex) {
  EXPECT_FALSE(HexDecode("abc").ok());
  EXPECT_FALSE(HexDecode("zz").ok());
  EXPECT_EQ(HexDecode("0g").error().code(), ErrorCode::kInvalidArgument);
}

TEST(Base64, MatchesRfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(AsBytes(plain)), encoded);
    auto decoded = Base64Decode(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded;
    EXPECT_EQ(AsChars(*decoded), plain);
  }
}

TEST(Base64, RejectsNonCanonicalInput) {
  EXPECT_FALSE(Base64Decode("Zg=").ok());     // bad length
  EXPECT_FALSE(Base64Decode("Zh==").ok());    // stray low bits
  EXPECT_FALSE(Base64Decode("Zm9v\n").ok());  // whitespace
  EXPECT_FALSE(Base64Decode("Z===").ok());
  EXPECT_FALSE(Base64Decode("Zm-v").ok());    // url alphabet in standard decoder
}

TEST(Base64Url, UnpaddedRoundTrip) {
  const Bytes data = {0xfb, 0xff, 0xfe};
  EXPECT_EQ(Base64UrlEncode(data), "-__-");
  auto decoded = Base64UrlDecode("-__-");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, data);
  EXPECT_FALSE(Base64UrlDecode("A").ok());
}

TEST(ConstantTimeEquals, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals(AsBytes("abc"), AsBytes("abc")));
  EXPECT_FALSE(ConstantTimeEquals(AsBytes("abc"), AsBytes("abd")));
  EXPECT_FALSE(ConstantTimeEquals(AsBytes("abc"), AsBytes("ab")));
}

TEST(BytesTest, BitLengthCountsSignificantBits) {
  EXPECT_EQ(BitLength(Bytes{}), 0u);
  EXPECT_EQ(BitLength(Bytes{0, 0}), 0u);
  EXPECT_EQ(BitLength(Bytes{0, 1}), 1u);
  EXPECT_EQ(BitLength(Bytes{0x80, 0}), 16u);
  EXPECT_EQ(BitLength(Bytes{0, 0x7f, 0xff}), 15u);
}

}  // namespace
}  // namespace vtpmd
