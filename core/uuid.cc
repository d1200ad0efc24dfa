#include "core/uuid.h"

#include <cctype>

#include "core/bytes.h"

namespace vtpmd {

Result<std::string> NewUuid(Rng& rng) {
  VTPMD_ASSIGN_OR_RETURN(Bytes bytes, rng.Generate(16));
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3f) | 0x80);  // RFC variant
  const std::string hex = HexEncode(bytes);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20);
}

Result<std::string> CanonicalUuid(std::string_view text) {
  constexpr std::size_t kLength = 36;
  if (text.size() != kLength) return InvalidArgument("not a UUID (expected 8-4-4-4-12 hex digits)");
  std::string out(text);
  for (std::size_t i = 0; i < kLength; ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    const unsigned char c = static_cast<unsigned char>(out[i]);
    if (dash_position ? c != '-' : !std::isxdigit(c)) {
      return InvalidArgument("not a UUID (expected 8-4-4-4-12 hex digits)");
    }
    out[i] = static_cast<char>(std::tolower(c));
  }
  return out;
}

}  // namespace vtpmd
