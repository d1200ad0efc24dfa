#include "vtpm/relay/backend_channel.h"

#include <algorithm>
#include <string>

#include "vtpm/relay/socket_io.h"
#include "vtpm/relay/tpm_frame.h"

namespace vtpmd::vtpm {
namespace {

// swtpm writes a response at once; reading this much before the header is known
// takes a typical response with one recv().
constexpr std::size_t kFirstRead = 4096;

bool Broken(const IoOutcome& outcome) {
  return outcome.kind == IoOutcome::Kind::kFailed || outcome.kind == IoOutcome::Kind::kEndOfStream;
}

}  // namespace

BackendChannel::Framing TpmResponseFraming(std::size_t max_size) {
  return [max_size](ByteView received) -> Result<std::size_t> {
    if (received.size() < kTpmHeaderSize) return std::min(kFirstRead, max_size) - received.size();
    VTPMD_ASSIGN_OR_RETURN(TpmHeader header, ParseTpmHeader(received));
    if (header.size < kTpmHeaderSize || header.size > max_size) {
      return Internal("swtpm sent a response of impossible size " + std::to_string(header.size));
    }
    if (received.size() > header.size) return Internal("swtpm sent more than one response");
    return header.size - received.size();
  };
}

Status BackendChannel::Connect() {
  VTPMD_ASSIGN_OR_RETURN(fd_, ConnectUnix(socket_path_));
  auto watch = hub_.Add(fd_.get(), EPOLLIN, [this](std::uint32_t events) { OnEvents(events); });
  if (!watch.ok()) {
    fd_.Reset();
    return std::move(watch).error();
  }
  watch_ = std::move(watch).value();
  return Ok();
}

Status BackendChannel::Start(Bytes request, Framing framing, Done done) {
  if (busy()) return Internal("backend channel already has an exchange in flight");
  const bool kept = fd_.valid();
  if (!kept) VTPMD_RETURN_IF_ERROR(Connect());
  // Written at once rather than on EPOLLOUT: that saves a trip through the event
  // loop on every command, and swtpm's socket has room for any command.
  IoOutcome first = SendSome(fd_.get(), request);
  if (Broken(first) && kept) {
    // The kept connection died while idle (swtpm restarted) before the loop
    // noticed. swtpm saw nothing of this request, so a new connection may carry it.
    Disconnect();
    VTPMD_RETURN_IF_ERROR(Connect());
    first = SendSome(fd_.get(), request);
  }
  if (Broken(first)) {
    Disconnect();
    return Unavailable(socket_path_.string() + ": writing to swtpm failed");
  }
  request_ = std::move(request);
  sent_ = first.kind == IoOutcome::Kind::kTransferred ? first.bytes : 0;
  response_.clear();
  framing_ = std::move(framing);
  done_ = std::move(done);
  watch_.SetEvents(sent_ < request_.size() ? EPOLLOUT : EPOLLIN);
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
  if ((events & (EPOLLERR | EPOLLHUP)) != 0) Fail("swtpm closed the connection");
}

bool BackendChannel::Flush() {
  while (sent_ < request_.size()) {
    const IoOutcome out = SendSome(fd_.get(), ByteView(request_).subspan(sent_));
    if (out.kind == IoOutcome::Kind::kWouldBlock) return true;
    if (out.kind != IoOutcome::Kind::kTransferred) {
      Fail("writing to swtpm failed");
      return false;
    }
    sent_ += out.bytes;
  }
  watch_.SetEvents(EPOLLIN);
  return true;
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
      Fail("swtpm closed the connection mid-response");
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
  if (mode_ == Mode::kPerExchange) Disconnect();
  // A kept connection stays registered for EPOLLIN, to notice swtpm going away.
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
