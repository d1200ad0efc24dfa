#pragma once
// Public-area templates for the keys vtpmd creates in TPMs (the EK templates are
// the TCG's, in core/tpm_ek_template.h).

#include <tss2/tss2_tpm2_types.h>

#include "core/result.h"
#include "core/tpm_ek_template.h"

namespace vtpmd::vtpm {

TPM2B_PUBLIC SrkTemplate();         // TCG storage root key: ECC P-256, AES-128-CFB
TPM2B_PUBLIC AikTemplate();         // restricted ECDSA-SHA256 signing key, ECC P-256
// The AIK's parameters; a label in `unique` makes the TPM derive a different key
// from the same endorsement seed, so the host key can never be the AIK itself.
TPM2B_PUBLIC HostSigningKeyTemplate();
TPM2B_PUBLIC SealedDataTemplate();  // keyedhash sealed-data object

// True when `actual` was created from `tmpl`: every field but the unique (which
// the TPM fills in) matches.
Result<bool> MatchesTemplate(const TPM2B_PUBLIC& actual, const TPM2B_PUBLIC& tmpl);

}  // namespace vtpmd::vtpm
