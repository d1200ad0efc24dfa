#include "server/api/query.h"

#include <charconv>

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

Status RejectUnknownParams(const QueryParams& params, std::initializer_list<std::string_view> allowed) {
  for (const auto& [name, value] : params) {
    bool known = false;
    for (std::string_view candidate : allowed) known = known || candidate == name;
    if (!known) return InvalidArgument("unknown query parameter '" + name + "'");
  }
  return Ok();
}

Result<std::int64_t> IntegerParam(const QueryParams& params, std::string_view name, std::int64_t fallback,
                                  std::int64_t min, std::int64_t max) {
  const auto found = params.find(name);
  if (found == params.end()) return fallback;
  std::int64_t value = 0;
  const std::string& text = found->second;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return InvalidArgument("query parameter '" + std::string(name) + "' must be an integer in [" +
                           std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return value;
}

}  // namespace vtpmd::api
