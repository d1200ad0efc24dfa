#pragma once
// TPM2_ActivateCredential for the platform TPM: recovers a privacy CA's challenge
// secret, which only works when the attestation key and the EK are both in this
// TPM. The EK's authorization is the TCG EK policy, PolicySecret(endorsement).

#include <tss2/tss2_esys.h>

#include "core/bytes.h"
#include "core/result.h"
#include "core/secret_bytes.h"

namespace vtpmd::vtpm {

// `id_object` and `encrypted_secret` are the contents of TPM2B_ID_OBJECT and
// TPM2B_ENCRYPTED_SECRET (what MakeCredential produced).
Result<SecretBytes> ActivateCredential(ESYS_CONTEXT* esys, ESYS_TR attestation_key, ESYS_TR endorsement_key,
                                       ByteView id_object, ByteView encrypted_secret);

}  // namespace vtpmd::vtpm
