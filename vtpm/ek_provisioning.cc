#include "vtpm/ek_provisioning.h"

#include <algorithm>
#include <string>

#include "core/tpm_name.h"
#include "vtpm/esys_context.h"
#include "vtpm/nv_index.h"
#include "vtpm/persistent_key.h"
#include "vtpm/tpm_properties.h"

namespace vtpmd::vtpm {
namespace {

Status CheckRequest(const std::vector<EkAlgorithm>& algorithms, const EkCertifier& certifier) {
  if (algorithms.empty()) return InvalidArgument("no EK algorithm requested");
  for (auto it = algorithms.begin(); it != algorithms.end(); ++it) {
    if (std::find(it + 1, algorithms.end(), *it) != algorithms.end()) {
      return InvalidArgument("EK algorithm " + std::string(EkAlgorithmName(*it)) + " requested twice");
    }
  }
  if (!certifier) return InvalidArgument("no EK certifier");
  return Ok();
}

Result<std::uint32_t> NvBufferMax(ESYS_CONTEXT* esys) {
  VTPMD_ASSIGN_OR_RETURN(TpmProperties properties, ReadFixedProperties(esys));
  auto buffer_max = properties.find(TPM2_PT_NV_BUFFER_MAX);
  if (buffer_max == properties.end() || buffer_max->second == 0) {
    return Unavailable("TPM does not report TPM2_PT_NV_BUFFER_MAX");
  }
  return buffer_max->second;
}

Result<ProvisionedEk> ProvisionEk(ESYS_CONTEXT* esys, EkAlgorithm algorithm, const EkCertifier& certifier,
                                  std::uint32_t nv_buffer_max) {
  const std::string what = std::string(EkAlgorithmName(algorithm)) + " EK";
  ProvisionedEk ek;
  ek.algorithm = algorithm;
  ek.handle = EkHandle(algorithm);
  ek.nv_index = EkCertificateIndex(algorithm);
  VTPMD_ASSIGN_OR_RETURN(PersistentKey key,
                         EnsurePersistentPrimary(esys, ESYS_TR_RH_ENDORSEMENT, ek.handle, EkTemplate(algorithm), what));
  ScopedTr key_tr(esys, key.tr, ScopedTr::Release::kClose);
  ek.public_area = key.public_area;
  VTPMD_ASSIGN_OR_RETURN(ek.name, tpm::ObjectName(ek.public_area.publicArea));

  Result<Bytes> der = certifier(algorithm, ek.public_area);
  if (!der.ok()) return der.error().WithContext("certifying the " + what);
  if (der->empty()) return Internal("the EK certifier returned an empty certificate for the " + what);
  ek.certificate_der = std::move(der).value();
  VTPMD_RETURN_IF_ERROR(EnsureNvCertificate(esys, ek.nv_index, ek.certificate_der, nv_buffer_max));
  return ek;
}

Result<std::vector<ProvisionedEk>> ProvisionAll(ESYS_CONTEXT* esys, const std::vector<EkAlgorithm>& algorithms,
                                                const EkCertifier& certifier) {
  VTPMD_ASSIGN_OR_RETURN(std::uint32_t nv_buffer_max, NvBufferMax(esys));
  std::vector<ProvisionedEk> eks;
  for (EkAlgorithm algorithm : algorithms) {
    VTPMD_ASSIGN_OR_RETURN(ProvisionedEk ek, ProvisionEk(esys, algorithm, certifier, nv_buffer_max));
    eks.push_back(std::move(ek));
  }
  return eks;
}

// With the platform hierarchy enabled and its auth empty (as every
// TPM2_Startup(CLEAR) leaves it), whoever talks to the TPM could undefine the
// certificate indices or change the endorsement seed. Firmware closes that at
// every boot; this closes it until the next reset for a TPM no firmware started.
// It stays disabled across Shutdown/Startup(STATE) only until that Startup, which
// re-enables it: the TPM specification gives no way to keep it off.
Status CloseCycle(ESYS_CONTEXT* esys) {
  // ESYS takes the hierarchy to disable as an ESYS_TR and translates it.
  VTPMD_RETURN_IF_ERROR(CheckTss(Esys_HierarchyControl(esys, ESYS_TR_RH_PLATFORM, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                                       ESYS_TR_NONE, ESYS_TR_RH_PLATFORM, TPM2_NO),
                                 "TPM2_HierarchyControl(platform, disable)"));
  return CheckTss(Esys_Shutdown(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_SU_STATE), "TPM2_Shutdown(STATE)");
}

}  // namespace

Result<std::vector<ProvisionedEk>> ManufactureEks(ESYS_CONTEXT* esys, const std::vector<EkAlgorithm>& algorithms,
                                                  const EkCertifier& certifier) {
  VTPMD_RETURN_IF_ERROR(CheckRequest(algorithms, certifier));
  // No TPM_RC_INITIALIZE tolerance: the caller reset the TPM, so a TPM that is
  // already started was started by someone else, whose platform auth we do not know.
  VTPMD_RETURN_IF_ERROR(CheckTss(Esys_Startup(esys, TPM2_SU_CLEAR), "TPM2_Startup(CLEAR)"));
  Result<std::vector<ProvisionedEk>> eks = ProvisionAll(esys, algorithms, certifier);
  Status closed = CloseCycle(esys);
  // The provisioning error explains more than a failure to close the cycle after it.
  if (!eks.ok()) return eks;
  if (!closed.ok()) return std::move(closed).error();
  return eks;
}

}  // namespace vtpmd::vtpm
