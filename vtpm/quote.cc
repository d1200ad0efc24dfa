#include "vtpm/quote.h"

#include "core/pcr_selection.h"
#include "core/tpm_wire.h"
#include "vtpm/esys_context.h"

namespace vtpmd::vtpm {
namespace {

// PCRs may be extended between TPM2_Quote and TPM2_PCR_Read; a few retries let a
// burst of extends settle before giving up.
constexpr int kQuoteAttempts = 4;

}  // namespace

Result<QuoteResult> QuoteAndReadPcrs(ESYS_CONTEXT* esys, ESYS_TR key, const TPMT_SIG_SCHEME& scheme,
                                     const TPM2B_DATA& nonce, const TPML_PCR_SELECTION& selection) {
  for (int attempt = 0; attempt < kQuoteAttempts; ++attempt) {
    TPM2B_ATTEST* attest_raw = nullptr;
    TPMT_SIGNATURE* signature_raw = nullptr;
    VTPMD_RETURN_IF_ERROR(CheckTss(Esys_Quote(esys, key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &nonce,
                                              &scheme, &selection, &attest_raw, &signature_raw),
                                   "TPM2_Quote"));
    EsysOwned<TPM2B_ATTEST> attest(attest_raw);
    EsysOwned<TPMT_SIGNATURE> signature(signature_raw);

    QuoteResult result;
    result.attest.assign(attest->attestationData, attest->attestationData + attest->size);
    VTPMD_ASSIGN_OR_RETURN(TPMS_ATTEST parsed, tpm::ParseAttest(result.attest));
    if (parsed.type != TPM2_ST_ATTEST_QUOTE) return Internal("TPM2_Quote returned something other than a quote");
    result.selection = parsed.attested.quote.pcrSelect;
    VTPMD_ASSIGN_OR_RETURN(result.pcrs, ReadPcrValues(esys, result.selection));
    // The TPM digests the PCRs with the signing scheme's hash.
    VTPMD_ASSIGN_OR_RETURN(HashAlg digest_alg, tpm::SignatureHashAlg(*signature));
    VTPMD_ASSIGN_OR_RETURN(Bytes digest, tpm::PcrDigest(digest_alg, ValuesInTpmOrder(result.pcrs)));
    const TPM2B_DIGEST& quoted = parsed.attested.quote.pcrDigest;
    if (ConstantTimeEquals(digest, ByteView(quoted.buffer, quoted.size))) {
      VTPMD_ASSIGN_OR_RETURN(result.signature, tpm::MarshalSignature(*signature));
      return result;
    }
  }
  return Unavailable("PCRs kept changing between TPM2_Quote and TPM2_PCR_Read");
}

}  // namespace vtpmd::vtpm
