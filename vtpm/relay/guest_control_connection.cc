#include "vtpm/relay/guest_control_connection.h"

#include "core/byte_reader.h"
#include "vtpm/relay/socket_io.h"

namespace vtpmd::vtpm {

Result<std::unique_ptr<GuestControlConnection>> GuestControlConnection::Attach(RelayHub& hub, UniqueFd fd,
                                                                               RelayHub::Handler handler) {
  const int raw = fd.get();
  std::unique_ptr<GuestControlConnection> connection(new GuestControlConnection(std::move(fd)));
  VTPMD_ASSIGN_OR_RETURN(connection->watch_, hub.Add(raw, EPOLLIN, std::move(handler)));
  return connection;
}

GuestControlConnection::Progress GuestControlConnection::OnEvents(std::uint32_t events) {
  if ((events & EPOLLOUT) != 0 && !outbox_.empty()) {
    const Progress progress = Write();
    if (progress != Progress::kWaiting) return progress;
  }
  if ((events & EPOLLIN) != 0 && outbox_.empty() && !request_ready_) {
    const Progress progress = Read();
    if (progress != Progress::kWaiting) return progress;
  }
  if ((events & (EPOLLERR | EPOLLHUP)) != 0) return Progress::kClosed;
  return Progress::kWaiting;
}

GuestControlConnection::Progress GuestControlConnection::Read() {
  while (!RequestComplete()) {
    const std::size_t wanted =
        have_ < kControlCodeSize ? kControlCodeSize - have_ : command_->body_max - (have_ - kControlCodeSize);
    const IoOutcome got = ReceiveSomeWithFd(fd_.get(), std::span(in_).subspan(have_, wanted), &passed_fd_);
    if (got.kind == IoOutcome::Kind::kWouldBlock) {
      // A body may be shorter than body_max (tpm2-tss sends SET_LOCALITY with one
      // byte, QEMU pads it to four); what arrived with the request is all of it.
      if (have_ >= kControlCodeSize && have_ - kControlCodeSize >= command_->body_min) break;
      return Progress::kWaiting;
    }
    if (got.kind != IoOutcome::Kind::kTransferred) return Progress::kClosed;
    have_ += got.bytes;
    if (have_ == kControlCodeSize) {
      ByteReader reader(ByteView(in_.data(), kControlCodeSize));
      command_ = FindControlCommand(reader.U32().value());
    }
  }
  request_ready_ = true;
  watch_.SetEvents(0);  // one request at a time
  return Progress::kRequest;
}

bool GuestControlConnection::RequestComplete() const {
  if (have_ < kControlCodeSize) return false;
  // An unknown code ends the request: nobody knows how long its body is.
  return command_ == nullptr || have_ - kControlCodeSize == command_->body_max;
}

ControlRequest GuestControlConnection::TakeRequest() {
  ControlRequest request;
  request.command = command_;
  request.body.assign(in_.begin() + static_cast<std::ptrdiff_t>(kControlCodeSize),
                      in_.begin() + static_cast<std::ptrdiff_t>(have_));
  request.passed_fd = std::move(passed_fd_);
  have_ = 0;
  command_ = nullptr;
  request_ready_ = false;
  return request;
}

GuestControlConnection::Progress GuestControlConnection::Reply(ByteView response, bool then_close) {
  outbox_.Set(response, then_close);
  return Write();
}

GuestControlConnection::Progress GuestControlConnection::Write() {
  return outbox_.Flush(fd_.get(), watch_) == Outbox::State::kClosed ? Progress::kClosed : Progress::kWaiting;
}

}  // namespace vtpmd::vtpm
