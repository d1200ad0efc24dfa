#pragma once
// Presence checks for TPM-resident handles (persistent objects, NV indices),
// through TPM2_GetCapability(HANDLES) so that absence is an answer, not an error.

#include <tss2/tss2_esys.h>

#include <string>

#include "core/result.h"

namespace vtpmd::vtpm {

Result<bool> HandleExists(ESYS_CONTEXT* esys, TPM2_HANDLE handle);

std::string HandleHex(TPM2_HANDLE handle);  // "0x81010001"

}  // namespace vtpmd::vtpm
