#include "vtpm/tpm_handles.h"

#include <cstdio>

#include "vtpm/esys_context.h"

namespace vtpmd::vtpm {

Result<bool> HandleExists(ESYS_CONTEXT* esys, TPM2_HANDLE handle) {
  TPMS_CAPABILITY_DATA* raw = nullptr;
  TPMI_YES_NO more = TPM2_NO;
  VTPMD_RETURN_IF_ERROR(CheckTss(
      Esys_GetCapability(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_HANDLES, handle, 1, &more, &raw),
      "TPM2_GetCapability(HANDLES)"));
  EsysOwned<TPMS_CAPABILITY_DATA> data(raw);
  // The TPM lists handles from `handle` upwards; the first one tells.
  return data->data.handles.count > 0 && data->data.handles.handle[0] == handle;
}

std::string HandleHex(TPM2_HANDLE handle) {
  char text[16];
  std::snprintf(text, sizeof(text), "0x%08x", handle);
  return text;
}

}  // namespace vtpmd::vtpm
