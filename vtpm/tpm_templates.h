#pragma once
// Public-area templates for the platform TPM's keys. The EK templates are the
// TCG EK Credential Profile's default low-range templates (L-1, L-2): the same
// bytes tpm2_createek and every other TCG-conformant tool use, so the EK derived
// from the endorsement seed is the one the manufacturer certified.

#include <tss2/tss2_tpm2_types.h>

#include "core/result.h"

namespace vtpmd::vtpm {

TPM2B_PUBLIC EkRsaTemplate();       // L-1: RSA-2048, AES-128-CFB, PolicySecret(endorsement)
TPM2B_PUBLIC EkEccTemplate();       // L-2: ECC NIST P-256, AES-128-CFB, PolicySecret(endorsement)
TPM2B_PUBLIC SrkTemplate();         // TCG storage root key: ECC P-256, AES-128-CFB
TPM2B_PUBLIC AikTemplate();         // restricted ECDSA-SHA256 signing key, ECC P-256
TPM2B_PUBLIC SealedDataTemplate();  // keyedhash sealed-data object

// True when `actual` was created from `tmpl`: every field but the unique (which
// the TPM fills in) matches.
Result<bool> MatchesTemplate(const TPM2B_PUBLIC& actual, const TPM2B_PUBLIC& tmpl);

}  // namespace vtpmd::vtpm
