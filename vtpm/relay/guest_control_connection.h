#pragma once
// One connection to an instance's tpm.sock.ctrl: frames swtpm control requests
// (see control_protocol.h), collects a descriptor passed along with one, and
// holds at most one request at a time, like GuestDataConnection.

#include <array>
#include <cstdint>
#include <memory>

#include "core/bytes.h"
#include "core/result.h"
#include "vtpm/relay/control_protocol.h"
#include "vtpm/relay/outbox.h"
#include "vtpm/relay/relay_hub.h"
#include "core/unique_fd.h"

namespace vtpmd::vtpm {

struct ControlRequest {
  const ControlCommand* command = nullptr;  // nullptr: a code the relay cannot frame
  Bytes body;
  UniqueFd passed_fd;  // SCM_RIGHTS descriptor that came with the request, if any
};

class GuestControlConnection {
 public:
  enum class Progress { kWaiting, kRequest, kClosed };

  static Result<std::unique_ptr<GuestControlConnection>> Attach(RelayHub& hub, UniqueFd fd, RelayHub::Handler handler);

  GuestControlConnection(const GuestControlConnection&) = delete;
  GuestControlConnection& operator=(const GuestControlConnection&) = delete;

  Progress OnEvents(std::uint32_t events);
  ControlRequest TakeRequest();
  // Reading resumes once the response is written, unless `then_close`.
  Progress Reply(ByteView response, bool then_close);

 private:
  static constexpr std::size_t kMaxRequestSize = kControlCodeSize + kMaxControlBodySize;

  explicit GuestControlConnection(UniqueFd fd) : fd_(std::move(fd)) {}

  Progress Read();
  bool RequestComplete() const;
  Progress Write();

  UniqueFd fd_;
  Watch watch_;  // after fd_: unregistered before the fd closes

  std::array<std::uint8_t, kMaxRequestSize> in_{};
  std::size_t have_ = 0;
  const ControlCommand* command_ = nullptr;
  UniqueFd passed_fd_;
  bool request_ready_ = false;

  Outbox outbox_;
};

}  // namespace vtpmd::vtpm
