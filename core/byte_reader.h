#pragma once
// The one bounds-checked reader for untrusted bytes. Callers parse into locals,
// call ExpectEnd() to refuse trailing bytes, and only then commit results.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"

namespace vtpmd {

class ByteReader {
 public:
  explicit ByteReader(ByteView data) : data_(data) {}

  Result<std::uint8_t> U8();
  Result<std::uint16_t> U16();  // big-endian, as on the TPM wire
  Result<std::uint32_t> U32();
  Result<std::uint64_t> U64();
  Result<std::uint16_t> U16Le();  // little-endian, as in TCG event logs and UEFI structures
  Result<std::uint32_t> U32Le();
  Result<std::uint64_t> U64Le();
  Result<ByteView> Take(std::size_t n);
  // A TPM2B: a 16-bit big-endian size followed by that many bytes.
  Result<ByteView> Sized16();

  // Runs a libtss2-mu style unmarshaller (buffer, size, &offset, out) on the rest.
  template <typename T, typename Fn>
  Result<T> Unmarshal(Fn fn, std::string_view what) {
    T out{};
    std::size_t offset = offset_;
    if (fn(data_.data(), data_.size(), &offset, &out) != 0 || offset > data_.size()) {
      return InvalidArgument(std::string("malformed ") + std::string(what));
    }
    offset_ = offset;
    return out;
  }

  std::size_t remaining() const { return data_.size() - offset_; }
  std::size_t offset() const { return offset_; }
  Status ExpectEnd(std::string_view what) const;

 private:
  enum class ByteOrder { kBigEndian, kLittleEndian };
  Result<std::uint64_t> ReadInteger(std::size_t width, ByteOrder order);

  ByteView data_;
  std::size_t offset_ = 0;
};

}  // namespace vtpmd
