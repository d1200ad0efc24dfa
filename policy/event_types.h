#pragma once
// Event types of the TCG PC Client Platform Firmware Profile ("Event Types" table,
// spec version 1.05/1.06): the value that tells how an event's data is to be read.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vtpmd::policy {

inline constexpr std::uint32_t kEvPrebootCert = 0x00000000;
inline constexpr std::uint32_t kEvPostCode = 0x00000001;
inline constexpr std::uint32_t kEvUnused = 0x00000002;
inline constexpr std::uint32_t kEvNoAction = 0x00000003;
inline constexpr std::uint32_t kEvSeparator = 0x00000004;
inline constexpr std::uint32_t kEvAction = 0x00000005;
inline constexpr std::uint32_t kEvEventTag = 0x00000006;
inline constexpr std::uint32_t kEvSCrtmContents = 0x00000007;
inline constexpr std::uint32_t kEvSCrtmVersion = 0x00000008;
inline constexpr std::uint32_t kEvCpuMicrocode = 0x00000009;
inline constexpr std::uint32_t kEvPlatformConfigFlags = 0x0000000a;
inline constexpr std::uint32_t kEvTableOfDevices = 0x0000000b;
inline constexpr std::uint32_t kEvCompactHash = 0x0000000c;
inline constexpr std::uint32_t kEvIpl = 0x0000000d;
inline constexpr std::uint32_t kEvIplPartitionData = 0x0000000e;
inline constexpr std::uint32_t kEvNonhostCode = 0x0000000f;
inline constexpr std::uint32_t kEvNonhostConfig = 0x00000010;
inline constexpr std::uint32_t kEvNonhostInfo = 0x00000011;
inline constexpr std::uint32_t kEvOmitBootDeviceEvents = 0x00000012;
inline constexpr std::uint32_t kEvEfiVariableDriverConfig = 0x80000001;
inline constexpr std::uint32_t kEvEfiVariableBoot = 0x80000002;
inline constexpr std::uint32_t kEvEfiBootServicesApplication = 0x80000003;
inline constexpr std::uint32_t kEvEfiBootServicesDriver = 0x80000004;
inline constexpr std::uint32_t kEvEfiRuntimeServicesDriver = 0x80000005;
inline constexpr std::uint32_t kEvEfiGptEvent = 0x80000006;
inline constexpr std::uint32_t kEvEfiAction = 0x80000007;
inline constexpr std::uint32_t kEvEfiPlatformFirmwareBlob = 0x80000008;
inline constexpr std::uint32_t kEvEfiHandoffTables = 0x80000009;
inline constexpr std::uint32_t kEvEfiPlatformFirmwareBlob2 = 0x8000000a;
inline constexpr std::uint32_t kEvEfiHandoffTables2 = 0x8000000b;
inline constexpr std::uint32_t kEvEfiVariableBoot2 = 0x8000000c;
inline constexpr std::uint32_t kEvEfiHcrtmEvent = 0x80000010;
inline constexpr std::uint32_t kEvEfiVariableAuthority = 0x800000e0;
inline constexpr std::uint32_t kEvEfiSpdmFirmwareBlob = 0x800000e1;
inline constexpr std::uint32_t kEvEfiSpdmFirmwareConfig = 0x800000e2;

// "EV_EFI_VARIABLE_DRIVER_CONFIG"; a type outside the table as "0x0000abcd".
std::string EventTypeName(std::uint32_t type);
// The inverse for the table's names only: "EV_IPL" -> kEvIpl.
std::optional<std::uint32_t> EventTypeFromName(std::string_view name);

}  // namespace vtpmd::policy
