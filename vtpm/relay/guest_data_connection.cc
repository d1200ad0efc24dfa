#include "vtpm/relay/guest_data_connection.h"

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
  using Kind = TpmCommandStream::Next::Kind;
  while (true) {
    const TpmCommandStream::Next next = in_.Examine();
    switch (next.kind) {
      case Kind::kCommand:
        awaiting_reply_ = true;  // one command at a time
        return Progress::kCommand;
      case Kind::kRefuse:
        ++*malformed_;
        if (!next.then_close) in_.SkipCommand();
        outbox_.Set(TpmErrorResponse(next.tag, next.rc), next.then_close);
        if (outbox_.Flush(fd_.get(), watch_) == Outbox::State::kClosed) return Progress::kClosed;
        // What the socket did not take goes on EPOLLOUT, and Write() carries on.
        if (!outbox_.empty() || in_.empty()) return Progress::kWaiting;
        break;
      case Kind::kNeedBytes: {
        const IoOutcome got = ReceiveSome(fd_.get(), in_.Space(next.room));
        if (got.kind == IoOutcome::Kind::kWouldBlock) return Progress::kWaiting;
        // End of stream mid-command is a truncated command: nothing to forward.
        if (got.kind != IoOutcome::Kind::kTransferred) return Progress::kClosed;
        in_.Received(got.bytes);
        break;
      }
    }
  }
}

Bytes GuestDataConnection::TakeCommand() {
  return in_.TakeCommand();
}

GuestDataConnection::Progress GuestDataConnection::Reply(ByteView response) {
  awaiting_reply_ = false;
  outbox_.Set(response, /*close_after=*/false);
  return Write();
}

GuestDataConnection::Progress GuestDataConnection::Write() {
  if (outbox_.Flush(fd_.get(), watch_) == Outbox::State::kClosed) return Progress::kClosed;
  // Only bytes already here are framed now; an empty buffer waits for EPOLLIN
  // rather than spend a recv() that would find nothing.
  if (!outbox_.empty() || in_.empty()) return Progress::kWaiting;
  return Read();
}

bool GuestDataConnection::PeerClosed() const {
  return PeerHasClosed(fd_.get());
}

}  // namespace vtpmd::vtpm
