#include "vtpm/tpm_properties.h"

#include "vtpm/esys_context.h"

namespace vtpmd::vtpm {
namespace {

// TPM property strings are packed big-endian into 32-bit values, NUL padded.
std::string PropertyText(std::uint32_t value) {
  std::string text;
  for (int shift = 24; shift >= 0; shift -= 8) {
    const char c = static_cast<char>((value >> shift) & 0xffU);
    if (c != '\0') text.push_back(c);
  }
  return text;
}

Result<std::uint32_t> Required(const TpmProperties& properties, TPM2_PT pt, std::string_view name) {
  auto it = properties.find(pt);
  if (it == properties.end()) {
    return Unavailable("TPM does not report property " + std::string(name));
  }
  return it->second;
}

}  // namespace

Result<TpmProperties> ReadFixedProperties(ESYS_CONTEXT* esys) {
  TpmProperties properties;
  TPM2_PT next = TPM2_PT_FIXED;
  TPMI_YES_NO more = TPM2_YES;
  while (more == TPM2_YES && next < TPM2_PT_VAR) {
    TPMS_CAPABILITY_DATA* raw = nullptr;
    VTPMD_RETURN_IF_ERROR(
        CheckTss(Esys_GetCapability(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_TPM_PROPERTIES, next,
                                    TPM2_MAX_TPM_PROPERTIES, &more, &raw),
                 "TPM2_GetCapability(TPM_PROPERTIES)"));
    EsysOwned<TPMS_CAPABILITY_DATA> data(raw);
    const TPML_TAGGED_TPM_PROPERTY& list = data->data.tpmProperties;
    if (list.count == 0) break;
    for (std::uint32_t i = 0; i < list.count && i < TPM2_MAX_TPM_PROPERTIES; ++i) {
      properties[list.tpmProperty[i].property] = list.tpmProperty[i].value;
    }
    next = list.tpmProperty[list.count - 1].property + 1;
  }
  return properties;
}

Result<PlatformIdentity> IdentityFromProperties(const TpmProperties& properties, bool simulated) {
  PlatformIdentity id;
  id.simulated = simulated;
  VTPMD_ASSIGN_OR_RETURN(id.manufacturer_id, Required(properties, TPM2_PT_MANUFACTURER, "MANUFACTURER"));
  id.manufacturer = PropertyText(id.manufacturer_id);
  for (TPM2_PT pt = TPM2_PT_VENDOR_STRING_1; pt <= TPM2_PT_VENDOR_STRING_4; ++pt) {
    auto it = properties.find(pt);
    if (it != properties.end()) id.vendor += PropertyText(it->second);
  }
  VTPMD_ASSIGN_OR_RETURN(std::uint32_t fw1, Required(properties, TPM2_PT_FIRMWARE_VERSION_1, "FIRMWARE_VERSION_1"));
  VTPMD_ASSIGN_OR_RETURN(std::uint32_t fw2, Required(properties, TPM2_PT_FIRMWARE_VERSION_2, "FIRMWARE_VERSION_2"));
  id.firmware_version = (std::uint64_t{fw1} << 32) | fw2;
  VTPMD_ASSIGN_OR_RETURN(std::uint32_t family, Required(properties, TPM2_PT_FAMILY_INDICATOR, "FAMILY_INDICATOR"));
  id.spec_family = PropertyText(family);
  VTPMD_ASSIGN_OR_RETURN(id.spec_level, Required(properties, TPM2_PT_LEVEL, "LEVEL"));
  VTPMD_ASSIGN_OR_RETURN(id.spec_revision, Required(properties, TPM2_PT_REVISION, "REVISION"));
  return id;
}

}  // namespace vtpmd::vtpm
