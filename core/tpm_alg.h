#pragma once
// Mapping between the TPM's algorithm identifiers and the hash algorithms we implement.

#include <tss2/tss2_tpm2_types.h>

#include "core/crypto.h"
#include "core/result.h"

namespace vtpmd::tpm {

// Fails with kUnsupported for TPM hash algorithms outside SHA-1/SHA-2 (and for non-hashes).
Result<HashAlg> HashAlgFromTpm(TPM2_ALG_ID alg);
TPM2_ALG_ID TpmAlgFromHash(HashAlg alg);

}  // namespace vtpmd::tpm
