#pragma once
// The TPM's fixed properties (TPM2_GetCapability(TPM_PROPERTIES, PT_FIXED...))
// and the identity derived from them.

#include <tss2/tss2_esys.h>

#include <cstdint>
#include <map>
#include <string>

#include "core/result.h"

namespace vtpmd::vtpm {

using TpmProperties = std::map<TPM2_PT, std::uint32_t>;

Result<TpmProperties> ReadFixedProperties(ESYS_CONTEXT* esys);

struct PlatformIdentity {
  bool simulated = false;
  std::uint32_t manufacturer_id = 0;   // TPM2_PT_MANUFACTURER, e.g. 0x49424d00
  std::string manufacturer;            // the same four bytes as text, NULs dropped: "IBM"
  std::string vendor;                  // TPM2_PT_VENDOR_STRING_1..4 concatenated
  std::uint64_t firmware_version = 0;  // FIRMWARE_VERSION_1 << 32 | FIRMWARE_VERSION_2
  std::string spec_family;             // "2.0"
  std::uint32_t spec_level = 0;
  std::uint32_t spec_revision = 0;  // e.g. 164 for revision 1.64
};

Result<PlatformIdentity> IdentityFromProperties(const TpmProperties& properties, bool simulated);

}  // namespace vtpmd::vtpm
