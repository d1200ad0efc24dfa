#pragma once
// RAII owners for a tpm2-tss TCTI + ESYS context and for ESYS-allocated results,
// and the one checked-call helper that turns a TSS2_RC into an Error.

#include <tss2/tss2_esys.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "core/result.h"

namespace vtpmd::vtpm {

// Names the failing call and adds Tss2_RC_Decode's text. Transport failures (no
// TPM, broken socket) become Unavailable; anything the TPM itself refused keeps
// `code`.
Status CheckTss(TSS2_RC rc, std::string_view what, ErrorCode code = ErrorCode::kInternal);

// The response code with the parameter/handle/session index stripped, so callers
// can compare against TPM2_RC_* constants.
TSS2_RC BaseRc(TSS2_RC rc);

struct EsysFreeDeleter {
  void operator()(void* p) const { Esys_Free(p); }
};
// Owns the out-parameters ESYS allocates (TPM2B_PUBLIC*, TPMS_CAPABILITY_DATA*, ...).
template <typename T>
using EsysOwned = std::unique_ptr<T, EsysFreeDeleter>;

class EsysContext {
 public:
  // `tcti` is a tpm2-tss TCTI configuration such as "device:/dev/tpmrm0" or
  // "swtpm:path=/run/vtpmd/swtpm.sock".
  static Result<std::unique_ptr<EsysContext>> Connect(const std::string& tcti);

  EsysContext(const EsysContext&) = delete;
  EsysContext& operator=(const EsysContext&) = delete;
  ~EsysContext();

  ESYS_CONTEXT* get() const { return esys_; }

 private:
  EsysContext(TSS2_TCTI_CONTEXT* tcti, ESYS_CONTEXT* esys) : tcti_(tcti), esys_(esys) {}

  TSS2_TCTI_CONTEXT* tcti_;
  ESYS_CONTEXT* esys_;
};

// An ESYS_TR that must be released when it goes out of scope: a transient object
// is flushed from the TPM, any other handle only forgotten by ESYS.
class ScopedTr {
 public:
  enum class Release { kFlush, kClose };
  ScopedTr(ESYS_CONTEXT* esys, ESYS_TR tr, Release release) : esys_(esys), tr_(tr), release_(release) {}
  ScopedTr(const ScopedTr&) = delete;
  ScopedTr& operator=(const ScopedTr&) = delete;
  ~ScopedTr();

  // Hands the handle on to a longer-lived owner.
  ESYS_TR Keep() { return std::exchange(tr_, ESYS_TR_NONE); }

 private:
  ESYS_CONTEXT* esys_;
  ESYS_TR tr_;
  Release release_;
};

}  // namespace vtpmd::vtpm
