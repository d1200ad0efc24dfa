#include "server/cli/tpm2_tools_pcrs.h"

#include <string>

#include "core/crypto.h"
#include "core/pcr_selection.h"

namespace vtpmd::cli {
namespace {

// tpm2-tools fwrite()s its host structs, so the file mirrors the x86-64 layout of
// TPML_PCR_SELECTION and TPML_DIGEST: little-endian integers, padding as zeros.
constexpr std::size_t kSelectionEntrySize = 8;  // u16 hash, u8 sizeofSelect, u8[4] pcrSelect, pad
constexpr std::size_t kDigestsPerList = 8;      // TPML_DIGEST holds at most 8 digests
constexpr std::size_t kDigestEntrySize = 2 + sizeof(TPMU_HA);  // u16 size, u8[64] buffer

void PutLittleEndian(Bytes& out, std::uint64_t value, std::size_t width) {
  for (std::size_t i = 0; i < width; ++i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

void PutSelection(Bytes& out, const TPML_PCR_SELECTION& selection) {
  PutLittleEndian(out, selection.count, 4);
  for (const TPMS_PCR_SELECTION& bank : selection.pcrSelections) {
    const std::size_t start = out.size();
    PutLittleEndian(out, bank.hash, 2);
    out.push_back(bank.sizeofSelect);
    out.insert(out.end(), std::begin(bank.pcrSelect), std::end(bank.pcrSelect));
    out.resize(start + kSelectionEntrySize, 0);
  }
}

void PutDigestList(Bytes& out, const std::vector<Bytes>& values, std::size_t first, std::size_t count) {
  PutLittleEndian(out, count, 4);
  for (std::size_t i = 0; i < kDigestsPerList; ++i) {
    const std::size_t start = out.size();
    if (i < count) {
      const Bytes& value = values[first + i];
      PutLittleEndian(out, value.size(), 2);
      out.insert(out.end(), value.begin(), value.end());
    }
    out.resize(start + kDigestEntrySize, 0);
  }
}

}  // namespace

Result<Bytes> Tpm2ToolsSerializedPcrs(const TPML_PCR_SELECTION& selection,
                                      const std::vector<Bytes>& values_in_tpm_order) {
  VTPMD_ASSIGN_OR_RETURN(std::vector<tpm::PcrSlot> slots, tpm::PcrSlotsInTpmOrder(selection));
  if (slots.size() != values_in_tpm_order.size()) {
    return InvalidArgument(std::to_string(slots.size()) + " PCRs selected but " +
                           std::to_string(values_in_tpm_order.size()) + " values given");
  }
  for (std::size_t i = 0; i < slots.size(); ++i) {
    if (values_in_tpm_order[i].size() != DigestSize(slots[i].bank)) {
      return InvalidArgument("PCR value " + std::to_string(i) + " has the wrong size for its bank");
    }
  }
  Bytes out;
  PutSelection(out, selection);
  const std::size_t lists = (slots.size() + kDigestsPerList - 1) / kDigestsPerList;
  PutLittleEndian(out, lists, 4);
  for (std::size_t list = 0; list < lists; ++list) {
    const std::size_t first = list * kDigestsPerList;
    PutDigestList(out, values_in_tpm_order, first, std::min(kDigestsPerList, slots.size() - first));
  }
  return out;
}

}  // namespace vtpmd::cli
