#pragma once
// Signing arbitrary data (e.g. an X.509 TBSCertificate) with a restricted key.
// A restricted key signs only a digest the TPM computed itself and vouched for
// with a TPMT_TK_HASHCHECK ticket, which the TPM issues only for data that does
// not begin with TPM_GENERATED_VALUE: so the key cannot be made to sign
// something that passes for a TPM attestation (a forged quote or certify).

#include <tss2/tss2_esys.h>

#include "core/bytes.h"
#include "core/result.h"

namespace vtpmd::vtpm {

// Hashes `message` with SHA-256 in the TPM (a hash sequence, so any length fits)
// under the owner hierarchy, then TPM2_Sign with `key`, a restricted ECDSA/SHA-256
// signing key with an empty password. Returns the marshalled TPMT_SIGNATURE.
// A message the TPM would refuse to ticket (shorter than 4 bytes, or starting
// with TPM_GENERATED_VALUE 0xff544347) is kInvalidArgument.
Result<Bytes> SignWithHashCheckTicket(ESYS_CONTEXT* esys, ESYS_TR key, ByteView message);

}  // namespace vtpmd::vtpm
