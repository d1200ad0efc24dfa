#include "vtpm/persistent_key.h"

#include "vtpm/esys_context.h"
#include "vtpm/tpm_handles.h"
#include "vtpm/tpm_templates.h"

namespace vtpmd::vtpm {
namespace {

Result<PersistentKey> LoadExisting(ESYS_CONTEXT* esys, TPM2_HANDLE handle, const TPM2B_PUBLIC& tmpl,
                                   std::string_view purpose) {
  PersistentKey key;
  VTPMD_RETURN_IF_ERROR(CheckTss(Esys_TR_FromTPMPublic(esys, handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &key.tr),
                                 "loading " + std::string(purpose) + " at " + HandleHex(handle)));
  ScopedTr guard(esys, key.tr, ScopedTr::Release::kClose);
  TPM2B_PUBLIC* raw = nullptr;
  VTPMD_RETURN_IF_ERROR(
      CheckTss(Esys_ReadPublic(esys, key.tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &raw, nullptr, nullptr),
               "TPM2_ReadPublic(" + HandleHex(handle) + ")"));
  EsysOwned<TPM2B_PUBLIC> pub(raw);
  VTPMD_ASSIGN_OR_RETURN(bool matches, MatchesTemplate(*pub, tmpl));
  if (!matches) {
    return FailedPrecondition("persistent handle " + HandleHex(handle) + " holds a key that is not the expected " +
                              std::string(purpose) + "; refusing to replace it");
  }
  key.public_area = *pub;
  guard.Keep();
  return key;
}

Result<PersistentKey> CreateAndPersist(ESYS_CONTEXT* esys, ESYS_TR hierarchy, TPM2_HANDLE handle,
                                       const TPM2B_PUBLIC& tmpl, std::string_view purpose) {
  TPM2B_SENSITIVE_CREATE sensitive{};
  TPM2B_DATA outside_info{};
  TPML_PCR_SELECTION creation_pcrs{};
  ESYS_TR transient = ESYS_TR_NONE;
  TPM2B_PUBLIC* raw = nullptr;
  VTPMD_RETURN_IF_ERROR(
      CheckTss(Esys_CreatePrimary(esys, hierarchy, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &tmpl,
                                  &outside_info, &creation_pcrs, &transient, &raw, nullptr, nullptr, nullptr),
               "TPM2_CreatePrimary(" + std::string(purpose) + ")"));
  ScopedTr transient_guard(esys, transient, ScopedTr::Release::kFlush);
  EsysOwned<TPM2B_PUBLIC> pub(raw);
  PersistentKey key;
  VTPMD_RETURN_IF_ERROR(CheckTss(Esys_EvictControl(esys, ESYS_TR_RH_OWNER, transient, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                                   ESYS_TR_NONE, handle, &key.tr),
                                 "TPM2_EvictControl(" + std::string(purpose) + " -> " + HandleHex(handle) + ")"));
  key.public_area = *pub;
  return key;
}

}  // namespace

Result<PersistentKey> EnsurePersistentPrimary(ESYS_CONTEXT* esys, ESYS_TR hierarchy, TPM2_HANDLE handle,
                                              const TPM2B_PUBLIC& tmpl, std::string_view purpose) {
  VTPMD_ASSIGN_OR_RETURN(bool exists, HandleExists(esys, handle));
  if (exists) return LoadExisting(esys, handle, tmpl, purpose);
  return CreateAndPersist(esys, hierarchy, handle, tmpl, purpose);
}

}  // namespace vtpmd::vtpm
