#include "policy/quote_verifier.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>

#include "core/pcr_selection.h"
#include "core/tpm_signature.h"
#include "core/tpm_wire.h"

namespace vtpmd::policy {
namespace {

std::string HexNumber(std::uint64_t value, int width) {
  char text[24];
  std::snprintf(text, sizeof(text), "0x%0*llx", width, static_cast<unsigned long long>(value));
  return text;
}

std::string SlotName(const tpm::PcrSlot& slot) {
  return std::string(HashAlgName(slot.bank)) + " PCR " + std::to_string(slot.index);
}

std::string SlotList(const std::vector<tpm::PcrSlot>& slots) {
  std::string text;
  for (const tpm::PcrSlot& slot : slots) text += (text.empty() ? "" : ", ") + SlotName(slot);
  return text;
}

std::string ClockText(const ClockSnapshot& clock) {
  return "resetCount " + std::to_string(clock.reset_count) + ", restartCount " + std::to_string(clock.restart_count) +
         ", clock " + std::to_string(clock.clock);
}

CheckResult ClockFailure(ClockOrder order, const ClockSnapshot& last, const ClockSnapshot& observed) {
  const std::string message = ClockText(observed) + " is behind " + ClockText(last) + " accepted before from this AIK";
  switch (order) {
    case ClockOrder::kResetCountBackwards:
      return CheckResult::Failed(kCheckClockHistory, ReasonCode::kResetCountWentBackwards, message);
    case ClockOrder::kRestartCountBackwards:
      return CheckResult::Failed(kCheckClockHistory, ReasonCode::kRestartCountWentBackwards, message);
    case ClockOrder::kClockBackwards:
    case ClockOrder::kFirst:
    case ClockOrder::kForward: break;
  }
  return CheckResult::Failed(kCheckClockHistory, ReasonCode::kClockWentBackwards, message);
}

// One verification: the parsed inputs and what the checks so far established.
class QuoteChecks {
 public:
  QuoteChecks(const QuoteEvidence& evidence, const AikKey& aik, ByteView nonce)
      : evidence_(evidence), aik_(aik), nonce_(nonce) {}

  Result<QuoteVerification> Run(AttestationHistory& history) {
    Add(AttestFormat());
    Add(Signature());
    Add(TpmGenerated());
    Add(QuoteType());
    Add(Nonce());
    Add(PcrSelection());
    Add(PcrDigest());
    VTPMD_ASSIGN_OR_RETURN(CheckResult clock, ClockHistory(history));
    Add(std::move(clock));
    result_.passed = AllPassedSoFar();
    return std::move(result_);
  }

 private:
  void Add(CheckResult check) { result_.checks.push_back(std::move(check)); }
  bool AllPassedSoFar() const {
    return std::all_of(result_.checks.begin(), result_.checks.end(),
                       [](const CheckResult& check) { return check.passed(); });
  }

  std::string SignatureDoubt() const { return signature_verified_ ? "" : "the AIK's signature did not verify"; }
  std::string ContentDoubt() const {
    if (!signature_verified_) return SignatureDoubt();
    return tpm_generated_ ? "" : "the TPMS_ATTEST is not TPM-generated";
  }

  // A check of the TPMS_ATTEST's contents that found nothing wrong counts as
  // passed only when those contents are the TPM's word.
  static CheckResult Settle(CheckResult raw, const std::string& doubt) {
    if (!raw.passed() || doubt.empty()) return raw;
    return CheckResult::Skipped(raw.check, raw.message + ", but unverified: " + doubt);
  }

  CheckResult AttestFormat() {
    auto attest = tpm::ParseAttestStructure(evidence_.attest);
    if (!attest.ok()) {
      return CheckResult::Failed(kCheckAttestFormat, ReasonCode::kMalformedEvidence, attest.error().message());
    }
    attest_ = *attest;
    QuoteFacts& facts = result_.facts.emplace();
    facts.type = attest_->type;
    facts.qualified_signer.assign(attest_->qualifiedSigner.name,
                                  attest_->qualifiedSigner.name + attest_->qualifiedSigner.size);
    facts.extra_data.assign(attest_->extraData.buffer, attest_->extraData.buffer + attest_->extraData.size);
    facts.clock = {attest_->clockInfo.clock, attest_->clockInfo.resetCount, attest_->clockInfo.restartCount};
    facts.clock_safe = attest_->clockInfo.safe == TPM2_YES;
    facts.firmware_version = attest_->firmwareVersion;
    if (attest_->type == TPM2_ST_ATTEST_QUOTE) {
      const TPM2B_DIGEST& digest = attest_->attested.quote.pcrDigest;
      facts.pcr_digest.assign(digest.buffer, digest.buffer + digest.size);
    }
    return CheckResult::Passed(
        kCheckAttestFormat, "a TPMS_ATTEST of " + std::to_string(evidence_.attest.size()) + " bytes, nothing after it");
  }

