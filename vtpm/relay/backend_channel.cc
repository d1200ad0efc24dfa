#include "vtpm/relay/backend_channel.h"

#include <string>

#include "vtpm/relay/socket_io.h"
#include "vtpm/relay/tpm_frame.h"

namespace vtpmd::vtpm {

BackendChannel::Framing TpmResponseFraming(std::size_t max_size) {
  return [max_size](ByteView received) -> Result<std::size_t> {
    if (received.size() < kTpmHeaderSize) return kTpmHeaderSize - received.size();
    VTPMD_ASSIGN_OR_RETURN(TpmHeader header, ParseTpmHeader(received));
    if (header.size < kTpmHeaderSize || header.size > max_size) {
      return Internal("swtpm sent a response of impossible size " + std::to_string(header.size));
    }
    return header.size - received.size();
  };
}

Status BackendChannel::Connect() {
  VTPMD_ASSIGN_OR_RETURN(fd_, ConnectUnix(socket_path_));
  auto watch = hub_.Add(fd_.get(), EPOLLOUT, [this](std::uint32_t events) { OnEvents(events); });
  if (!watch.ok()) {
    fd_.Reset();
    return std::move(watch).error();
  }
  watch_ = std::move(watch).value();
  return Ok();
}

Status BackendChannel::Start(Bytes request, Framing framing, Done done) {
  if (busy()) return Internal("backend channel already has an exchange in flight");
  reused_ = fd_.valid();
  if (!reused_) VTPMD_RETURN_IF_ERROR(Connect());
  request_ = std::move(request);
  sent_ = 0;
  response_.clear();
  framing_ = std::move(framing);
  done_ = std::move(done);
  // The write happens on the next EPOLLOUT, so `done` never runs inside Start.
  watch_.SetEvents(EPOLLOUT);
  return Ok();
}

void BackendChannel::OnEvents(std::uint32_t events) {
  if (!busy()) {
    // Idle: the only news swtpm can have is that it went away (restart, crash).
    // The next exchange reconnects.
    Disconnect();
    return;
  }
  if ((events & EPOLLOUT) != 0 && sent_ < request_.size() && !Flush()) return;
  if ((events & EPOLLIN) != 0 && sent_ == request_.size() && !Receive()) return;
  if ((events & (EPOLLERR | EPOLLHUP)) != 0 && busy()) ConnectionLost();
}

bool BackendChannel::Flush() {
  while (sent_ < request_.size()) {
    const IoOutcome out = SendSome(fd_.get(), ByteView(request_).subspan(sent_));
    if (out.kind == IoOutcome::Kind::kWouldBlock) return true;
    if (out.kind != IoOutcome::Kind::kTransferred) {
      ConnectionLost();
      return false;
    }
    sent_ += out.bytes;
  }
  watch_.SetEvents(EPOLLIN);
  return true;
}

void BackendChannel::ConnectionLost() {
  // A kept connection can have died unnoticed while idle (swtpm restarted). If
  // swtpm saw nothing of this request yet, sending it on a new one is safe.
  if (reused_ && sent_ == 0) {
    reused_ = false;
    Disconnect();
    Status connected = Connect();
    if (connected.ok()) return;
    Fail(connected.error().message());
    return;
  }
  Fail("swtpm closed the connection");
}

bool BackendChannel::Receive() {
  while (true) {
    Result<std::size_t> wanted = framing_(response_);
    if (!wanted.ok()) {
      Fail(wanted.error().message());
      return false;
    }
    if (*wanted == 0) {
      Complete();
      return false;
    }
    const std::size_t have = response_.size();
    response_.resize(have + *wanted);
    const IoOutcome in = ReceiveSome(fd_.get(), std::span(response_).subspan(have));
    response_.resize(have + (in.kind == IoOutcome::Kind::kTransferred ? in.bytes : 0));
    if (in.kind == IoOutcome::Kind::kWouldBlock) return true;
    if (in.kind != IoOutcome::Kind::kTransferred) {
      ConnectionLost();
      return false;
    }
  }
}

void BackendChannel::Fail(std::string why) {
  // A failed exchange leaves the stream at an unknown position: start afresh.
  Disconnect();
  Done done = std::move(done_);
  done_ = nullptr;
  done(Unavailable(socket_path_.string() + ": " + why));
}

void BackendChannel::Complete() {
  if (mode_ == Mode::kPerExchange) {
    Disconnect();
  } else {
    watch_.SetEvents(EPOLLIN);  // to notice swtpm going away while idle
  }
  Bytes response = std::move(response_);
  response_ = Bytes();
  request_ = Bytes();
  Done done = std::move(done_);
  done_ = nullptr;
  // Last: `done` may start the next exchange on this channel.
  done(std::move(response));
}

void BackendChannel::Disconnect() {
  watch_ = Watch();
  fd_.Reset();
}

}  // namespace vtpmd::vtpm
