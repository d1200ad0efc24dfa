#pragma once
// Provisioning of the platform TPM's persistent primary keys: created once from
// a template and made persistent, afterwards reused only if the key found at the
// handle was made from the same template.

#include <tss2/tss2_esys.h>

#include <string_view>

#include "core/result.h"

namespace vtpmd::vtpm {

struct PersistentKey {
  ESYS_TR tr = ESYS_TR_NONE;  // owned by the ESYS context for its lifetime
  TPM2B_PUBLIC public_area{};
};

Result<PersistentKey> EnsurePersistentPrimary(ESYS_CONTEXT* esys, ESYS_TR hierarchy, TPM2_HANDLE handle,
                                              const TPM2B_PUBLIC& tmpl, std::string_view purpose);

}  // namespace vtpmd::vtpm
