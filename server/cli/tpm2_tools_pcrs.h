#pragma once
// Writes PCR values in the "serialized" file format of tpm2-tools 5.x, the format
// `tpm2_quote -o` writes and `tpm2_checkquote -f` reads. tests/data/tpm/README.md
// documents the layout byte by byte.

#include <tss2/tss2_tpm2_types.h>

#include <vector>

#include "core/bytes.h"
#include "core/result.h"

namespace vtpmd::cli {

// `values_in_tpm_order` holds one digest per selected PCR, in tpm::PcrSlotsInTpmOrder
// order, each the size of its bank's digest.
Result<Bytes> Tpm2ToolsSerializedPcrs(const TPML_PCR_SELECTION& selection,
                                      const std::vector<Bytes>& values_in_tpm_order);

}  // namespace vtpmd::cli
