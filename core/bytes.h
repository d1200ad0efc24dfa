#pragma once
// Byte buffers and their text encodings. Decoders are strict: they are fed
// untrusted input (nonces, TPM structures in JSON) and reject anything non-canonical.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace vtpmd {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsChars(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string HexEncode(ByteView data);
// Accepts upper or lower case; rejects odd length and non-hex characters.
Result<Bytes> HexDecode(std::string_view text);

std::string Base64Encode(ByteView data);
std::string Base64UrlEncode(ByteView data);  // unpadded, for tokens and JWTs
// Standard alphabet with canonical padding; no whitespace, no trailing garbage.
Result<Bytes> Base64Decode(std::string_view text);
Result<Bytes> Base64UrlDecode(std::string_view text);

// The number of significant bits of a big-endian unsigned integer (0 for zero).
std::size_t BitLength(ByteView big_endian);

// Compares without early exit so that timing does not reveal the first mismatch.
bool ConstantTimeEquals(ByteView a, ByteView b);

}  // namespace vtpmd
