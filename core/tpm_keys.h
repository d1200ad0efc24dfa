#pragma once
// OpenSSL public keys from TPM public areas, so TPM signatures verify with EVP.

#include <tss2/tss2_tpm2_types.h>

#include <cstdint>

#include "core/bytes.h"
#include "core/openssl.h"
#include "core/result.h"

namespace vtpmd::tpm {

inline constexpr unsigned kMinRsaKeyBits = 2048;

// RSA (>= 2048 bits; exponent 0 means 65537) and ECC on NIST P-256/P-384. The ECC
// point is checked to lie on the curve.
Result<ossl::PkeyPtr> PublicKeyFromTpm(const TPMT_PUBLIC& area);

// An ECC key's curve (as an OpenSSL NID) and uncompressed point 04 || x || y, each
// coordinate padded to the field size. Not checked to lie on the curve.
struct EccPoint {
  int curve_nid;
  Bytes point;
};
Result<EccPoint> EccPointFromTpm(const TPMT_PUBLIC& area);

// What a TPM means by an RSA exponent of 0.
std::uint32_t RsaExponent(const TPMS_RSA_PARMS& params);

}  // namespace vtpmd::tpm
