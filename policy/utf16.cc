#include "policy/utf16.h"

namespace vtpmd::policy {
namespace {

constexpr char32_t kHighSurrogateFirst = 0xd800;
constexpr char32_t kLowSurrogateFirst = 0xdc00;
constexpr char32_t kSurrogateEnd = 0xe000;

bool IsHighSurrogate(char32_t unit) {
  return unit >= kHighSurrogateFirst && unit < kLowSurrogateFirst;
}
bool IsLowSurrogate(char32_t unit) {
  return unit >= kLowSurrogateFirst && unit < kSurrogateEnd;
}

void AppendUtf8(std::string& out, char32_t c) {
  auto put = [&out](char32_t byte) { out.push_back(static_cast<char>(byte)); };
  if (c < 0x80) {
    put(c);
  } else if (c < 0x800) {
    put(0xc0 | (c >> 6));
    put(0x80 | (c & 0x3f));
  } else if (c < 0x10000) {
    put(0xe0 | (c >> 12));
    put(0x80 | ((c >> 6) & 0x3f));
    put(0x80 | (c & 0x3f));
  } else {
    put(0xf0 | (c >> 18));
    put(0x80 | ((c >> 12) & 0x3f));
    put(0x80 | ((c >> 6) & 0x3f));
    put(0x80 | (c & 0x3f));
  }
}

}  // namespace

Result<std::u32string> DecodeUtf16Le(ByteView data) {
  if (data.size() % 2 != 0) return InvalidArgument("UTF-16 text has an odd number of bytes");
  std::u32string out;
  out.reserve(data.size() / 2);
  for (std::size_t i = 0; i < data.size(); i += 2) {
    const char32_t unit = static_cast<char32_t>(data[i] | (data[i + 1] << 8));
    if (IsLowSurrogate(unit)) return InvalidArgument("UTF-16 text has an unpaired low surrogate");
    if (!IsHighSurrogate(unit)) {
      out.push_back(unit);
      continue;
    }
    i += 2;
    const char32_t low = i + 1 < data.size() ? static_cast<char32_t>(data[i] | (data[i + 1] << 8)) : 0;
    if (!IsLowSurrogate(low)) return InvalidArgument("UTF-16 text has an unpaired high surrogate");
    out.push_back(0x10000 + ((unit - kHighSurrogateFirst) << 10) + (low - kLowSurrogateFirst));
  }
  return out;
}

std::string EncodeUtf8(std::u32string_view code_points) {
  std::string out;
  out.reserve(code_points.size());
  for (char32_t c : code_points) AppendUtf8(out, c);
  return out;
}

}  // namespace vtpmd::policy
