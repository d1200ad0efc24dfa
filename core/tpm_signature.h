#pragma once
// Verification of TPM-made signatures (quotes, certify) with OpenSSL public keys.

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include "core/bytes.h"
#include "core/result.h"

namespace vtpmd::tpm {

// Verifies `signature` (RSASSA, RSAPSS or ECDSA, over the hash its scheme names)
// on `signed_message`, e.g. a marshalled TPMS_ATTEST. A signature that does not
// verify is kInvalidArgument.
Status VerifyTpmSignature(EVP_PKEY* key, ByteView signed_message, const TPMT_SIGNATURE& signature);

// The DER ECDSA-Sig-Value (RFC 3279) that X.509 and OpenSSL carry, from the raw
// r and s of an ECDSA TPMT_SIGNATURE; other schemes are kInvalidArgument.
Result<Bytes> EcdsaSignatureDer(const TPMT_SIGNATURE& signature);

}  // namespace vtpmd::tpm