  CheckResult Signature() {
    auto signature = tpm::ParseSignature(evidence_.signature);
    if (!signature.ok()) {
      const ReasonCode reason = signature.error().code() == ErrorCode::kUnsupported
                                    ? ReasonCode::kUnsupportedSignatureScheme
                                    : ReasonCode::kMalformedEvidence;
      return CheckResult::Failed(kCheckSignature, reason, signature.error().message());
    }
    auto hash = tpm::SignatureHashAlg(*signature);
    if (!hash.ok()) {
      return CheckResult::Failed(kCheckSignature, ReasonCode::kUnsupportedSignatureScheme, hash.error().message());
    }
    signature_hash_ = *hash;
    if (result_.facts) result_.facts->pcr_digest_alg = *hash;
    // Signatures are checked over the bytes as received: re-marshalling the parsed
    // structure could hide a difference.
    Status verified = tpm::VerifyTpmSignature(aik_.public_key, evidence_.attest, *signature);
    if (!verified.ok()) {
      return CheckResult::Failed(kCheckSignature, ReasonCode::kSignatureInvalid, verified.error().message());
    }
    signature_verified_ = true;
    return CheckResult::Passed(kCheckSignature, "signed by the AIK with " + std::string(HashAlgName(*signature_hash_)));
  }

  CheckResult TpmGenerated() {
    if (!attest_) return CheckResult::Skipped(kCheckTpmGenerated, "the TPMS_ATTEST could not be read");
    if (attest_->magic != TPM2_GENERATED_VALUE) {
      return CheckResult::Failed(kCheckTpmGenerated, ReasonCode::kNotTpmGenerated,
                                 "magic is " + HexNumber(attest_->magic, 8) + ", not TPM_GENERATED_VALUE");
    }
    tpm_generated_ = true;
    return Settle(CheckResult::Passed(kCheckTpmGenerated, "magic is TPM_GENERATED_VALUE"), SignatureDoubt());
  }

  CheckResult QuoteType() {
    if (!attest_) return CheckResult::Skipped(kCheckQuoteType, "the TPMS_ATTEST could not be read");
    if (attest_->type != TPM2_ST_ATTEST_QUOTE) {
      return CheckResult::Failed(kCheckQuoteType, ReasonCode::kNotAQuote,
                                 "type is " + HexNumber(attest_->type, 4) + ", not TPM_ST_ATTEST_QUOTE");
    }
    return Settle(CheckResult::Passed(kCheckQuoteType, "a quote"), ContentDoubt());
  }

  CheckResult Nonce() {
    if (!attest_) return CheckResult::Skipped(kCheckNonce, "the TPMS_ATTEST could not be read");
    const ByteView extra_data(attest_->extraData.buffer, attest_->extraData.size);
    if (!ConstantTimeEquals(extra_data, nonce_)) {
      return CheckResult::Failed(kCheckNonce, ReasonCode::kNonceMismatch,
                                 "extraData " + HexEncode(extra_data) + " is not the challenger's nonce");
    }
    return Settle(CheckResult::Passed(kCheckNonce, "extraData is the challenger's nonce"), ContentDoubt());
  }

  CheckResult PcrSelection() {
    if (!attest_ || attest_->type != TPM2_ST_ATTEST_QUOTE) {
      return CheckResult::Skipped(kCheckPcrSelection, "no quote to take a PCR selection from");
    }
    auto slots = tpm::PcrSlotsInTpmOrder(attest_->attested.quote.pcrSelect);
    if (!slots.ok()) {
      const ReasonCode reason = slots.error().code() == ErrorCode::kUnsupported ? ReasonCode::kUnsupportedPcrBank
                                                                                : ReasonCode::kMalformedEvidence;
      return CheckResult::Failed(kCheckPcrSelection, reason, "quoted PCR selection: " + slots.error().message());
    }
    std::vector<tpm::PcrSlot> missing;
    for (const tpm::PcrSlot& slot : *slots) {
      const auto bank = evidence_.pcrs.find(slot.bank);
      if (bank == evidence_.pcrs.end() || !bank->second.contains(slot.index)) missing.push_back(slot);
    }
    std::vector<tpm::PcrSlot> unquoted;
    for (const auto& [bank, values] : evidence_.pcrs) {
      for (const auto& [index, value] : values) {
        const tpm::PcrSlot slot{bank, index};
        if (std::find(slots->begin(), slots->end(), slot) == slots->end()) unquoted.push_back(slot);
      }
    }
    if (!missing.empty()) {
      return CheckResult::Failed(kCheckPcrSelection, ReasonCode::kPcrValuesMissing,
                                 "no value given for the quoted " + SlotList(missing));
    }
    // A value the quote does not cover is not attested; refusing it keeps it out of
    // results and policies rather than trusting the caller to ignore it.
    if (!unquoted.empty()) {
      return CheckResult::Failed(kCheckPcrSelection, ReasonCode::kPcrSelectionMismatch,
                                 "values given for PCRs the quote does not cover: " + SlotList(unquoted));
    }
    slots_ = std::move(*slots);
    return Settle(CheckResult::Passed(kCheckPcrSelection, "a value for each quoted PCR: " + SlotList(*slots_)),
                  ContentDoubt());
  }

