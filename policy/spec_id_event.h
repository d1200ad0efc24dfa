#pragma once
// The Spec ID event that opens a crypto-agile event log: a SHA-1 format event of
// type EV_NO_ACTION whose data is TCG_EfiSpecIDEventStruct (little-endian):
//   signature "Spec ID Event03\0" (16) || u32 platformClass || u8 specVersionMinor ||
//   u8 specVersionMajor || u8 specErrata || u8 uintnSize || u32 numberOfAlgorithms ||
//   {u16 algorithmId, u16 digestSize}[numberOfAlgorithms] || u8 vendorInfoSize || vendorInfo
// Its algorithm table says which digests every later event carries, and their sizes.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"

namespace vtpmd::policy {

// A TPML_DIGEST_VALUES holds at most one digest per PCR bank; TPMs have a handful.
inline constexpr std::size_t kMaxLogAlgorithms = 16;

struct SpecIdAlgorithm {
  std::uint16_t algorithm_id = 0;
  std::uint16_t digest_size = 0;
};

struct SpecIdEvent {
  std::uint32_t platform_class = 0;
  std::uint8_t spec_version_minor = 0;
  std::uint8_t spec_version_major = 0;
  std::uint8_t spec_errata = 0;
  std::uint8_t uintn_size = 0;  // 1: UINTN fields of UEFI structures are 32-bit, 2: 64-bit
  std::vector<SpecIdAlgorithm> algorithms;
  Bytes vendor_info;
};

bool HasSpecIdEvent03Signature(ByteView event_data);

// Strict: at least one and at most kMaxLogAlgorithms algorithms, none twice, each
// digest size within TPMU_HA and equal to the registry's for algorithms we know, a
// uintnSize of 1 or 2, and no bytes after the vendor info.
Result<SpecIdEvent> ParseSpecIdEvent(ByteView event_data);

}  // namespace vtpmd::policy
