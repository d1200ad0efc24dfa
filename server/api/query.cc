#include "server/api/query.h"

namespace vtpmd::api {
namespace {

constexpr std::size_t kMaxParams = 32;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> Decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%') {
      if (text.size() - i < 3) return InvalidArgument("query: truncated percent escape");
      const int hi = HexDigit(text[i + 1]);
      const int lo = HexDigit(text[i + 2]);
      if (hi < 0 || lo < 0) return InvalidArgument("query: invalid percent escape");
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

Result<QueryParams> ParseQuery(std::string_view query) {
  QueryParams params;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    if (params.size() == kMaxParams) return InvalidArgument("query: too many parameters");
    const auto eq = pair.find('=');
    VTPMD_ASSIGN_OR_RETURN(std::string key, Decode(pair.substr(0, eq)));
    VTPMD_ASSIGN_OR_RETURN(std::string value,
                           Decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1)));
    if (key.empty()) return InvalidArgument("query: empty parameter name");
    if (!params.emplace(std::move(key), std::move(value)).second) return InvalidArgument("query: repeated parameter");
  }
  return params;
}

}  // namespace vtpmd::api
