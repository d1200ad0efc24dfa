#include "vtpm/esys_context.h"

#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include <cstdio>

namespace vtpmd::vtpm {
namespace {

bool IsTransportFailure(TSS2_RC rc) {
  const TSS2_RC layer = rc & TSS2_RC_LAYER_MASK;
  if (layer == TSS2_TCTI_RC_LAYER) return true;
  const TSS2_RC base = rc & ~TSS2_RC_LAYER_MASK;
  return (layer == TSS2_ESAPI_RC_LAYER || layer == TSS2_SYS_RC_LAYER) &&
         (base == TSS2_BASE_RC_IO_ERROR || base == TSS2_BASE_RC_NO_CONNECTION || base == TSS2_BASE_RC_TRY_AGAIN);
}

std::string RcText(TSS2_RC rc) {
  char hex[16];
  std::snprintf(hex, sizeof(hex), "0x%x", rc);
  return std::string(Tss2_RC_Decode(rc)) + " (" + hex + ")";
}

}  // namespace

Status CheckTss(TSS2_RC rc, std::string_view what, ErrorCode code) {
  if (rc == TSS2_RC_SUCCESS) return Ok();
  if (IsTransportFailure(rc)) code = ErrorCode::kUnavailable;
  return Error(code, std::string(what) + ": " + RcText(rc));
}

TSS2_RC BaseRc(TSS2_RC rc) {
  // Format-one codes carry a parameter/handle/session number in bits 8..11.
  if ((rc & TPM2_RC_FMT1) != 0) return rc & (TPM2_RC_FMT1 | 0x3fU);
  return rc;
}

Result<std::unique_ptr<EsysContext>> EsysContext::Connect(const std::string& tcti) {
  TSS2_TCTI_CONTEXT* tcti_ctx = nullptr;
  TSS2_RC rc = Tss2_TctiLdr_Initialize(tcti.c_str(), &tcti_ctx);
  if (rc != TSS2_RC_SUCCESS) {
    return Unavailable("cannot reach TPM through TCTI '" + tcti + "': " + RcText(rc));
  }
  ESYS_CONTEXT* esys = nullptr;
  rc = Esys_Initialize(&esys, tcti_ctx, nullptr);
  if (rc != TSS2_RC_SUCCESS) {
    Tss2_TctiLdr_Finalize(&tcti_ctx);
    return Unavailable("cannot initialize ESYS over TCTI '" + tcti + "': " + RcText(rc));
  }
  return std::unique_ptr<EsysContext>(new EsysContext(tcti_ctx, esys));
}

EsysContext::~EsysContext() {
  Esys_Finalize(&esys_);
  Tss2_TctiLdr_Finalize(&tcti_);
}

ScopedTr::~ScopedTr() {
  if (tr_ == ESYS_TR_NONE) return;
  // Release failures cannot be reported from a destructor; the TPM reclaims
  // transient slots at the next reset at the latest.
  if (release_ == Release::kFlush) {
    Esys_FlushContext(esys_, tr_);
  } else {
    Esys_TR_Close(esys_, &tr_);
  }
}

}  // namespace vtpmd::vtpm
