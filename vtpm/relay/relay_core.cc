#include "vtpm/relay/relay_core.h"

#include <string>

#include "vtpm/relay/socket_io.h"
#include "vtpm/relay/tpm_frame.h"

namespace vtpmd::vtpm {
namespace {

// QEMU keeps one control connection, tpm2-tss opens one per control command.
constexpr std::size_t kMaxControlConnections = 8;

BackendChannel::Framing ControlFraming(const ControlCommand& command) {
  // The command is an entry of the static command table.
  return [command = &command](ByteView received) -> Result<std::size_t> {
    if (ControlResponseComplete(*command, received)) return std::size_t{0};
    return command->response_size - received.size();
  };
}

}  // namespace

RelayCore::RelayCore(RelayHub& hub, const RelayOptions& options)
    : hub_(hub),
      options_(options),
      backend_data_(hub, options.backend_socket, BackendChannel::Mode::kPersistent),
      backend_control_(hub, options.backend_socket.string() + ".ctrl", BackendChannel::Mode::kPerExchange) {}

Result<std::unique_ptr<RelayCore>> RelayCore::Create(RelayHub& hub, const RelayOptions& options,
                                                     std::unique_ptr<UnixListener> data_listener,
                                                     std::unique_ptr<UnixListener> control_listener) {
  std::unique_ptr<RelayCore> core(new RelayCore(hub, options));
  RelayCore* raw = core.get();
  core->data_listener_ = std::move(data_listener);
  core->control_listener_ = std::move(control_listener);
  VTPMD_ASSIGN_OR_RETURN(core->data_listener_watch_,
                         hub.Add(core->data_listener_->fd(), EPOLLIN, [raw](std::uint32_t) { raw->OnDataListener(); }));
  VTPMD_ASSIGN_OR_RETURN(core->control_listener_watch_, hub.Add(core->control_listener_->fd(), EPOLLIN,
                                                                [raw](std::uint32_t) { raw->OnControlListener(); }));
  return core;
}

RelayCore::~RelayCore() {
  const Error stopped = Unavailable("the TPM relay was stopped");
  if (in_flight_ && in_flight_->origin == Origin::kHost) in_flight_->host_done(stopped);
  for (Job& job : host_jobs_) job.host_done(stopped);
  for (auto& waiter : lock_waiters_) waiter();
}

void RelayCore::Lock(std::function<void()> locked) {
  locked_ = true;
  lock_waiters_.push_back(std::move(locked));
  NotifyLockWaiters();
}

void RelayCore::Unlock() {
  locked_ = false;
  // Whoever still waits for the lock has been overtaken by this Unlock.
  auto waiters = std::move(lock_waiters_);
  lock_waiters_.clear();
  for (auto& waiter : waiters) waiter();
  Pump();
}

void RelayCore::Transmit(Bytes command, TransmitDone done) {
  ++stats_.host_commands;
  host_jobs_.push_back(Job{.origin = Origin::kHost, .request = std::move(command), .host_done = std::move(done)});
  Pump();
}

RelayStats RelayCore::Stats() const {
  RelayStats stats = stats_;
  stats.held_requests = guest_jobs_.size();
  stats.locked = locked_;
  stats.guest_data_attached = guest_data_ != nullptr;
  return stats;
}

bool RelayCore::PeerAllowed(int fd) const {
  if (!options_.allowed_uid) return true;
  const std::optional<uid_t> uid = PeerUid(fd);
  return uid && *uid == *options_.allowed_uid;
}

void RelayCore::OnDataListener() {
  UniqueFd fd = AcceptConnection(data_listener_->fd());
  if (!fd.valid()) return;
  if (!PeerAllowed(fd.get()) || !DataChannelFree() || !AttachGuestData(std::move(fd)).ok()) {
    ++stats_.refused_connections;
    return;
  }
  // tpm2-tss connects for every command and sends it right away: by now it is
  // usually here, and reading it at once saves a trip through epoll_wait (and,
  // with the hub asleep, a wake-up). When it is not, one recv() finds nothing.
  OnGuestData(guest_data_id_, EPOLLIN);
}

bool RelayCore::DataChannelFree() {
  if (guest_data_ == nullptr) return true;
  // tpm2-tss connects anew for every command and closes right after the
  // response; that close is visible here before its next connection is.
  if (!guest_data_->PeerClosed()) return false;
  DropGuestData();
  return true;
}

Status RelayCore::AttachGuestData(UniqueFd fd) {
  const std::uint64_t id = next_connection_id_++;
  VTPMD_ASSIGN_OR_RETURN(guest_data_, GuestDataConnection::Attach(
                                          hub_, std::move(fd), options_.max_command_size, &stats_.malformed_commands,
                                          [this, id](std::uint32_t events) { OnGuestData(id, events); }));
  guest_data_id_ = id;
  return Ok();
}

void RelayCore::DropGuestData() {
  ForgetGuestJobs(Origin::kGuestData, guest_data_id_);
  guest_data_.reset();
  guest_data_id_ = 0;
}

void RelayCore::OnGuestData(std::uint64_t id, std::uint32_t events) {
  if (guest_data_ == nullptr || guest_data_id_ != id) return;
  OnGuestDataProgress(guest_data_->OnEvents(events));
  Pump();
}

void RelayCore::OnGuestDataProgress(GuestDataConnection::Progress progress) {
  switch (progress) {
    case GuestDataConnection::Progress::kCommand:
      ++stats_.guest_commands;
      guest_jobs_.push_back(
          Job{.origin = Origin::kGuestData, .connection = guest_data_id_, .request = guest_data_->TakeCommand()});
      break;
    case GuestDataConnection::Progress::kClosed: DropGuestData(); break;
    case GuestDataConnection::Progress::kWaiting: break;
  }
}

void RelayCore::OnControlListener() {
  UniqueFd fd = AcceptConnection(control_listener_->fd());
  if (!fd.valid()) return;
  if (!PeerAllowed(fd.get()) || guest_controls_.size() >= kMaxControlConnections) {
    ++stats_.refused_connections;
    return;
  }
  const std::uint64_t id = next_connection_id_++;
  auto connection = GuestControlConnection::Attach(hub_, std::move(fd),
                                                   [this, id](std::uint32_t events) { OnGuestControl(id, events); });
  if (!connection.ok()) {
    ++stats_.refused_connections;
    return;
  }
  guest_controls_.emplace(id, std::move(connection).value());
}

void RelayCore::OnGuestControl(std::uint64_t id, std::uint32_t events) {
  auto it = guest_controls_.find(id);
  if (it == guest_controls_.end()) return;
  switch (it->second->OnEvents(events)) {
    case GuestControlConnection::Progress::kRequest: HandleControlRequest(id, it->second->TakeRequest()); break;
    case GuestControlConnection::Progress::kClosed: DropGuestControl(id); break;
    case GuestControlConnection::Progress::kWaiting: break;
  }
}

void RelayCore::HandleControlRequest(std::uint64_t id, ControlRequest request) {
  if (request.command == nullptr) {
    // Without a framing for this code the rest of the stream is unreadable.
    ++stats_.control_refused;
    ReplyControl(id, ControlResult(swtpm_ctrl::kBadOrdinal), /*then_close=*/true);
    return;
  }
  std::optional<std::uint32_t> answer;
  if (request.command->handling == ControlHandling::kSetDataFd) {
    answer = AdoptPassedDataFd(std::move(request.passed_fd));
  } else {
    answer = LocalAnswer(*request.command, request.body);
  }
  if (answer) {
    if (*answer != swtpm_ctrl::kSuccess) ++stats_.control_refused;
    ReplyControl(id, ControlResult(*answer), /*then_close=*/false);
    return;
  }
  ++stats_.control_forwarded;
  guest_jobs_.push_back(Job{.origin = Origin::kGuestControl,
                            .connection = id,
                            .request = BackendControlRequest(*request.command, request.body, options_.max_command_size),
                            .control = request.command});
  Pump();
}

std::uint32_t RelayCore::AdoptPassedDataFd(UniqueFd fd) {
  if (!fd.valid() || !CheckUnixStreamSocket(fd.get()).ok()) return swtpm_ctrl::kBadParameter;
  // As swtpm does: one data channel at a time.
  if (!DataChannelFree()) return swtpm_ctrl::kIoError;
  return AttachGuestData(std::move(fd)).ok() ? swtpm_ctrl::kSuccess : swtpm_ctrl::kIoError;
}

void RelayCore::ReplyControl(std::uint64_t id, ByteView response, bool then_close) {
  auto it = guest_controls_.find(id);
  if (it == guest_controls_.end()) return;
  if (it->second->Reply(response, then_close) == GuestControlConnection::Progress::kClosed) DropGuestControl(id);
}

void RelayCore::DropGuestControl(std::uint64_t id) {
  ForgetGuestJobs(Origin::kGuestControl, id);
  guest_controls_.erase(id);
}

void RelayCore::ForgetGuestJobs(Origin origin, std::uint64_t id) {
  std::erase_if(guest_jobs_, [&](const Job& job) { return job.origin == origin && job.connection == id; });
}

void RelayCore::Pump() {
  while (!in_flight_) {
    std::deque<Job>* queue = nullptr;
    if (!host_jobs_.empty()) {
      queue = &host_jobs_;
    } else if (!locked_ && !guest_jobs_.empty()) {
      queue = &guest_jobs_;
    } else {
      return;
    }
    in_flight_ = std::move(queue->front());
    queue->pop_front();
    Status started = StartJob(*in_flight_);
    if (!started.ok()) FinishInFlight(std::move(started).error());
  }
}

Status RelayCore::StartJob(Job& job) {
  auto done = [this](Result<Bytes> response) { OnBackendDone(std::move(response)); };
  if (job.origin == Origin::kGuestControl) {
    return backend_control_.Start(std::move(job.request), ControlFraming(*job.control), std::move(done));
  }
  return backend_data_.Start(std::move(job.request), TpmResponseFraming(kMaxTpmMessageSize), std::move(done));
}

void RelayCore::OnBackendDone(Result<Bytes> response) {
  FinishInFlight(std::move(response));
  Pump();
}

void RelayCore::FinishInFlight(Result<Bytes> response) {
  Job job = std::move(*in_flight_);
  in_flight_.reset();
  switch (job.origin) {
    case Origin::kHost: job.host_done(std::move(response)); break;
    case Origin::kGuestData: DeliverData(job.connection, std::move(response)); break;
    case Origin::kGuestControl: DeliverControl(job.connection, *job.control, std::move(response)); break;
  }
  NotifyLockWaiters();
}

void RelayCore::DeliverData(std::uint64_t id, Result<Bytes> response) {
  if (guest_data_ == nullptr || guest_data_id_ != id) return;  // the guest left meanwhile
  const Bytes reply = response.ok() ? std::move(response).value() : TpmErrorResponse(kTpmStNoSessions, kTpmRcFailure);
  // A command the guest sent ahead is queued here; whoever finished this one pumps.
  OnGuestDataProgress(guest_data_->Reply(reply));
}

void RelayCore::DeliverControl(std::uint64_t id, const ControlCommand& command, Result<Bytes> response) {
  Bytes reply = ControlResult(swtpm_ctrl::kIoError);
  if (response.ok()) {
    auto translated = GuestControlResponse(command, *response, options_.max_command_size);
    if (translated.ok()) reply = std::move(translated).value();
  }
  ReplyControl(id, reply, /*then_close=*/false);
}

void RelayCore::NotifyLockWaiters() {
  const bool guest_in_flight = in_flight_ && in_flight_->origin != Origin::kHost;
  if (!locked_ || guest_in_flight || lock_waiters_.empty()) return;
  auto waiters = std::move(lock_waiters_);
  lock_waiters_.clear();
  for (auto& waiter : waiters) waiter();
}

}  // namespace vtpmd::vtpm
