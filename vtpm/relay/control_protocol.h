#pragma once
// The swtpm control channel (swtpm's include/swtpm/tpm_ioctl.h, `man swtpm-ioctls`)
// as far as the relay speaks it. A request is a big-endian u32 command code and a
// command-specific body; a response starts with a u32 result (TPM 1.2 numbering)
// except for CMD_GET_CAPABILITY, which is a bare u64 bit set. Message lengths are
// implied by the command, so a command the relay does not know cannot be framed:
// it is refused and the connection closed rather than guessed at.
//
// What a guest (QEMU, tpm2-tss) may do through the relay:
//   forwarded   GET_CAPABILITY (bits filtered), INIT, GET_TPMESTABLISHED,
//               SET_LOCALITY and RESET_TPMESTABLISHED (localities 0..3),
//               STOP, GET_CONFIG, SET_BUFFERSIZE (clamped to the relay's limit)
//   answered    SET_DATAFD (the relay adopts the descriptor as the data channel),
//               SHUTDOWN (success, but the swtpm process stays: vtpmd owns its
//               life), CANCEL_TPM_CMD (TPM_FAIL: the command running may be vtpmd's)
//   refused     HASH_START/END, STORE_VOLATILE, GET_STATEBLOB, GET_INFO
//               (TPM_BAD_ORDINAL; state leaves the TPM only through vtpmd's migration)
//   refused and closed   HASH_DATA, SET_STATEBLOB, unknown codes

#include <cstddef>
#include <cstdint>
#include <optional>

#include "core/bytes.h"
#include "core/result.h"

namespace vtpmd::vtpm {

namespace swtpm_ctrl {
inline constexpr std::uint32_t kGetCapability = 0x01;
inline constexpr std::uint32_t kInit = 0x02;
inline constexpr std::uint32_t kShutdown = 0x03;
inline constexpr std::uint32_t kGetTpmEstablished = 0x04;
inline constexpr std::uint32_t kSetLocality = 0x05;
inline constexpr std::uint32_t kHashStart = 0x06;
inline constexpr std::uint32_t kHashData = 0x07;
inline constexpr std::uint32_t kHashEnd = 0x08;
inline constexpr std::uint32_t kCancelTpmCmd = 0x09;
inline constexpr std::uint32_t kStoreVolatile = 0x0a;
inline constexpr std::uint32_t kResetTpmEstablished = 0x0b;
inline constexpr std::uint32_t kGetStateBlob = 0x0c;
inline constexpr std::uint32_t kSetStateBlob = 0x0d;
inline constexpr std::uint32_t kStop = 0x0e;
inline constexpr std::uint32_t kGetConfig = 0x0f;
inline constexpr std::uint32_t kSetDataFd = 0x10;
inline constexpr std::uint32_t kSetBufferSize = 0x11;
inline constexpr std::uint32_t kGetInfo = 0x12;

// Result codes.
inline constexpr std::uint32_t kSuccess = 0x00;
inline constexpr std::uint32_t kBadParameter = 0x03;
inline constexpr std::uint32_t kFail = 0x09;
inline constexpr std::uint32_t kBadOrdinal = 0x0a;
inline constexpr std::uint32_t kIoError = 0x1f;
inline constexpr std::uint32_t kBadLocality = 0x3d;

// PTM_CAP_* bits of the CMD_GET_CAPABILITY answer.
inline constexpr std::uint64_t kCapInit = 1 << 0;
inline constexpr std::uint64_t kCapShutdown = 1 << 1;
inline constexpr std::uint64_t kCapGetTpmEstablished = 1 << 2;
inline constexpr std::uint64_t kCapSetLocality = 1 << 3;
inline constexpr std::uint64_t kCapResetTpmEstablished = 1 << 7;
inline constexpr std::uint64_t kCapStop = 1 << 10;
inline constexpr std::uint64_t kCapGetConfig = 1 << 11;
inline constexpr std::uint64_t kCapSetDataFd = 1 << 12;
inline constexpr std::uint64_t kCapSetBufferSize = 1 << 13;
}  // namespace swtpm_ctrl

inline constexpr std::size_t kControlCodeSize = 4;
// The largest request body the relay frames (CMD_GET_INFO).
inline constexpr std::size_t kMaxControlBodySize = 16;

enum class ControlHandling {
  kForward,    // to swtpm's control socket; its answer goes back
  kSetDataFd,  // the relay adopts the passed descriptor
  kAnswer,     // the relay answers `answer_result` itself
};

struct ControlCommand {
  std::uint32_t code;
  std::size_t body_min;  // request bytes after the code; QEMU pads some bodies
  std::size_t body_max;  // to the size of the request/response union
  ControlHandling handling;
  std::uint32_t answer_result;  // kAnswer only
  // Forwarded only: the length of a successful answer. A failed one is the bare
  // 4-byte result.
  std::size_t response_size;
};

// nullptr for a command the relay refuses to frame.
const ControlCommand* FindControlCommand(std::uint32_t code);

// For a complete request that is not SET_DATAFD: the result the relay answers with
// itself (an answered command, or a locality a guest may not use), or nullopt to
// forward it.
std::optional<std::uint32_t> LocalAnswer(const ControlCommand& command, ByteView body);

Bytes ControlResult(std::uint32_t result);

// What the relay sends to swtpm for a forwarded request.
Bytes BackendControlRequest(const ControlCommand& command, ByteView body, std::size_t max_command_size);

// True once `received` (read greedily from swtpm, which writes each answer at once)
// holds a whole answer.
bool ControlResponseComplete(const ControlCommand& command, ByteView received);

// What the guest gets for swtpm's answer: capability bits filtered to what the
// relay passes, buffer sizes clamped to what it accepts.
Result<Bytes> GuestControlResponse(const ControlCommand& command, ByteView backend_response,
                                   std::size_t max_command_size);

}  // namespace vtpmd::vtpm
