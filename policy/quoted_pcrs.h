#pragma once
// The PCR values file tpm2-tools 5.x writes with `tpm2_quote -o` (and reads with
// `tpm2_checkquote -f`), its "serialized" format: the x86-64 memory image of a
// TPML_PCR_SELECTION, a u32 count and that many TPML_DIGEST lists, integers
// little-endian. tests/data/tpm/README.md gives the layout byte by byte.

#include "core/bytes.h"
#include "core/result.h"
#include "policy/pcr_values.h"

namespace vtpmd::policy {

// Each list holds between 1 and 8 values (one TPM2_PCR_Read answer each), in the
// order the TPM concatenates the selected PCRs, each the size of its bank's digest;
// together they hold exactly one value per selected PCR. The selection must name
// known banks, each once, and no PCR above 23. Unused slots, padding and the bytes
// after a digest must be zero, so a file written for another layout is refused
// rather than misread; so are truncated files and trailing bytes.
Result<PcrValues> ParseTpm2ToolsPcrs(ByteView file);

}  // namespace vtpmd::policy
