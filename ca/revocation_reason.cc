#include "ca/revocation_reason.h"

#include <array>
#include <string>
#include <utility>

namespace vtpmd::ca {
namespace {

constexpr std::array<std::pair<RevocationReason, std::string_view>, 8> kReasons = {{
    {RevocationReason::kUnspecified, "unspecified"},
    {RevocationReason::kKeyCompromise, "keyCompromise"},
    {RevocationReason::kCaCompromise, "cACompromise"},
    {RevocationReason::kAffiliationChanged, "affiliationChanged"},
    {RevocationReason::kSuperseded, "superseded"},
    {RevocationReason::kCessationOfOperation, "cessationOfOperation"},
    {RevocationReason::kPrivilegeWithdrawn, "privilegeWithdrawn"},
    {RevocationReason::kAaCompromise, "aACompromise"},
}};

}  // namespace

std::string_view RevocationReasonName(RevocationReason reason) {
  for (const auto& [value, name] : kReasons) {
    if (value == reason) return name;
  }
  return "unspecified";
}

Result<RevocationReason> RevocationReasonFromName(std::string_view name) {
  for (const auto& [value, known] : kReasons) {
    if (known == name) return value;
  }
  if (name == "certificateHold" || name == "removeFromCRL") {
    return Unsupported("certificate holds are not supported: revocation is permanent");
  }
  return InvalidArgument("unknown revocation reason \"" + std::string(name) +
                         "\"; use an RFC 5280 CRLReason name such as keyCompromise or cessationOfOperation");
}

Result<RevocationReason> RevocationReasonFromCode(int code) {
  for (const auto& [value, name] : kReasons) {
    if (static_cast<int>(value) == code) return value;
  }
  return Internal("stored revocation reason " + std::to_string(code) + " is not a CRLReason we issue");
}

}  // namespace vtpmd::ca
