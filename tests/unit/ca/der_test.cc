#include "ca/der.h"

#include <gtest/gtest.h>

namespace vtpmd::ca {
namespace {

std::string Hex(const Result<Bytes>& encoded) {
  EXPECT_TRUE(encoded.ok());
  return encoded.ok() ? HexEncode(*encoded) : "";
}

TEST(DerTest, EncodesPrimitives) {
  EXPECT_EQ(Hex(der::ObjectIdentifier("2.23.133.2.16")), "06056781050210");
  EXPECT_EQ(Hex(der::Utf8String("2.0")), "0c03322e30");
  EXPECT_EQ(Hex(der::Integer(0)), "020100");
  EXPECT_EQ(Hex(der::Integer(164)), "020200a4");  // a leading zero keeps it positive
  EXPECT_EQ(Hex(der::Integer(-1)), "0201ff");
}

TEST(DerTest, EncodesConstructedTypes) {
  const Bytes a = {0x02, 0x01, 0x05};
  const Bytes b = {0x05, 0x00};
  EXPECT_EQ(Hex(der::Sequence({a, b})), "3005020105" "0500");
  EXPECT_EQ(Hex(der::Set({a})), "3103020105");
  EXPECT_EQ(Hex(der::Sequence({})), "3000");
  const Bytes long_content(200, 0x00);
  Result<Bytes> long_sequence = der::Sequence({long_content});
  ASSERT_TRUE(long_sequence.ok());
  EXPECT_EQ(HexEncode(ByteView(*long_sequence).first(3)), "3081c8");  // long-form length
  EXPECT_EQ(long_sequence->size(), 203u);
}

TEST(DerTest, RejectsMalformedOid) {
  EXPECT_FALSE(der::ObjectIdentifier("not an oid").ok());
  EXPECT_FALSE(der::ObjectIdentifier("").ok());
}

}  // namespace
}  // namespace vtpmd::ca
