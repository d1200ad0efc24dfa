#include "core/uuid.h"

#include <cctype>

#include "core/bytes.h"

namespace vtpmd {

namespace {

std::string FormatUuid(Bytes& bytes, unsigned version) {
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0f) | (version << 4));
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3f) | 0x80);  // RFC variant
  const std::string hex = HexEncode(bytes);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20);
}

}  // namespace

Result<std::string> NewUuid(Rng& rng) {
  VTPMD_ASSIGN_OR_RETURN(Bytes bytes, rng.Generate(16));
  return FormatUuid(bytes, 4);
}

Result<std::string> NewTimeOrderedUuid(Rng& rng, TimePoint now) {
  VTPMD_ASSIGN_OR_RETURN(Bytes bytes, rng.Generate(16));
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  if (millis < 0) return InvalidArgument("a time-ordered UUID needs a time after 1970");
  const auto unix_ms = static_cast<std::uint64_t>(millis);
  for (int i = 0; i < 6; ++i) bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(unix_ms >> (40 - 8 * i));
  return FormatUuid(bytes, 7);
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
