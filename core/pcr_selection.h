#pragma once
// PCR selections: tpm2-tools text ("sha256:0,1,2+sha1:0-7"), the TPML_PCR_SELECTION
// wire form, the order in which a TPM concatenates selected PCRs, and the quote's
// pcrDigest over them.

#include <tss2/tss2_tpm2_types.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/crypto.h"
#include "core/result.h"

namespace vtpmd::tpm {

inline constexpr unsigned kPcrCount = 24;  // PC Client TPMs implement PCRs 0..23
inline constexpr std::size_t kMaxPcrSelectionTextSize = 256;

struct PcrSlot {
  HashAlg bank;
  unsigned index;
  bool operator==(const PcrSlot&) const = default;
};

// Banks separated by '+', each "bank:list" where the list holds PCR numbers and
// ranges ("0-7") separated by ','. Duplicate banks or PCRs, empty lists, whitespace,
// leading zeros and PCRs above 23 are rejected.
Result<TPML_PCR_SELECTION> ParsePcrSelectionText(std::string_view text);
// Lists only (no ranges), which every tpm2-tools version accepts with -l.
std::string PcrSelectionText(const TPML_PCR_SELECTION& selection);

// Wire form; banks must be known hashes, each at most once, with no PCR above 23.
Result<TPML_PCR_SELECTION> ParsePcrSelection(ByteView data);
Result<Bytes> MarshalPcrSelection(const TPML_PCR_SELECTION& selection);

// (bank, PCR) pairs in the order the TPM concatenates their values for a quote:
// banks in selection order, PCRs ascending within a bank.
Result<std::vector<PcrSlot>> PcrSlotsInTpmOrder(const TPML_PCR_SELECTION& selection);

// The quote's pcrDigest: H_alg of the PCR values concatenated in TPM order.
Result<Bytes> PcrDigest(HashAlg alg, const std::vector<Bytes>& values_in_tpm_order);

}  // namespace vtpmd::tpm
