#include "vtpm/relay/tpm_relay.h"

#include <cassert>
#include <future>

#include "vtpm/relay/relay_core.h"
#include "vtpm/relay/tpm_frame.h"
#include "vtpm/relay/unix_listener.h"

namespace vtpmd::vtpm {
namespace {

constexpr std::size_t kMaxConfigurableCommandSize = kMaxTpmMessageSize;

std::filesystem::path ControlPath(const std::filesystem::path& socket_path) {
  return socket_path.string() + ".ctrl";
}

Status CheckOptions(const RelayOptions& options) {
  if (options.socket_path.empty() || options.backend_socket.empty()) {
    return InvalidArgument("relay socket paths must not be empty");
  }
  if (options.socket_path == options.backend_socket) {
    return InvalidArgument("relay socket and swtpm socket must differ");
  }
  if (options.max_command_size < kTpmHeaderSize || options.max_command_size > kMaxConfigurableCommandSize) {
    return InvalidArgument("max_command_size must be between " + std::to_string(kTpmHeaderSize) + " and " +
                           std::to_string(kMaxConfigurableCommandSize));
  }
  return Ok();
}

}  // namespace

TpmRelay::TpmRelay(std::shared_ptr<RelayHub> hub, RelayOptions options)
    : hub_(std::move(hub)), options_(std::move(options)) {}

Result<std::unique_ptr<TpmRelay>> TpmRelay::Start(std::shared_ptr<RelayHub> hub, RelayOptions options) {
  if (hub == nullptr) return InvalidArgument("relay needs a hub");
  if (hub->OnHubThread()) return FailedPrecondition("TpmRelay::Start called on the relay hub thread");
  VTPMD_RETURN_IF_ERROR(CheckOptions(options));
  VTPMD_ASSIGN_OR_RETURN(auto data_listener, UnixListener::Listen(options.socket_path));
  VTPMD_ASSIGN_OR_RETURN(auto control_listener, UnixListener::Listen(ControlPath(options.socket_path)));
  std::unique_ptr<TpmRelay> relay(new TpmRelay(std::move(hub), std::move(options)));
  TpmRelay* raw = relay.get();
  Result<std::unique_ptr<RelayCore>> core = raw->hub_->Call([&] {
    return RelayCore::Create(*raw->hub_, raw->options_, std::move(data_listener), std::move(control_listener));
  });
  if (!core.ok()) return std::move(core).error();
  relay->core_ = std::move(core).value();
  return relay;
}

TpmRelay::~TpmRelay() {
  assert(!hub_->OnHubThread());
  hub_->Call([this] { core_.reset(); });
}

void TpmRelay::Lock() {
  assert(!hub_->OnHubThread());
  std::promise<void> locked;
  std::future<void> done = locked.get_future();
  hub_->Post([this, &locked] { core_->Lock([&locked] { locked.set_value(); }); });
  done.wait();
}

void TpmRelay::Unlock() {
  hub_->Post([this] { core_->Unlock(); });
}

Result<Bytes> TpmRelay::Transmit(ByteView command) {
  if (hub_->OnHubThread()) return FailedPrecondition("TpmRelay::Transmit called on the relay hub thread");
  VTPMD_RETURN_IF_ERROR(CheckWholeCommand(command, kMaxTpmMessageSize));
  std::promise<Result<Bytes>> response;
  std::future<Result<Bytes>> done = response.get_future();
  hub_->Post([this, request = Bytes(command.begin(), command.end()), &response]() mutable {
    core_->Transmit(std::move(request), [&response](Result<Bytes> r) { response.set_value(std::move(r)); });
  });
  return done.get();
}

RelayStats TpmRelay::Stats() const {
  assert(!hub_->OnHubThread());
  return hub_->Call([this] { return core_->Stats(); });
}

std::filesystem::path TpmRelay::control_socket_path() const {
  return ControlPath(options_.socket_path);
}

std::vector<std::string> QemuTpmArguments(const std::filesystem::path& socket_path) {
  // QEMU splits option values on ',' and reads ",," as a literal comma.
  std::string path;
  for (char c : ControlPath(socket_path).string()) {
    path += c;
    if (c == ',') path += ',';
  }
  return {"-chardev", "socket,id=chrtpm,path=" + path,
          "-tpmdev",  "emulator,id=tpm0,chardev=chrtpm",
          "-device",  "tpm-crb,tpmdev=tpm0"};
}

}  // namespace vtpmd::vtpm
