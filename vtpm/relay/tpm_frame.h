#pragma once
// TPM 2.0 command/response framing on a byte stream: every message starts with
// tag (u16), size (u32, the whole message) and a command or response code (u32).

#include <cstddef>
#include <cstdint>
#include <span>

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

// A guest's byte stream cut into TPM commands, with the checks every command must
// pass before it may reach the TPM. The relay reads as much as one recv() brings,
// so that header and body of a command cost one system call, not two; that read
// may end mid-command or run into the next command of a guest that sends ahead
// of its answer. What is not consumed yet stays here, never more than
// max_command_size bytes, so a guest still cannot queue work or memory in vtpmd.
class TpmCommandStream {
 public:
  struct Next {
    enum class Kind { kNeedBytes, kCommand, kRefuse };
    Kind kind = Kind::kNeedBytes;
    // kNeedBytes: how many bytes may be read now (never 0).
    std::size_t room = 0;
    // kRefuse: answer TpmErrorResponse(tag, rc); with `then_close` the stream
    // cannot be resynchronised and the connection must end, otherwise
    // SkipCommand() drops the refused command and the stream goes on.
    std::uint16_t tag = 0;
    std::uint32_t rc = 0;
    bool then_close = false;
  };

  // A typical command arrives whole with one read of this size.
  static constexpr std::size_t kReadAhead = 4096;

  explicit TpmCommandStream(std::size_t max_command_size) : max_command_size_(max_command_size) {}

  // What the bytes received so far amount to.
  Next Examine() const;
  // Where the next `room` bytes go (room as Examine() allowed); Received() then
  // says how many arrived.
  std::span<std::uint8_t> Space(std::size_t room);
  void Received(std::size_t count);
  // After kCommand: the command, well-formed and within the limit.
  Bytes TakeCommand();
  // After a kRefuse without then_close.
  void SkipCommand();
  // Nothing received that is not consumed yet.
  bool empty() const { return filled_ == 0; }

 private:
  std::size_t FrontSize() const;  // the size field of the command in front
  void Consume(std::size_t count);

  const std::size_t max_command_size_;
  Bytes buffer_;  // filled_ bytes received, then space for the read in progress
  std::size_t filled_ = 0;
};

}  // namespace vtpmd::vtpm
