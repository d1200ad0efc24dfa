#pragma once
// One guest's TPM data channel: a connection to tpm.sock, or the socket QEMU
// passed with CMD_SET_DATAFD. It frames the guest's byte stream into TPM
// commands, answers malformed ones itself, and hands on one command at a time:
// the next one, even when it has arrived already, waits until the previous one's
// response has been written, and reading stops while a command is out, so a
// guest cannot queue work or memory in vtpmd.

#include <cstdint>
#include <memory>

#include "core/bytes.h"
#include "core/result.h"
#include "vtpm/relay/outbox.h"
#include "vtpm/relay/relay_hub.h"
#include "vtpm/relay/tpm_frame.h"
#include "core/unique_fd.h"

namespace vtpmd::vtpm {

class GuestDataConnection {
 public:
  enum class Progress { kWaiting, kCommand, kClosed };

  // `malformed` counts commands refused for their framing (owned by the caller).
  static Result<std::unique_ptr<GuestDataConnection>> Attach(RelayHub& hub, UniqueFd fd, std::size_t max_command_size,
                                                             std::uint64_t* malformed, RelayHub::Handler handler);

  GuestDataConnection(const GuestDataConnection&) = delete;
  GuestDataConnection& operator=(const GuestDataConnection&) = delete;

  Progress OnEvents(std::uint32_t events);
  // After kCommand: the complete, well-formed command.
  Bytes TakeCommand();
  // The response to the command taken; reading resumes once it is written. That
  // may at once yield the next command (kCommand), if the guest sent it ahead.
  Progress Reply(ByteView response);
  bool PeerClosed() const;

 private:
  GuestDataConnection(UniqueFd fd, std::size_t max_command_size, std::uint64_t* malformed)
      : fd_(std::move(fd)), in_(max_command_size), malformed_(malformed) {}

  // Frames what has arrived, reading more as needed, until a command is
  // complete, the socket has nothing more, or the connection ends.
  Progress Read();
  // Sends what the outbox holds; once all is sent, goes on with what the guest
  // sent ahead.
  Progress Write();

  UniqueFd fd_;
  Watch watch_;  // after fd_: unregistered before the fd closes
  TpmCommandStream in_;
  std::uint64_t* const malformed_;

  bool awaiting_reply_ = false;  // a command was taken and is not answered yet
  Outbox outbox_;
};

}  // namespace vtpmd::vtpm
