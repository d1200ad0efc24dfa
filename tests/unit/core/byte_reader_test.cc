#include "core/byte_reader.h"

#include <gtest/gtest.h>

namespace vtpmd {
namespace {

TEST(ByteReader, ReadsBigEndianIntegers) {
  const Bytes data = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
                      0x0c, 0x0d, 0x0e, 0x0f};
  ByteReader reader(data);
  EXPECT_EQ(*reader.U8(), 0x01);
  EXPECT_EQ(*reader.U16(), 0x0203);
  EXPECT_EQ(*reader.U32(), 0x04050607u);
  EXPECT_EQ(*reader.U64(), 0x08090a0b0c0d0e0fULL);
  EXPECT_TRUE(reader.ExpectEnd("test").ok());
}

TEST(ByteReader, ReadsLittleEndianIntegers) {
  const Bytes data = {0x02, 0x01, 0x06, 0x05, 0x04, 0x03, 0x0e, 0x0d, 0x0c, 0x0b, 0x0a, 0x09, 0x08, 0x07};
  ByteReader reader(data);
  EXPECT_EQ(*reader.U16Le(), 0x0102);
  EXPECT_EQ(*reader.U32Le(), 0x03040506u);
  EXPECT_EQ(*reader.U64Le(), 0x0708090a0b0c0d0eULL);
  EXPECT_TRUE(reader.ExpectEnd("test").ok());
  EXPECT_FALSE(reader.U16Le().ok());
}

TEST(ByteReader, RefusesToReadPastTheEnd) {
  const Bytes data = {0x01, 0x02, 0x03};
  ByteReader reader(data);
  EXPECT_FALSE(reader.U32().ok());
  // A failed read consumes nothing.
  EXPECT_EQ(reader.remaining(), 3u);
  EXPECT_EQ(*reader.U16(), 0x0102);
  EXPECT_FALSE(reader.Take(2).ok());
}

TEST(ByteReader, Sized16ChecksDeclaredLength) {
  const Bytes ok = {0x00, 0x02, 0xaa, 0xbb};
  ByteReader good(ok);
  auto view = good.Sized16();
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->size(), 2u);

  const Bytes lying = {0x00, 0x05, 0xaa};
  ByteReader bad(lying);
  EXPECT_FALSE(bad.Sized16().ok());
}

TEST(ByteReader, ExpectEndReportsTrailingBytes) {
  const Bytes data = {0x01, 0x02};
  ByteReader reader(data);
  ASSERT_TRUE(reader.U8().ok());
  auto status = reader.ExpectEnd("thing");
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message().find("1 trailing bytes after thing"), std::string::npos);
}

}  // namespace
}  // namespace vtpmd
