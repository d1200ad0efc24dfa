#pragma once
// vtpmd's side of one of swtpm's sockets: one request out, one response back, at
// a time. The data channel keeps its connection (swtpm serves one data client at
// a time, and that client is the relay); the control channel connects per
// exchange, because swtpm also serves one control client at a time and other
// parts of vtpmd (health checks) need their turn.

#include <cstdint>
#include <filesystem>
#include <functional>

#include "core/bytes.h"
#include "core/result.h"
#include "vtpm/relay/relay_hub.h"
#include "core/unique_fd.h"

namespace vtpmd::vtpm {

class BackendChannel {
 public:
  enum class Mode { kPersistent, kPerExchange };
  // How many more bytes to read at most given what has arrived (0: the response
  // is complete), or an error if what arrived cannot be a response.
  using Framing = std::function<Result<std::size_t>(ByteView received)>;
  using Done = std::function<void(Result<Bytes> response)>;

  BackendChannel(RelayHub& hub, std::filesystem::path socket_path, Mode mode)
      : hub_(hub), socket_path_(std::move(socket_path)), mode_(mode) {}
  BackendChannel(const BackendChannel&) = delete;
  BackendChannel& operator=(const BackendChannel&) = delete;

  // Starts one exchange; `done` runs on the hub thread when it ends, never from
  // inside Start. An error means the exchange did not start (swtpm unreachable).
  Status Start(Bytes request, Framing framing, Done done);
  bool busy() const { return static_cast<bool>(done_); }

 private:
  Status Connect();
  void OnEvents(std::uint32_t events);
  // Both return false once the exchange has ended.
  bool Flush();
  bool Receive();
  void Fail(std::string why);
  void Complete();
  void Disconnect();

  RelayHub& hub_;
  const std::filesystem::path socket_path_;
  const Mode mode_;

  UniqueFd fd_;
  Watch watch_;  // after fd_: unregistered before the fd closes
  Bytes request_;
  std::size_t sent_ = 0;
  Bytes response_;
  Framing framing_;
  Done done_;
};

// Framing of a TPM response: a header, then as many bytes as its size field says.
BackendChannel::Framing TpmResponseFraming(std::size_t max_size);

}  // namespace vtpmd::vtpm