  CheckResult PcrDigest() {
    if (!slots_) return CheckResult::Skipped(kCheckPcrDigest, "the PCR values do not match the quote's selection");
    if (!signature_hash_) {
      return CheckResult::Skipped(kCheckPcrDigest, "the signature names no hash to digest the PCRs with");
    }
    std::vector<Bytes> values;
    for (const tpm::PcrSlot& slot : *slots_) values.push_back(evidence_.pcrs.at(slot.bank).at(slot.index));
    auto digest = tpm::PcrDigest(*signature_hash_, values);
    if (!digest.ok())
      return CheckResult::Failed(kCheckPcrDigest, ReasonCode::kMalformedEvidence, digest.error().message());
    if (!ConstantTimeEquals(*digest, result_.facts->pcr_digest)) {
      return CheckResult::Failed(kCheckPcrDigest, ReasonCode::kPcrDigestMismatch,
                                 "the " + std::string(HashAlgName(*signature_hash_)) +
                                     " digest of the given PCR values is not the quote's pcrDigest");
    }
    CheckResult check =
        Settle(CheckResult::Passed(kCheckPcrDigest, "the given PCR values are the quoted ones"), ContentDoubt());
    if (check.passed()) {
      for (const tpm::PcrSlot& slot : *slots_) {
        result_.facts->quoted_pcrs[slot.bank][slot.index] = evidence_.pcrs.at(slot.bank).at(slot.index);
      }
    }
    return check;
  }

  Result<CheckResult> ClockHistory(AttestationHistory& history) {
    if (!attest_) return CheckResult::Skipped(kCheckClockHistory, "the TPMS_ATTEST could not be read");
    const ClockSnapshot& observed = result_.facts->clock;
    const bool record = AllPassedSoFar();
    VTPMD_ASSIGN_OR_RETURN(ClockComparison comparison, record ? history.CompareAndRecord(aik_.name, observed)
                                                              : history.Compare(aik_.name, observed));
    result_.facts->last_clock = comparison.last;
    if (!IsAcceptable(comparison.order)) return ClockFailure(comparison.order, *comparison.last, observed);
    const std::string message = comparison.last ? ClockText(observed) + " follows " + ClockText(*comparison.last)
                                                : ClockText(observed) + ", the first from this AIK";
    if (!record) return CheckResult::Skipped(kCheckClockHistory, message + ", but not recorded: other checks failed");
    return CheckResult::Passed(kCheckClockHistory, message);
  }

  const QuoteEvidence& evidence_;
  const AikKey& aik_;
  ByteView nonce_;
  QuoteVerification result_;
  std::optional<TPMS_ATTEST> attest_;
  std::optional<HashAlg> signature_hash_;           // the TPM digests the quoted PCRs with it
  std::optional<std::vector<tpm::PcrSlot>> slots_;  // when the values match the quoted selection
  bool signature_verified_ = false;
  bool tpm_generated_ = false;
};

}  // namespace

const CheckResult* QuoteVerification::Find(std::string_view check) const {
  const auto found = std::find_if(checks.begin(), checks.end(), [&](const CheckResult& c) { return c.check == check; });
  return found == checks.end() ? nullptr : &*found;
}

Result<QuoteVerification> VerifyQuote(const QuoteEvidence& evidence, const AikKey& aik, ByteView nonce,
                                      AttestationHistory& history) {
  if (aik.public_key == nullptr) return InvalidArgument("no AIK public key");
  if (nonce.empty() || nonce.size() > kMaxNonceSize) {
    return InvalidArgument("the nonce must be 1 to " + std::to_string(kMaxNonceSize) + " bytes");
  }
  return QuoteChecks(evidence, aik, nonce).Run(history);
}

}  // namespace vtpmd::policy
