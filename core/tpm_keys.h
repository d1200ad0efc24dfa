#pragma once
// OpenSSL public keys from TPM public areas, so TPM signatures verify with EVP.

#include <tss2/tss2_tpm2_types.h>

#include "core/openssl.h"
#include "core/result.h"

namespace vtpmd::tpm {

inline constexpr unsigned kMinRsaKeyBits = 2048;

// RSA (>= 2048 bits; exponent 0 means 65537) and ECC on NIST P-256/P-384. The ECC
// point is checked to lie on the curve.
Result<ossl::PkeyPtr> PublicKeyFromTpm(const TPMT_PUBLIC& area);

}  // namespace vtpmd::tpm
