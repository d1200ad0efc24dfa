#include "server/api/event_type_patterns.h"

namespace vtpmd::api {
namespace {

constexpr std::size_t kMaxPatternLength = 128;

bool IsSegment(std::string_view segment) {
  if (segment.empty()) return false;
  for (char c : segment) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  return true;
}

}  // namespace

Status CheckEventTypePattern(std::string_view pattern) {
  const std::string quoted = "event type pattern '" + std::string(pattern.substr(0, kMaxPatternLength)) + "'";
  if (pattern.size() > kMaxPatternLength) return InvalidArgument(quoted + "... is longer than 128 characters");
  if (pattern == "*") return Ok();
  std::string_view rest = pattern;
  if (rest.ends_with(".*")) rest.remove_suffix(2);
  while (true) {
    const auto dot = rest.find('.');
    if (!IsSegment(rest.substr(0, dot))) {
      return InvalidArgument(quoted + " is not dot-separated [a-z0-9_-] names, optionally ending in .* (or *)");
    }
    if (dot == std::string_view::npos) return Ok();
    rest.remove_prefix(dot + 1);
  }
}

Result<std::vector<std::string>> ParseEventTypePatterns(std::string_view list) {
  std::vector<std::string> out;
  while (true) {
    const auto comma = list.find(',');
    const std::string_view item = list.substr(0, comma);
    VTPMD_RETURN_IF_ERROR(CheckEventTypePattern(item));
    if (out.size() == kMaxEventTypePatterns) return InvalidArgument("more than 32 event type patterns");
    out.emplace_back(item);
    if (comma == std::string_view::npos) return out;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace vtpmd::api
