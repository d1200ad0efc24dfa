#pragma once
// A reply on its way to a guest's non-blocking socket: sent as far as the socket
// takes it now, the rest when epoll says it is writable again. Shared by the data
// and control connections, which differ in what they read, not in how they answer.

#include <cstddef>

#include "core/bytes.h"
#include "vtpm/relay/relay_hub.h"

namespace vtpmd::vtpm {

class Outbox {
 public:
  enum class State { kWaiting, kClosed };

  void Set(ByteView reply, bool close_after) {
    pending_.assign(reply.begin(), reply.end());
    written_ = 0;
    close_after_ = close_after;
  }
  bool empty() const { return pending_.empty(); }

  // kWaiting: more to send (watching for EPOLLOUT), or all sent and reading again
  // (EPOLLIN). kClosed: the peer is gone, or all was sent and the connection ends.
  State Flush(int fd, Watch& watch);

 private:
  Bytes pending_;
  std::size_t written_ = 0;
  bool close_after_ = false;
};

}  // namespace vtpmd::vtpm
