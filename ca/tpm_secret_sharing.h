#pragma once
// Sharing a fresh seed with the TPM that holds a storage key (TPM 2.0 Part 1
// Annex B.10.4 for RSA, C.6.4 for ECC), as TPM2_MakeCredential and duplication do:
// the seed protects the payload, and only that TPM can recover it from the
// encrypted secret.

#include <tss2/tss2_tpm2_types.h>

#include <string_view>

#include "core/bytes.h"
#include "core/random.h"
#include "core/result.h"
#include "core/secret_bytes.h"

namespace vtpmd::ca {

struct SharedSeed {
  SecretBytes seed;        // as many bytes as the key's nameAlg digest
  Bytes encrypted_secret;  // TPM2B_ENCRYPTED_SECRET contents
};

// RSA: `rng` draws the seed, which is RSA-OAEP encrypted with the key's nameAlg (for
// OAEP and MGF1) and `label` plus its terminating zero as the OAEP label.
// ECC: one-pass Diffie-Hellman with an ephemeral key on the key's curve (drawn from
// OpenSSL's DRBG, like every key we generate); seed = KDFe(nameAlg, Z.x, label,
// ephemeral x, key x), and the encrypted secret is the marshalled ephemeral point.
// The caller has checked that `key` is a storage key of a supported kind; this only
// refuses what it cannot compute.
Result<SharedSeed> ShareSeed(const TPMT_PUBLIC& key, std::string_view label, Rng& rng);

}  // namespace vtpmd::ca
