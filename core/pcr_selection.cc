#include "core/pcr_selection.h"

#include <cstdio>

#include "core/tpm_alg.h"
#include "core/tpm_mu.h"

namespace vtpmd::tpm {
namespace {

constexpr std::uint8_t kSelectBytes = kPcrCount / 8;

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t end = text.find(separator, start);
    if (end == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

bool IsSelected(const TPMS_PCR_SELECTION& bank, unsigned pcr) {
  const unsigned byte = pcr / 8;
  return byte < bank.sizeofSelect && byte < TPM2_PCR_SELECT_MAX && ((bank.pcrSelect[byte] >> (pcr % 8)) & 1U) != 0;
}

void Select(TPMS_PCR_SELECTION& bank, unsigned pcr) {
  bank.pcrSelect[pcr / 8] = static_cast<BYTE>(bank.pcrSelect[pcr / 8] | (1U << (pcr % 8)));
}

Status CheckPcrSelection(const TPML_PCR_SELECTION& selection) {
  if (selection.count > TPM2_NUM_PCR_BANKS) return InvalidArgument("too many PCR banks");
  for (std::uint32_t i = 0; i < selection.count; ++i) {
    const TPMS_PCR_SELECTION& bank = selection.pcrSelections[i];
    auto alg = HashAlgFromTpm(bank.hash);
    if (!alg.ok()) return alg.error().WithContext("PCR bank");
    for (std::uint32_t j = 0; j < i; ++j) {
      if (selection.pcrSelections[j].hash == bank.hash) return InvalidArgument("duplicate PCR bank");
    }
    if (bank.sizeofSelect > TPM2_PCR_SELECT_MAX) return InvalidArgument("PCR select bitmap too long");
    for (unsigned byte = kSelectBytes; byte < bank.sizeofSelect; ++byte) {
      if (bank.pcrSelect[byte] != 0) return InvalidArgument("PCR above 23 selected");
    }
  }
  return Ok();
}

Result<unsigned> ParsePcrNumber(std::string_view digits) {
  if (digits.empty() || digits.size() > 2 || (digits.size() == 2 && digits[0] == '0')) {
    return InvalidArgument("bad PCR number '" + std::string(digits) + "'");
  }
  unsigned value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return InvalidArgument("bad PCR number '" + std::string(digits) + "'");
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value >= kPcrCount) return InvalidArgument("PCR " + std::to_string(value) + " out of range 0-23");
  return value;
}

Status ParsePcrList(std::string_view list, TPMS_PCR_SELECTION& bank) {
  if (list.empty()) return InvalidArgument("empty PCR list");
  for (std::string_view item : Split(list, ',')) {
    const std::size_t dash = item.find('-');
    VTPMD_ASSIGN_OR_RETURN(unsigned first, ParsePcrNumber(item.substr(0, dash)));
    unsigned last = first;
    if (dash != std::string_view::npos) {
      VTPMD_ASSIGN_OR_RETURN(last, ParsePcrNumber(item.substr(dash + 1)));
      if (last < first) return InvalidArgument("descending PCR range '" + std::string(item) + "'");
    }
    for (unsigned pcr = first; pcr <= last; ++pcr) {
      if (IsSelected(bank, pcr)) return InvalidArgument("PCR " + std::to_string(pcr) + " selected twice");
      Select(bank, pcr);
    }
  }
  return Ok();
}

std::string BankName(TPMI_ALG_HASH hash) {
  auto alg = HashAlgFromTpm(hash);
  if (alg.ok()) return std::string(HashAlgName(*alg));
  char id[8];
  std::snprintf(id, sizeof(id), "0x%04x", static_cast<unsigned>(hash));
  return id;
}

}  // namespace

Result<TPML_PCR_SELECTION> ParsePcrSelectionText(std::string_view text) {
  if (text.size() > kMaxPcrSelectionTextSize) return InvalidArgument("PCR selection text too long");
  TPML_PCR_SELECTION selection{};
  for (std::string_view part : Split(text, '+')) {
    const std::size_t colon = part.find(':');
    if (colon == std::string_view::npos) return InvalidArgument("PCR selection needs 'bank:pcrs'");
    VTPMD_ASSIGN_OR_RETURN(HashAlg alg, HashAlgFromName(part.substr(0, colon)));
    // Four known banks and the duplicate check below keep count far from the array bound.
    if (selection.count == TPM2_NUM_PCR_BANKS) return InvalidArgument("too many PCR banks");
    TPMS_PCR_SELECTION& bank = selection.pcrSelections[selection.count++];
    bank.hash = TpmAlgFromHash(alg);
    bank.sizeofSelect = kSelectBytes;
    VTPMD_RETURN_IF_ERROR(ParsePcrList(part.substr(colon + 1), bank));
    VTPMD_RETURN_IF_ERROR(CheckPcrSelection(selection));
  }
  return selection;
}

std::string PcrSelectionText(const TPML_PCR_SELECTION& selection) {
  std::string text;
  const std::uint32_t banks = selection.count < TPM2_NUM_PCR_BANKS ? selection.count : TPM2_NUM_PCR_BANKS;
  for (std::uint32_t i = 0; i < banks; ++i) {
    const TPMS_PCR_SELECTION& bank = selection.pcrSelections[i];
    if (i > 0) text += '+';
    text += BankName(bank.hash) + ':';
    bool first = true;
    for (unsigned pcr = 0; pcr < TPM2_MAX_PCRS; ++pcr) {
      if (!IsSelected(bank, pcr)) continue;
      if (!first) text += ',';
      text += std::to_string(pcr);
      first = false;
    }
  }
  return text;
}

Result<TPML_PCR_SELECTION> ParsePcrSelection(ByteView data) {
  VTPMD_ASSIGN_OR_RETURN(TPML_PCR_SELECTION selection,
                         mu::UnmarshalExact<TPML_PCR_SELECTION>(Tss2_MU_TPML_PCR_SELECTION_Unmarshal, data,
                                                                "TPML_PCR_SELECTION"));
  VTPMD_RETURN_IF_ERROR(CheckPcrSelection(selection));
  return selection;
}

Result<Bytes> MarshalPcrSelection(const TPML_PCR_SELECTION& selection) {
  VTPMD_RETURN_IF_ERROR(CheckPcrSelection(selection));
  return mu::Marshal(Tss2_MU_TPML_PCR_SELECTION_Marshal, selection, "TPML_PCR_SELECTION");
}

Result<std::vector<PcrSlot>> PcrSlotsInTpmOrder(const TPML_PCR_SELECTION& selection) {
  VTPMD_RETURN_IF_ERROR(CheckPcrSelection(selection));
  std::vector<PcrSlot> slots;
  for (std::uint32_t i = 0; i < selection.count; ++i) {
    const TPMS_PCR_SELECTION& bank = selection.pcrSelections[i];
    VTPMD_ASSIGN_OR_RETURN(HashAlg alg, HashAlgFromTpm(bank.hash));
    for (unsigned pcr = 0; pcr < kPcrCount; ++pcr) {
      if (IsSelected(bank, pcr)) slots.push_back({alg, pcr});
    }
  }
  return slots;
}

Result<Bytes> PcrDigest(HashAlg alg, const std::vector<Bytes>& values_in_tpm_order) {
  Bytes concatenated;
  for (const Bytes& value : values_in_tpm_order) concatenated.insert(concatenated.end(), value.begin(), value.end());
  return Digest(alg, concatenated);
}

}  // namespace vtpmd::tpm
