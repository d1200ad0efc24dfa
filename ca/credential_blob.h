#pragma once
// What TPM2_MakeCredential produces and TPM2_ActivateCredential consumes (TPM 2.0
// Part 1 §24): the wrapped credential and the seed only the EK's TPM can recover.

#include "core/bytes.h"

namespace vtpmd::ca {

struct CredentialBlob {
  // TPM2B_ID_OBJECT contents: integrityHMAC (a TPM2B) || encIdentity.
  Bytes id_object;
  // TPM2B_ENCRYPTED_SECRET contents: an RSA-OAEP ciphertext, or a marshalled
  // TPMS_ECC_POINT (the ephemeral ECDH key) for an ECC EK.
  Bytes encrypted_secret;
};

}  // namespace vtpmd::ca
