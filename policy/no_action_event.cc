#include "policy/no_action_event.h"

#include <algorithm>
#include <string_view>

namespace vtpmd::policy {
namespace {

constexpr std::size_t kSignatureSize = 16;
constexpr std::string_view kStartupLocality = "StartupLocality";

bool IsPrintableAscii(char c) {
  return c >= 0x20 && c < 0x7f;
}

std::string Signature(ByteView data) {
  if (data.size() < kSignatureSize) return "";
  std::string_view field = AsChars(data.first(kSignatureSize));
  field = field.substr(0, field.find_last_not_of('\0') + 1);
  if (field.empty() || !std::all_of(field.begin(), field.end(), IsPrintableAscii)) return "";
  return std::string(field);
}

}  // namespace

Result<NoActionEvent> ParseNoActionEvent(ByteView data) {
  NoActionEvent out{Signature(data), std::nullopt};
  if (out.signature != kStartupLocality) return out;
  if (data.size() != kSignatureSize + 1) {
    return InvalidArgument("a StartupLocality event must be \"StartupLocality\\0\" and one locality byte, not " +
                           std::to_string(data.size()) + " bytes");
  }
  const std::uint8_t locality = data[kSignatureSize];
  if (locality > kMaxStartupLocality) {
    return InvalidArgument("StartupLocality " + std::to_string(locality) + " is not a locality TPM2_Startup runs in");
  }
  out.startup_locality = locality;
  return out;
}

}  // namespace vtpmd::policy
