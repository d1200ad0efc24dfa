#pragma once
// TPM 2.0 command/response framing on a byte stream: every message starts with
// tag (u16), size (u32, the whole message) and a command or response code (u32).

#include <cstddef>
#include <cstdint>

#include "core/bytes.h"
#include "core/result.h"

namespace vtpmd::vtpm {

inline constexpr std::size_t kTpmHeaderSize = 10;
// A sanity bound on messages vtpmd itself exchanges with swtpm (its own commands,
// swtpm's responses): swtpm's buffer is 4 KiB, so this is never reached by a TPM
// that works.
inline constexpr std::size_t kMaxTpmMessageSize = 64 * 1024;

inline constexpr std::uint16_t kTpmStNoSessions = 0x8001;
inline constexpr std::uint16_t kTpmStSessions = 0x8002;

inline constexpr std::uint32_t kTpmRcBadTag = 0x01E;
inline constexpr std::uint32_t kTpmRcFailure = 0x101;
inline constexpr std::uint32_t kTpmRcCommandSize = 0x142;

struct TpmHeader {
  std::uint16_t tag;
  std::uint32_t size;
  std::uint32_t code;
};

// Reads the first kTpmHeaderSize bytes; the caller judges the values.
Result<TpmHeader> ParseTpmHeader(ByteView bytes);

bool IsTpm2CommandTag(std::uint16_t tag);

// A 10-byte error response. A TPM 2.0 answers a TPM 1.2 request with a TPM 1.2
// response tag, and QEMU probes the TPM version by exactly that difference, so
// the tag follows the request's family.
Bytes TpmErrorResponse(std::uint16_t request_tag, std::uint32_t rc);

// A complete command in one buffer, as vtpmd's own callers hand it in.
Status CheckWholeCommand(ByteView command, std::size_t max_size);

}  // namespace vtpmd::vtpm
