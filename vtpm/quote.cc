#include "vtpm/quote.h"

#include "core/pcr_selection.h"
#include "core/tpm_wire.h"
#include "vtpm/esys_context.h"

namespace vtpmd::vtpm {
namespace {

// PCRs may be extended between TPM2_Quote and TPM2_PCR_Read; a few retries let a
// burst of extends settle before giving up.
constexpr int kQuoteAttempts = 4;

// Whether `values` are exactly the PCRs `selection` selects, in its bank order.
bool SelectsExactly(const TPML_PCR_SELECTION& selection, const std::vector<PcrBankValues>& values) {
  std::size_t next = 0;
  for (std::uint32_t i = 0; i < selection.count; ++i) {
    const TPMS_PCR_SELECTION& bank = selection.pcrSelections[i];
    std::vector<std::uint32_t> selected;
    for (std::uint32_t pcr = 0; pcr < 8u * bank.sizeofSelect; ++pcr) {
      if ((bank.pcrSelect[pcr / 8] & (1u << (pcr % 8))) != 0) selected.push_back(pcr);
    }
    if (selected.empty()) continue;
    if (next == values.size() || values[next].bank != bank.hash || values[next].values.size() != selected.size()) {
      return false;
    }
    for (std::size_t j = 0; j < selected.size(); ++j) {
      if (values[next].values[j].first != selected[j]) return false;
    }
    ++next;
  }
  return next == values.size();
}

}  // namespace

Result<QuoteResult> QuoteAndReadPcrs(ESYS_CONTEXT* esys, ESYS_TR key, const TPMT_SIG_SCHEME& scheme,
                                     const TPM2B_DATA& nonce, const TPML_PCR_SELECTION& selection,
                                     const std::vector<PcrBankValues>* known) {
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
    // The TPM digests the PCRs with the signing scheme's hash.
    VTPMD_ASSIGN_OR_RETURN(HashAlg digest_alg, tpm::SignatureHashAlg(*signature));
    const TPM2B_DIGEST& quoted = parsed.attested.quote.pcrDigest;
    const auto covers_quote = [&](const std::vector<PcrBankValues>& values) -> Result<bool> {
      if (!SelectsExactly(result.selection, values)) return false;
      VTPMD_ASSIGN_OR_RETURN(Bytes digest, tpm::PcrDigest(digest_alg, ValuesInTpmOrder(values)));
      return ConstantTimeEquals(digest, ByteView(quoted.buffer, quoted.size));
    };
    bool covered = false;
    if (known != nullptr) {
      VTPMD_ASSIGN_OR_RETURN(covered, covers_quote(*known));
      if (covered) result.pcrs = *known;
    }
    if (!covered) {
      VTPMD_ASSIGN_OR_RETURN(result.pcrs, ReadPcrValues(esys, result.selection));
      VTPMD_ASSIGN_OR_RETURN(covered, covers_quote(result.pcrs));
    }
    if (covered) {
      VTPMD_ASSIGN_OR_RETURN(result.signature, tpm::MarshalSignature(*signature));
      return result;
    }
  }
  return Unavailable("PCRs kept changing between TPM2_Quote and TPM2_PCR_Read");
}

}  // namespace vtpmd::vtpm
