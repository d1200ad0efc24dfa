#pragma once
// `vtpmctl attest`'s evidence: a quote by the guest's AIK, made in its vTPM through
// tpm2-tss, with the PCR values it covers.

#include <tss2/tss2_tpm2_types.h>

#include <string>

#include "core/bytes.h"
#include "core/result.h"
#include "policy/pcr_values.h"

namespace vtpmd::cli {

struct GuestQuote {
  Bytes attest;     // TPMS_ATTEST as signed
  Bytes signature;  // TPMT_SIGNATURE
  policy::PcrValues pcrs;
};

// `aik_handle`: the AIK made persistent in the guest's TPM (tpm2_evictcontrol); it
// signs with its own scheme. At most 64 bytes of nonce.
Result<GuestQuote> CollectGuestQuote(const std::string& tcti, TPM2_HANDLE aik_handle, ByteView nonce,
                                     const TPML_PCR_SELECTION& selection);

}  // namespace vtpmd::cli
