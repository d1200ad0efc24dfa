#pragma once
// TPM2_Certify: an attestation key vouches that another object is resident in
// the same TPM, with the attributes its public area claims (e.g. restricted).

#include <tss2/tss2_esys.h>

#include "core/bytes.h"
#include "core/result.h"

namespace vtpmd::vtpm {

struct CertifyResult {
  Bytes attest;     // marshalled TPMS_ATTEST of type TPM_ST_ATTEST_CERTIFY
  Bytes signature;  // marshalled TPMT_SIGNATURE by the signing key over `attest`
};

// Certifies `object` (whose public area is `object_public`) with the ECDSA/SHA-256
// key `signer`; `qualifying_data` (at most 64 bytes) becomes the attest's
// extraData. Both handles take their (empty) password authorization.
Result<CertifyResult> CertifyObject(ESYS_CONTEXT* esys, ESYS_TR object, const TPM2B_PUBLIC& object_public,
                                    ESYS_TR signer, ByteView qualifying_data);

}  // namespace vtpmd::vtpm
