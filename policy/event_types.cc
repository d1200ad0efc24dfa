#include "policy/event_types.h"

#include <array>
#include <cstdio>
#include <string_view>
#include <utility>

namespace vtpmd::policy {
namespace {

constexpr std::array<std::pair<std::uint32_t, std::string_view>, 35> kNames = {{
    {kEvPrebootCert, "EV_PREBOOT_CERT"},
    {kEvPostCode, "EV_POST_CODE"},
    {kEvUnused, "EV_UNUSED"},
    {kEvNoAction, "EV_NO_ACTION"},
    {kEvSeparator, "EV_SEPARATOR"},
    {kEvAction, "EV_ACTION"},
    {kEvEventTag, "EV_EVENT_TAG"},
    {kEvSCrtmContents, "EV_S_CRTM_CONTENTS"},
    {kEvSCrtmVersion, "EV_S_CRTM_VERSION"},
    {kEvCpuMicrocode, "EV_CPU_MICROCODE"},
    {kEvPlatformConfigFlags, "EV_PLATFORM_CONFIG_FLAGS"},
    {kEvTableOfDevices, "EV_TABLE_OF_DEVICES"},
    {kEvCompactHash, "EV_COMPACT_HASH"},
    {kEvIpl, "EV_IPL"},
    {kEvIplPartitionData, "EV_IPL_PARTITION_DATA"},
    {kEvNonhostCode, "EV_NONHOST_CODE"},
    {kEvNonhostConfig, "EV_NONHOST_CONFIG"},
    {kEvNonhostInfo, "EV_NONHOST_INFO"},
    {kEvOmitBootDeviceEvents, "EV_OMIT_BOOT_DEVICE_EVENTS"},
    {kEvEfiVariableDriverConfig, "EV_EFI_VARIABLE_DRIVER_CONFIG"},
    {kEvEfiVariableBoot, "EV_EFI_VARIABLE_BOOT"},
    {kEvEfiBootServicesApplication, "EV_EFI_BOOT_SERVICES_APPLICATION"},
    {kEvEfiBootServicesDriver, "EV_EFI_BOOT_SERVICES_DRIVER"},
    {kEvEfiRuntimeServicesDriver, "EV_EFI_RUNTIME_SERVICES_DRIVER"},
    {kEvEfiGptEvent, "EV_EFI_GPT_EVENT"},
    {kEvEfiAction, "EV_EFI_ACTION"},
    {kEvEfiPlatformFirmwareBlob, "EV_EFI_PLATFORM_FIRMWARE_BLOB"},
    {kEvEfiHandoffTables, "EV_EFI_HANDOFF_TABLES"},
    {kEvEfiPlatformFirmwareBlob2, "EV_EFI_PLATFORM_FIRMWARE_BLOB2"},
    {kEvEfiHandoffTables2, "EV_EFI_HANDOFF_TABLES2"},
    {kEvEfiVariableBoot2, "EV_EFI_VARIABLE_BOOT2"},
    {kEvEfiHcrtmEvent, "EV_EFI_HCRTM_EVENT"},
    {kEvEfiVariableAuthority, "EV_EFI_VARIABLE_AUTHORITY"},
    {kEvEfiSpdmFirmwareBlob, "EV_EFI_SPDM_FIRMWARE_BLOB"},
    {kEvEfiSpdmFirmwareConfig, "EV_EFI_SPDM_FIRMWARE_CONFIG"},
}};

}  // namespace

std::string EventTypeName(std::uint32_t type) {
  for (const auto& [value, name] : kNames) {
    if (value == type) return std::string(name);
  }
  char hex[16];
  std::snprintf(hex, sizeof(hex), "0x%08x", static_cast<unsigned>(type));
  return hex;
}

std::optional<std::uint32_t> EventTypeFromName(std::string_view name) {
  for (const auto& [value, known] : kNames) {
    if (known == name) return value;
  }
  return std::nullopt;
}

}  // namespace vtpmd::policy
