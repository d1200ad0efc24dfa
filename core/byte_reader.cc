#include "core/byte_reader.h"

#include <string>

namespace vtpmd {

Result<std::uint64_t> ByteReader::ReadInteger(std::size_t width, ByteOrder order) {
  if (remaining() < width) return InvalidArgument("truncated input");
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < width; ++i) {
    const std::size_t most_significant_first = order == ByteOrder::kBigEndian ? i : width - 1 - i;
    v = (v << 8) | data_[offset_ + most_significant_first];
  }
  offset_ += width;
  return v;
}

Result<std::uint8_t> ByteReader::U8() {
  VTPMD_ASSIGN_OR_RETURN(auto v, ReadInteger(1, ByteOrder::kBigEndian));
  return static_cast<std::uint8_t>(v);
}
Result<std::uint16_t> ByteReader::U16() {
  VTPMD_ASSIGN_OR_RETURN(auto v, ReadInteger(2, ByteOrder::kBigEndian));
  return static_cast<std::uint16_t>(v);
}
Result<std::uint32_t> ByteReader::U32() {
  VTPMD_ASSIGN_OR_RETURN(auto v, ReadInteger(4, ByteOrder::kBigEndian));
  return static_cast<std::uint32_t>(v);
}
Result<std::uint64_t> ByteReader::U64() {
  return ReadInteger(8, ByteOrder::kBigEndian);
}

Result<std::uint16_t> ByteReader::U16Le() {
  VTPMD_ASSIGN_OR_RETURN(auto v, ReadInteger(2, ByteOrder::kLittleEndian));
  return static_cast<std::uint16_t>(v);
}
Result<std::uint32_t> ByteReader::U32Le() {
  VTPMD_ASSIGN_OR_RETURN(auto v, ReadInteger(4, ByteOrder::kLittleEndian));
  return static_cast<std::uint32_t>(v);
}
Result<std::uint64_t> ByteReader::U64Le() {
  return ReadInteger(8, ByteOrder::kLittleEndian);
}

Result<ByteView> ByteReader::Take(std::size_t n) {
  if (remaining() < n) return InvalidArgument("truncated input");
  ByteView out = data_.subspan(offset_, n);
  offset_ += n;
  return out;
}

Result<ByteView> ByteReader::Sized16() {
  VTPMD_ASSIGN_OR_RETURN(auto size, U16());
  return Take(size);
}

Status ByteReader::ExpectEnd(std::string_view what) const {
  if (remaining() != 0) {
    return InvalidArgument(std::to_string(remaining()) + " trailing bytes after " + std::string(what));
  }
  return Ok();
}

}  // namespace vtpmd
