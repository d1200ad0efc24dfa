#include "vtpm/relay/outbox.h"

#include <sys/epoll.h>

#include "vtpm/relay/socket_io.h"

namespace vtpmd::vtpm {

Outbox::State Outbox::Flush(int fd, Watch& watch) {
  // One send() for the whole reply where the socket has room: QEMU's start-up
  // probe reads a response with a single read().
  while (written_ < pending_.size()) {
    const IoOutcome out = SendSome(fd, ByteView(pending_).subspan(written_));
    if (out.kind == IoOutcome::Kind::kWouldBlock) {
      watch.SetEvents(EPOLLOUT);
      return State::kWaiting;
    }
    if (out.kind != IoOutcome::Kind::kTransferred) return State::kClosed;
    written_ += out.bytes;
  }
  pending_ = Bytes();
  if (close_after_) return State::kClosed;
  watch.SetEvents(EPOLLIN);
  return State::kWaiting;
}

}  // namespace vtpmd::vtpm
