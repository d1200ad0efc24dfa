#pragma once
// Sealing small secrets (data keys) to one TPM: a keyedhash sealed-data object
// under the storage root key. The blob is useless on any other TPM because its
// private part is protected by that TPM's SRK.
//
// Blob layout: marshalled TPM2B_PUBLIC || marshalled TPM2B_PRIVATE.

#include <tss2/tss2_esys.h>

#include "core/bytes.h"
#include "core/result.h"
#include "core/secret_bytes.h"

namespace vtpmd::vtpm {

inline constexpr std::size_t kMaxSealedSize = 128;

Result<Bytes> SealUnderKey(ESYS_CONTEXT* esys, ESYS_TR parent, const SecretBytes& secret);
Result<SecretBytes> UnsealUnderKey(ESYS_CONTEXT* esys, ESYS_TR parent, ByteView blob);

}  // namespace vtpmd::vtpm
