#pragma once
// An object's TPM name, the identity the TPM puts into attestations (qualifiedSigner,
// certifyInfo.name) and that tpm2-tools writes with `-n`.

#include <tss2/tss2_tpm2_types.h>

#include "core/bytes.h"
#include "core/result.h"

namespace vtpmd::tpm {

// nameAlg (u16 big-endian) || H_nameAlg(marshalled TPMT_PUBLIC).
Result<Bytes> ObjectName(const TPMT_PUBLIC& area);

}  // namespace vtpmd::tpm
