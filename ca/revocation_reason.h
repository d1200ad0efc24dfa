#pragma once
// RFC 5280 §5.3.1 CRLReason codes, named as the RFC names them. certificateHold and
// removeFromCRL are left out on purpose: revocation here is permanent.

#include <string_view>

#include "core/result.h"

namespace vtpmd::ca {

enum class RevocationReason : int {
  kUnspecified = 0,
  kKeyCompromise = 1,
  kCaCompromise = 2,
  kAffiliationChanged = 3,
  kSuperseded = 4,
  kCessationOfOperation = 5,
  kPrivilegeWithdrawn = 9,
  kAaCompromise = 10,
};

std::string_view RevocationReasonName(RevocationReason reason);  // "keyCompromise", ...
Result<RevocationReason> RevocationReasonFromName(std::string_view name);
Result<RevocationReason> RevocationReasonFromCode(int code);

}  // namespace vtpmd::ca
