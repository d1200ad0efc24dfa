#pragma once
// TPM2_MakeCredential in software (TPM 2.0 Part 1 §24, Part 3 §12.6): wraps a
// credential so that only the TPM holding `ek` can recover it, and only with
// TPM2_ActivateCredential on the object named `object_name` loaded next to it. A
// privacy CA binds an AIK to an EK this way.

#include <tss2/tss2_tpm2_types.h>

#include <cstddef>

#include "ca/credential_blob.h"
#include "core/bytes.h"
#include "core/crypto.h"
#include "core/random.h"
#include "core/result.h"
#include "core/secret_bytes.h"

namespace vtpmd::ca {

// `ek` must be a restricted decryption (storage) key without an asymmetric scheme,
// with an AES-CFB symmetric definition and a SHA-256 or stronger nameAlg: RSA
// (>= 2048 bits; the TCG templates L-1 and H-2/H-3) or ECC on NIST P-256/P-384
// (L-2, H-3/H-4). `object_name` is a TPM name: nameAlg (u16) || digest. The
// credential is 1 to nameAlg-digest-size bytes. Refusals are kInvalidArgument,
// or kUnsupported for algorithms outside that list.
Result<CredentialBlob> MakeCredential(const TPMT_PUBLIC& ek, ByteView object_name, const SecretBytes& credential,
                                      Rng& rng);

// The symmetric half, once the seed is shared (Part 1 §24.4, §24.5): returns the
// TPM2B_ID_OBJECT contents. Exposed so that tests can pin it with known answers.
Result<Bytes> ProtectCredential(HashAlg name_alg, std::size_t symmetric_key_bits, const SecretBytes& seed,
                                ByteView object_name, const SecretBytes& credential);

}  // namespace vtpmd::ca
