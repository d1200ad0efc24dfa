#pragma once
// Reading PCRs from a TPM, bank by bank.

#include <tss2/tss2_esys.h>

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/crypto.h"
#include "core/result.h"

namespace vtpmd::vtpm {

struct PcrBankValues {
  TPM2_ALG_ID bank = TPM2_ALG_NULL;
  std::vector<std::pair<std::uint32_t, Bytes>> values;  // (pcr index, value), ascending
};

// The banks with at least one PCR allocated.
Result<std::vector<TPM2_ALG_ID>> ReadAllocatedBanks(ESYS_CONTEXT* esys);

// Rejects malformed selections and banks the TPM does not have, before the TPM sees them.
Status ValidatePcrSelection(const TPML_PCR_SELECTION& selection, const std::vector<TPM2_ALG_ID>& banks);

// TPM2_PCR_Read returns at most eight digests per call; this reads the whole
// selection, starting over if the PCRs change between calls.
Result<std::vector<PcrBankValues>> ReadPcrValues(ESYS_CONTEXT* esys, const TPML_PCR_SELECTION& selection);

// The values in the order a quote's pcrDigest concatenates them.
std::vector<Bytes> ValuesInTpmOrder(const std::vector<PcrBankValues>& pcrs);

// Bank -> PCR -> value, the shape verifiers and policies use (policy::PcrValues);
// banks of hash algorithms vtpmd does not know are left out.
std::map<HashAlg, std::map<unsigned, Bytes>> ValuesByBank(const std::vector<PcrBankValues>& pcrs);

}  // namespace vtpmd::vtpm
