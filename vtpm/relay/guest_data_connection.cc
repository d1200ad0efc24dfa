#include "vtpm/relay/guest_data_connection.h"

#include <algorithm>

#include "vtpm/relay/socket_io.h"
#include "vtpm/relay/tpm_frame.h"

namespace vtpmd::vtpm {

Result<std::unique_ptr<GuestDataConnection>> GuestDataConnection::Attach(RelayHub& hub, UniqueFd fd,
                                                                         std::size_t max_command_size,
                                                                         std::uint64_t* malformed,
                                                                         RelayHub::Handler handler) {
  const int raw = fd.get();
  std::unique_ptr<GuestDataConnection> connection(new GuestDataConnection(std::move(fd), max_command_size, malformed));
  VTPMD_ASSIGN_OR_RETURN(connection->watch_, hub.Add(raw, EPOLLIN, std::move(handler)));
  return connection;
}

GuestDataConnection::Progress GuestDataConnection::OnEvents(std::uint32_t events) {
  if ((events & EPOLLOUT) != 0 && !outbox_.empty()) {
    const Progress progress = Write();
    if (progress != Progress::kWaiting) return progress;
  }
  if ((events & EPOLLIN) != 0 && awaiting_reply_) {
    // The guest sends ahead of its answer: stop listening until it is written.
    // (Listening stays on otherwise, which saves two epoll_ctl per command.)
    watch_.SetEvents(0);
  } else if ((events & EPOLLIN) != 0 && outbox_.empty()) {
    const Progress progress = Read();
    if (progress != Progress::kWaiting) return progress;
  }
  // A guest that hung up has nobody left to answer: whatever it sent last is dropped.
  if ((events & (EPOLLERR | EPOLLHUP)) != 0) return Progress::kClosed;
  return Progress::kWaiting;
}

GuestDataConnection::Progress GuestDataConnection::Read() {
  while (true) {
    std::size_t wanted = kTpmHeaderSize - std::min(in_.size(), kTpmHeaderSize);
    std::uint16_t tag = 0;
    if (wanted == 0) {
      auto header = ParseTpmHeader(in_);
      if (!header.ok()) return Progress::kClosed;  // cannot happen: 10 bytes are there
      tag = header->tag;
      // Beyond the limit or below the header the stream cannot be resynchronised:
      // answer like a TPM would, then hang up.
      if (header->size < kTpmHeaderSize || header->size > max_command_size_) {
        return Refuse(tag, kTpmRcCommandSize, /*then_close=*/true);
      }
      wanted = header->size - in_.size();
    }
    if (wanted == 0) {
      if (!IsTpm2CommandTag(tag)) return Refuse(tag, kTpmRcBadTag, /*then_close=*/false);
      awaiting_reply_ = true;  // one command at a time
      return Progress::kCommand;
    }
    const std::size_t have = in_.size();
    in_.resize(have + wanted);
    const IoOutcome got = ReceiveSome(fd_.get(), std::span(in_).subspan(have));
    in_.resize(have + (got.kind == IoOutcome::Kind::kTransferred ? got.bytes : 0));
    // End of stream mid-command is a truncated command: nothing to forward.
    if (got.kind == IoOutcome::Kind::kEndOfStream || got.kind == IoOutcome::Kind::kFailed) return Progress::kClosed;
    if (got.kind == IoOutcome::Kind::kWouldBlock) return Progress::kWaiting;
  }
}

Bytes GuestDataConnection::TakeCommand() {
  Bytes command = std::move(in_);
  in_ = Bytes();
  return command;
}

GuestDataConnection::Progress GuestDataConnection::Refuse(std::uint16_t tag, std::uint32_t rc, bool then_close) {
  ++*malformed_;
  in_ = Bytes();
  awaiting_reply_ = false;
  outbox_.Set(TpmErrorResponse(tag, rc), then_close);
  return Write();
}

GuestDataConnection::Progress GuestDataConnection::Reply(ByteView response) {
  awaiting_reply_ = false;
  outbox_.Set(response, /*close_after=*/false);
  return Write();
}

GuestDataConnection::Progress GuestDataConnection::Write() {
  return outbox_.Flush(fd_.get(), watch_) == Outbox::State::kClosed ? Progress::kClosed : Progress::kWaiting;
}

bool GuestDataConnection::PeerClosed() const {
  return PeerHasClosed(fd_.get());
}

}  // namespace vtpmd::vtpm
