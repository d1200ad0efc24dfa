#pragma once
// Non-blocking AF_UNIX primitives for the relay's event loop. Every call uses
// MSG_DONTWAIT instead of O_NONBLOCK where it can, because a descriptor passed
// in by a guest shares its file status flags with the sender.

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>

#include "core/bytes.h"
#include "core/result.h"
#include "core/unique_fd.h"

namespace vtpmd::vtpm {

struct IoOutcome {
  enum class Kind { kTransferred, kWouldBlock, kEndOfStream, kFailed };
  Kind kind;
  std::size_t bytes = 0;
};

IoOutcome ReceiveSome(int fd, std::span<std::uint8_t> into);
// As ReceiveSome, and keeps the first descriptor that arrives with the bytes
// (SCM_RIGHTS) in *passed_fd; any further descriptors are closed at once.
IoOutcome ReceiveSomeWithFd(int fd, std::span<std::uint8_t> into, UniqueFd* passed_fd);
IoOutcome SendSome(int fd, ByteView data);

// A connection attempt that never blocks: AF_UNIX connect() completes at once or fails.
Result<UniqueFd> ConnectUnix(const std::filesystem::path& path);
// An invalid UniqueFd when nothing is pending (or the peer left before accept).
UniqueFd AcceptConnection(int listen_fd);

std::optional<uid_t> PeerUid(int fd);
// True when the peer has closed its end, whether or not its last bytes were read.
bool PeerHasClosed(int fd);
// Descriptors passed by a guest must be AF_UNIX stream sockets, the only kind
// QEMU hands over, before the relay reads TPM commands from them.
Status CheckUnixStreamSocket(int fd);

}  // namespace vtpmd::vtpm
