#pragma once
// The TCG EK Credential Profile's default low-range EK templates (L-1, L-2): the
// same bytes tpm2_createek and every other TCG-conformant tool use, so the EK a
// TPM derives from its endorsement seed is the one its certificate names. A
// privacy CA rebuilds an EK's public area from its certificate with them.

#include <tss2/tss2_tpm2_types.h>

#include "core/openssl.h"
#include "core/result.h"

namespace vtpmd::tpm {

TPM2B_PUBLIC EkRsaTemplate();  // L-1: RSA-2048, AES-128-CFB, PolicySecret(endorsement)
TPM2B_PUBLIC EkEccTemplate();  // L-2: ECC NIST P-256, AES-128-CFB, PolicySecret(endorsement)

// The public area of the default-template EK whose key is `key` (from an EK
// certificate): RSA-2048 with exponent 65537 (L-1) or ECC P-256 (L-2). Other keys
// are kUnsupported: their template cannot be guessed.
Result<TPMT_PUBLIC> EkPublicFromKey(EVP_PKEY* key);

}  // namespace vtpmd::tpm
