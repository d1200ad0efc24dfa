#include "vtpm/pcr_values.h"

#include <algorithm>

#include "core/tpm_alg.h"
#include "vtpm/esys_context.h"

namespace vtpmd::vtpm {
namespace {

constexpr int kReadAttempts = 3;

bool IsSelected(const TPMS_PCR_SELECTION& s, std::uint32_t pcr) {
  return (s.pcrSelect[pcr / 8] & (1U << (pcr % 8))) != 0;
}

bool AnySelected(const TPML_PCR_SELECTION& selection) {
  for (std::uint32_t i = 0; i < selection.count; ++i) {
    const TPMS_PCR_SELECTION& s = selection.pcrSelections[i];
    for (std::uint32_t byte = 0; byte < s.sizeofSelect; ++byte) {
      if (s.pcrSelect[byte] != 0) return true;
    }
  }
  return false;
}

PcrBankValues* BankOf(std::vector<PcrBankValues>& banks, TPM2_ALG_ID alg) {
  auto it = std::find_if(banks.begin(), banks.end(), [alg](const PcrBankValues& b) { return b.bank == alg; });
  return it == banks.end() ? nullptr : &*it;
}

// One pass over the selection; false when the PCRs changed between chunks.
Result<bool> ReadPass(ESYS_CONTEXT* esys, const TPML_PCR_SELECTION& selection, std::vector<PcrBankValues>& out) {
  out.clear();
  for (std::uint32_t i = 0; i < selection.count; ++i) {
    out.push_back({selection.pcrSelections[i].hash, {}});
  }
  TPML_PCR_SELECTION remaining = selection;
  bool first_call = true;
  std::uint32_t first_counter = 0;
  while (AnySelected(remaining)) {
    std::uint32_t counter = 0;
    TPML_PCR_SELECTION* read_raw = nullptr;
    TPML_DIGEST* values_raw = nullptr;
    VTPMD_RETURN_IF_ERROR(CheckTss(
        Esys_PCR_Read(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &remaining, &counter, &read_raw, &values_raw),
        "TPM2_PCR_Read"));
    EsysOwned<TPML_PCR_SELECTION> read(read_raw);
    EsysOwned<TPML_DIGEST> values(values_raw);
    if (first_call) first_counter = counter;
    if (counter != first_counter) return false;
    first_call = false;

    std::uint32_t next_value = 0;
    for (std::uint32_t i = 0; i < read->count; ++i) {
      const TPMS_PCR_SELECTION& s = read->pcrSelections[i];
      PcrBankValues* bank = BankOf(out, s.hash);
      TPMS_PCR_SELECTION* pending = nullptr;
      for (std::uint32_t j = 0; j < remaining.count; ++j) {
        if (remaining.pcrSelections[j].hash == s.hash) pending = &remaining.pcrSelections[j];
      }
      if (bank == nullptr || pending == nullptr) {
        return Internal("TPM2_PCR_Read returned a bank that was not asked for");
      }
      for (std::uint32_t pcr = 0; pcr < std::uint32_t{s.sizeofSelect} * 8; ++pcr) {
        if (!IsSelected(s, pcr)) continue;
        if (next_value >= values->count) {
          return Internal("TPM2_PCR_Read returned fewer digests than selected");
        }
        const TPM2B_DIGEST& d = values->digests[next_value++];
        bank->values.emplace_back(pcr, Bytes(d.buffer, d.buffer + d.size));
        pending->pcrSelect[pcr / 8] = static_cast<BYTE>(pending->pcrSelect[pcr / 8] & ~(1U << (pcr % 8)));
      }
    }
    if (next_value == 0) {
      return FailedPrecondition("TPM2_PCR_Read returned no values for the remaining selection");
    }
  }
  for (PcrBankValues& bank : out) {
    std::sort(bank.values.begin(), bank.values.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  return true;
}

}  // namespace

Result<std::vector<TPM2_ALG_ID>> ReadAllocatedBanks(ESYS_CONTEXT* esys) {
  TPMS_CAPABILITY_DATA* raw = nullptr;
  TPMI_YES_NO more = TPM2_NO;
  VTPMD_RETURN_IF_ERROR(
      CheckTss(Esys_GetCapability(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_PCRS, 0, 1, &more, &raw),
               "TPM2_GetCapability(PCRS)"));
  EsysOwned<TPMS_CAPABILITY_DATA> data(raw);
  std::vector<TPM2_ALG_ID> banks;
  const TPML_PCR_SELECTION& assigned = data->data.assignedPCR;
  for (std::uint32_t i = 0; i < assigned.count && i < TPM2_NUM_PCR_BANKS; ++i) {
    TPML_PCR_SELECTION one{};
    one.count = 1;
    one.pcrSelections[0] = assigned.pcrSelections[i];
    if (AnySelected(one)) banks.push_back(assigned.pcrSelections[i].hash);
  }
  return banks;
}

Status ValidatePcrSelection(const TPML_PCR_SELECTION& selection, const std::vector<TPM2_ALG_ID>& banks) {
  if (selection.count == 0 || selection.count > TPM2_NUM_PCR_BANKS) {
    return InvalidArgument("PCR selection must name between 1 and " + std::to_string(TPM2_NUM_PCR_BANKS) + " banks");
  }
  for (std::uint32_t i = 0; i < selection.count; ++i) {
    const TPMS_PCR_SELECTION& s = selection.pcrSelections[i];
    if (std::find(banks.begin(), banks.end(), s.hash) == banks.end()) {
      return InvalidArgument("PCR bank " + std::to_string(s.hash) + " is not allocated on this TPM");
    }
    for (std::uint32_t j = 0; j < i; ++j) {
      if (selection.pcrSelections[j].hash == s.hash) {
        return InvalidArgument("PCR bank " + std::to_string(s.hash) + " selected twice");
      }
    }
    if (s.sizeofSelect == 0 || s.sizeofSelect > TPM2_PCR_SELECT_MAX) {
      return InvalidArgument("PCR selection size out of range");
    }
  }
  if (!AnySelected(selection)) return InvalidArgument("PCR selection selects no PCR");
  return Ok();
}

Result<std::vector<PcrBankValues>> ReadPcrValues(ESYS_CONTEXT* esys, const TPML_PCR_SELECTION& selection) {
  std::vector<PcrBankValues> out;
  for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
    VTPMD_ASSIGN_OR_RETURN(bool consistent, ReadPass(esys, selection, out));
    if (consistent) return out;
  }
  return Unavailable("PCRs kept changing while being read");
}

std::vector<Bytes> ValuesInTpmOrder(const std::vector<PcrBankValues>& pcrs) {
  std::vector<Bytes> values;
  for (const PcrBankValues& bank : pcrs) {
    for (const auto& [pcr, value] : bank.values) values.push_back(value);
  }
  return values;
}

std::map<HashAlg, std::map<unsigned, Bytes>> ValuesByBank(const std::vector<PcrBankValues>& pcrs) {
  std::map<HashAlg, std::map<unsigned, Bytes>> out;
  for (const PcrBankValues& bank : pcrs) {
    auto alg = tpm::HashAlgFromTpm(bank.bank);
    if (!alg.ok()) continue;
    for (const auto& [pcr, value] : bank.values) out[*alg][pcr] = value;
  }
  return out;
}

}  // namespace vtpmd::vtpm
