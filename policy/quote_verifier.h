#pragma once
// Verification of a TPM2_Quote: the evidence a guest's AIK signs for a challenger
// (docs/attestation.md, "Quote verification").
//
// Every check runs whose inputs exist, so a result shows all that is wrong with the
// evidence, not only the first problem. But the TPMS_ATTEST is the TPM's word only
// if the AIK's signature verifies and its magic says the TPM generated it; until
// then its contents are claims by whoever sent them. So a check of its contents
// that finds a problem fails (bad evidence stays bad), while one that finds nothing
// wrong is "skipped", never "passed", when the signature or magic failed. The same
// holds down the chain: the PCR digest is compared only over a complete selection,
// and the quoted PCR values are reported only when the digest check passed. The
// AIK's clock is recorded only when every other check passed, so forged or stale
// evidence cannot move the history.

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/crypto.h"
#include "core/result.h"
#include "policy/attestation_history.h"
#include "policy/evidence_check.h"
#include "policy/pcr_values.h"

namespace vtpmd::policy {

// The stable names of the checks, in the order they are reported.
inline constexpr std::string_view kCheckAttestFormat = "attest-format";
inline constexpr std::string_view kCheckSignature = "signature";
inline constexpr std::string_view kCheckTpmGenerated = "tpm-generated";
inline constexpr std::string_view kCheckQuoteType = "quote-type";
inline constexpr std::string_view kCheckNonce = "nonce";
inline constexpr std::string_view kCheckPcrSelection = "pcr-selection";
inline constexpr std::string_view kCheckPcrDigest = "pcr-digest";
inline constexpr std::string_view kCheckClockHistory = "clock-history";

// TPM2B_DATA holds at most a digest's worth of qualifying data.
inline constexpr std::size_t kMaxNonceSize = sizeof(TPMU_HA);

struct QuoteEvidence {
  ByteView attest;     // the marshalled TPMS_ATTEST (`tpm2_quote -m`), exactly as signed
  ByteView signature;  // the marshalled TPMT_SIGNATURE (`tpm2_quote -s`)
  PcrValues pcrs;      // quoted_pcrs.h or pcr_values_json.h
};

struct AikKey {
  EVP_PKEY* public_key = nullptr;  // from the AIK certificate the caller verified
  ByteView name;                   // its TPM name, the key of the clock history
};

// What the TPMS_ATTEST says. Trust it only if the verification passed.
struct QuoteFacts {
  TPM2_ST type = 0;
  Bytes qualified_signer;
  Bytes extra_data;
  ClockSnapshot clock;
  bool clock_safe = false;  // no clock value was lost since it was last reported
  std::uint64_t firmware_version = 0;
  std::optional<HashAlg> pcr_digest_alg;  // the signature's hash, which the TPM digests PCRs with
  Bytes pcr_digest;
  PcrValues quoted_pcrs;                    // only when the pcr-digest check passed
  std::optional<ClockSnapshot> last_clock;  // the AIK's history before this quote
};

struct QuoteVerification {
  bool passed = false;  // every check passed
  std::vector<CheckResult> checks;
  std::optional<QuoteFacts> facts;  // whenever the TPMS_ATTEST could be read

  const CheckResult* Find(std::string_view check) const;
};

// Fails (kInvalidArgument) only for a missing key or a nonce that is empty or
// longer than kMaxNonceSize, and with the history's errors; everything wrong with
// the evidence is a failed check.
Result<QuoteVerification> VerifyQuote(const QuoteEvidence& evidence, const AikKey& aik, ByteView nonce,
                                      AttestationHistory& history);

}  // namespace vtpmd::policy
