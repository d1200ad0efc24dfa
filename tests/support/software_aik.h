#pragma once
// An attestation key in software, shaped as `tpm2_createak -G ecc -g sha256 -s ecdsa`
// would report it, for tests and benchmarks that enroll an AIK without a TPM.

#include "core/bytes.h"
#include "core/openssl.h"
#include "core/result.h"

namespace vtpmd::testing {

// The TPM2B_PUBLIC of `key` (an EC key on NIST P-256) as a restricted ECDSA-SHA256
// signing key with fixedTPM, fixedParent, sensitiveDataOrigin and userWithAuth and
// nameAlg SHA-256: what ca::AikPublic::Create accepts. The attributes are a claim
// nothing checks here; credential activation is what ties a real AIK to its TPM.
Result<Bytes> SoftwareAikPublic(EVP_PKEY* key);

}  // namespace vtpmd::testing
