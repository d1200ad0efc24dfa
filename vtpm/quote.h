#pragma once
// TPM2_Quote and the PCR values it covers, as a verifier needs them: the quote only
// carries a digest of the values, so they are read right after, and the pair is
// kept only if the values hash to the quoted digest.

#include <tss2/tss2_esys.h>

#include <vector>

#include "core/bytes.h"
#include "core/result.h"
#include "vtpm/pcr_values.h"

namespace vtpmd::vtpm {

struct QuoteResult {
  Bytes attest;     // marshalled TPMS_ATTEST: the bytes the AIK signed
  Bytes signature;  // marshalled TPMT_SIGNATURE
  TPML_PCR_SELECTION selection{};
  std::vector<PcrBankValues> pcrs;  // values that hash to the attest's pcrDigest
};

// Quotes `selection` with `key` (TPM2_ALG_NULL in `scheme` uses the key's own
// scheme) and reads the values. PCRs extended in between make the digests differ;
// then it quotes again, a few times, before giving up with Unavailable.
// `known`: values read for an earlier quote; when they are exactly the selection
// and hash to the new quote's digest, they are the quoted values and the read is
// skipped (a host's PCRs rarely change between two quotes).
Result<QuoteResult> QuoteAndReadPcrs(ESYS_CONTEXT* esys, ESYS_TR key, const TPMT_SIG_SCHEME& scheme,
                                     const TPM2B_DATA& nonce, const TPML_PCR_SELECTION& selection,
                                     const std::vector<PcrBankValues>* known = nullptr);

}  // namespace vtpmd::vtpm
