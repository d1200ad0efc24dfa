#pragma once
// UEFI_VARIABLE_DATA, the data of the EV_EFI_VARIABLE_DRIVER_CONFIG, _BOOT, _BOOT2
// and _AUTHORITY events (little-endian):
//   EFI_GUID VariableName (16) || u64 UnicodeNameLength (in CHAR16s) ||
//   u64 VariableDataLength || CHAR16 UnicodeName[] || u8 VariableData[]

#include <cstddef>
#include <string>

#include "core/bytes.h"
#include "core/result.h"

namespace vtpmd::policy {

struct UefiVariableData {
  std::string variable_guid;  // VariableName as 8-4-4-4-12 lower-case hex, e.g. EFI_GLOBAL_VARIABLE's
  std::string unicode_name;   // UnicodeName in UTF-8, e.g. "SecureBoot"
  Bytes variable_data;
  // Bytes after VariableData, which the lengths do not cover: shim 15 logs its
  // EV_EFI_VARIABLE_AUTHORITY events with a few. Reported, not part of the variable.
  std::size_t trailing_bytes = 0;
};

// Strict about bounds: the lengths must fit in the data, and the name must be
// valid UTF-16.
Result<UefiVariableData> ParseUefiVariableData(ByteView data);

}  // namespace vtpmd::policy
