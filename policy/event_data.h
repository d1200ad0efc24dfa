#pragma once
// What an event's data says, where the Platform Firmware Profile gives it a
// structure or it is text. Decoding is for showing and for policies on event
// contents; the replay uses the logged digests and never the data.

#include <cstdint>
#include <string>
#include <variant>

#include "core/bytes.h"
#include "core/result.h"
#include "policy/no_action_event.h"
#include "policy/uefi_variable_data.h"

namespace vtpmd::policy {

// EV_IPL, EV_POST_CODE, EV_ACTION, EV_EFI_ACTION, EV_S_CRTM_VERSION, ... when the data
// is printable ASCII, or printable UTF-16LE that is NUL-terminated or ASCII only.
// Trailing NULs, and the odd NUL byte some boot loaders append to UTF-16, are dropped.
struct EventText {
  std::string text;
};

// EV_SEPARATOR: 0 normally; another value (1, or 0xffffffff from older firmware)
// marks an error.
struct SeparatorValue {
  std::uint32_t value = 0;
};

// UEFI_PLATFORM_FIRMWARE_BLOB: where the measured firmware volume was in memory.
struct FirmwareBlob {
  std::uint64_t base = 0;
  std::uint64_t length = 0;
};

// EV_EVENT_TAG: TCG_PCClientTaggedEvent {u32 taggedEventID, u32 taggedEventDataSize, data}.
struct TaggedEvent {
  std::uint32_t id = 0;
  Bytes data;
};

using DecodedEventData =
    std::variant<std::monostate, EventText, SeparatorValue, FirmwareBlob, TaggedEvent, UefiVariableData, NoActionEvent>;

// std::monostate for types without a structure and for "text" events whose data is
// not text; an error when the type prescribes a structure that the data does not follow.
Result<DecodedEventData> DecodeEventData(std::uint32_t event_type, ByteView data);

}  // namespace vtpmd::policy
