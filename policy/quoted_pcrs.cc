#include "policy/quoted_pcrs.h"

#include <tss2/tss2_tpm2_types.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/byte_reader.h"
#include "core/pcr_selection.h"

namespace vtpmd::policy {
namespace {

// tpm2-tools fwrite()s its host structs; these are their x86-64 sizes.
constexpr std::size_t kSelectionSlots = TPM2_NUM_PCR_BANKS;
constexpr std::size_t kSelectionEntrySize = 8;  // u16 hash, u8 sizeofSelect, u8[4] pcrSelect, 1 pad byte
constexpr std::size_t kDigestsPerList = 8;      // TPML_DIGEST holds at most 8 digests
constexpr std::size_t kDigestBufferSize = sizeof(TPMU_HA);
constexpr std::size_t kDigestListSize = 4 + kDigestsPerList * (2 + kDigestBufferSize);

bool AllZero(ByteView bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

Result<TPMS_PCR_SELECTION> ReadSelectionEntry(ByteReader& reader) {
  VTPMD_ASSIGN_OR_RETURN(ByteView entry, reader.Take(kSelectionEntrySize));
  ByteReader fields(entry);
  TPMS_PCR_SELECTION bank{};
  VTPMD_ASSIGN_OR_RETURN(bank.hash, fields.U16Le());
  VTPMD_ASSIGN_OR_RETURN(bank.sizeofSelect, fields.U8());
  VTPMD_ASSIGN_OR_RETURN(ByteView bitmap, fields.Take(TPM2_PCR_SELECT_MAX));
  if (bank.sizeofSelect > TPM2_PCR_SELECT_MAX) return InvalidArgument("PCR bitmap longer than 4 bytes");
  if (!AllZero(bitmap.subspan(bank.sizeofSelect)) || !AllZero(entry.subspan(fields.offset()))) {
    return InvalidArgument("non-zero bytes beyond a PCR bitmap");
  }
  std::copy(bitmap.begin(), bitmap.end(), bank.pcrSelect);
  return bank;
}

Result<TPML_PCR_SELECTION> ReadSelection(ByteReader& reader) {
  VTPMD_ASSIGN_OR_RETURN(std::uint32_t count, reader.U32Le());
  if (count > kSelectionSlots) return InvalidArgument("more than 16 PCR banks");
  TPML_PCR_SELECTION selection{};
  selection.count = count;
  for (std::size_t i = 0; i < kSelectionSlots; ++i) {
    if (i < count) {
      VTPMD_ASSIGN_OR_RETURN(selection.pcrSelections[i], ReadSelectionEntry(reader));
    } else {
      VTPMD_ASSIGN_OR_RETURN(ByteView unused, reader.Take(kSelectionEntrySize));
      if (!AllZero(unused)) return InvalidArgument("non-zero unused PCR selection slot");
    }
  }
  return selection;
}

// Appends the list's values to `values`, checking each against the slot it fills.
Status ReadDigestList(ByteReader& reader, const std::vector<tpm::PcrSlot>& slots, std::vector<Bytes>& values) {
  VTPMD_ASSIGN_OR_RETURN(std::uint32_t count, reader.U32Le());
  if (count == 0 || count > kDigestsPerList)
    return InvalidArgument("a digest list holds " + std::to_string(count) + " values");
  if (count > slots.size() - values.size()) return InvalidArgument("more values than selected PCRs");
  for (std::size_t i = 0; i < kDigestsPerList; ++i) {
    VTPMD_ASSIGN_OR_RETURN(std::uint16_t size, reader.U16Le());
    VTPMD_ASSIGN_OR_RETURN(ByteView buffer, reader.Take(kDigestBufferSize));
    if (i >= count) {
      if (size != 0 || !AllZero(buffer)) return InvalidArgument("non-zero unused digest slot");
      continue;
    }
    const tpm::PcrSlot& slot = slots[values.size()];
    if (size != DigestSize(slot.bank)) {
      return InvalidArgument("PCR " + std::to_string(slot.index) + " of bank " + std::string(HashAlgName(slot.bank)) +
                             " has a " + std::to_string(size) + "-byte value");
    }
    if (!AllZero(buffer.subspan(size))) return InvalidArgument("non-zero bytes after a digest");
    values.emplace_back(buffer.begin(), buffer.begin() + size);
  }
  return Ok();
}

Result<PcrValues> Parse(ByteView file) {
  ByteReader reader(file);
  VTPMD_ASSIGN_OR_RETURN(TPML_PCR_SELECTION selection, ReadSelection(reader));
  VTPMD_ASSIGN_OR_RETURN(std::vector<tpm::PcrSlot> slots, tpm::PcrSlotsInTpmOrder(selection));
  VTPMD_ASSIGN_OR_RETURN(std::uint32_t lists, reader.U32Le());
  // Every list holds at least one value, and the size is known before reading any.
  if (lists > slots.size()) return InvalidArgument("more digest lists than selected PCRs");
  if (reader.remaining() != lists * kDigestListSize) {
    return InvalidArgument(reader.remaining() < lists * kDigestListSize ? "truncated" : "trailing bytes");
  }
  std::vector<Bytes> values;
  for (std::uint32_t list = 0; list < lists; ++list) VTPMD_RETURN_IF_ERROR(ReadDigestList(reader, slots, values));
  VTPMD_RETURN_IF_ERROR(reader.ExpectEnd("the last digest list"));
  if (values.size() != slots.size()) {
    return InvalidArgument(std::to_string(slots.size()) + " PCRs selected but " + std::to_string(values.size()) +
                           " values given");
  }
  PcrValues out;
  for (std::size_t i = 0; i < slots.size(); ++i) out[slots[i].bank][slots[i].index] = std::move(values[i]);
  return out;
}

}  // namespace

Result<PcrValues> ParseTpm2ToolsPcrs(ByteView file) {
  auto values = Parse(file);
  if (!values.ok()) return values.error().WithContext("tpm2-tools PCR file");
  return values;
}

}  // namespace vtpmd::policy
