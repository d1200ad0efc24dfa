#pragma once
// The TPM's side of TPM2_ActivateCredential (TPM 2.0 Part 1 §24, Part 3 §12.5) in
// software, for tests and benchmarks that play a TPM whose EK private key they
// hold. Written from the specification, apart from ca/make_credential.cc, so that
// it checks the CA's half rather than mirroring it.

#include <tss2/tss2_tpm2_types.h>

#include <cstddef>

#include "ca/credential_blob.h"
#include "core/bytes.h"
#include "core/crypto.h"
#include "core/openssl.h"
#include "core/result.h"
#include "core/secret_bytes.h"

namespace vtpmd::testing {

// The seed a credential was protected with (Part 1 Annex B.10.4, C.6.4): RSA-OAEP
// decryption with the EK's nameAlg and the label "IDENTITY\0", or ECDH of the EK
// with the ephemeral point in `encrypted_secret` followed by KDFe. `ek_private`
// must be the private half of `ek_public`. Refuses what the TPM refuses: an OAEP
// failure, a seed longer than the nameAlg digest, a point off the curve.
Result<SecretBytes> RecoverCredentialSeed(EVP_PKEY* ek_private, const TPMT_PUBLIC& ek_public,
                                          ByteView encrypted_secret);

// The symmetric half (Part 1 §24.4, §24.5 in reverse): checks integrityHMAC over
// encIdentity || object_name with the "INTEGRITY" key and refuses a mismatch
// (TPM_RC_INTEGRITY: another object, another seed or altered bytes), then
// decrypts encIdentity with the "STORAGE" key (AES-CFB, zero IV) and unmarshals
// the TPM2B_DIGEST it holds.
Result<SecretBytes> UnprotectCredential(HashAlg name_alg, std::size_t symmetric_key_bits, const SecretBytes& seed,
                                        ByteView object_name, ByteView id_object);

// Both halves: what TPM2_ActivateCredential returns for `blob` when the object
// named `object_name` is loaded next to the EK.
Result<SecretBytes> ActivateCredential(EVP_PKEY* ek_private, const TPMT_PUBLIC& ek_public, ByteView object_name,
                                       const ca::CredentialBlob& blob);

}  // namespace vtpmd::testing
