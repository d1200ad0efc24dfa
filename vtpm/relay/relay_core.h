#pragma once
// The state of one instance's relay, owned by and used only on the hub thread:
// the guest's connections, the two backend channels, and the scheduler that lets
// one request at a time reach swtpm — vtpmd's own first, the guest's in arrival
// order unless the instance is locked.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "core/bytes.h"
#include "core/result.h"
#include "vtpm/relay/backend_channel.h"
#include "vtpm/relay/control_protocol.h"
#include "vtpm/relay/guest_control_connection.h"
#include "vtpm/relay/guest_data_connection.h"
#include "vtpm/relay/relay_hub.h"
#include "vtpm/relay/relay_options.h"
#include "vtpm/relay/unix_listener.h"

namespace vtpmd::vtpm {

class RelayCore {
 public:
  using TransmitDone = std::function<void(Result<Bytes>)>;

  static Result<std::unique_ptr<RelayCore>> Create(RelayHub& hub, const RelayOptions& options,
                                                   std::unique_ptr<UnixListener> data_listener,
                                                   std::unique_ptr<UnixListener> control_listener);
  RelayCore(const RelayCore&) = delete;
  RelayCore& operator=(const RelayCore&) = delete;
  // Fails vtpmd's pending commands; the guest's are dropped with their connections.
  ~RelayCore();

  // Holds guest requests from now on; `locked` runs once none is with swtpm.
  void Lock(std::function<void()> locked);
  void Unlock();
  void Transmit(Bytes command, TransmitDone done);
  RelayStats Stats() const;

 private:
  enum class Origin { kHost, kGuestData, kGuestControl };
  struct Job {
    Origin origin = Origin::kHost;
    std::uint64_t connection = 0;  // guest jobs: the connection to answer
    Bytes request;
    const ControlCommand* control = nullptr;  // control jobs
    TransmitDone host_done = nullptr;         // host jobs
  };

  RelayCore(RelayHub& hub, const RelayOptions& options);

  void OnDataListener();
  void OnControlListener();
  bool PeerAllowed(int fd) const;
  // The guest data channel is exclusive; a holder that has hung up gives way.
  bool DataChannelFree();
  Status AttachGuestData(UniqueFd fd);
  void DropGuestData();
  void OnGuestData(std::uint64_t id, std::uint32_t events);
  // Queues the command the guest data connection has ready, or drops a closed
  // connection; the caller pumps.
  void OnGuestDataProgress(GuestDataConnection::Progress progress);
  void OnGuestControl(std::uint64_t id, std::uint32_t events);
  void HandleControlRequest(std::uint64_t id, ControlRequest request);
  std::uint32_t AdoptPassedDataFd(UniqueFd fd);
  void ReplyControl(std::uint64_t id, ByteView response, bool then_close);
  void DropGuestControl(std::uint64_t id);
  void ForgetGuestJobs(Origin origin, std::uint64_t id);

  void Pump();
  Status StartJob(Job& job);
  void OnBackendDone(Result<Bytes> response);
  // Answers whoever asked for the request in flight; never starts the next one.
  void FinishInFlight(Result<Bytes> response);
  void DeliverData(std::uint64_t id, Result<Bytes> response);
  void DeliverControl(std::uint64_t id, const ControlCommand& command, Result<Bytes> response);
  void NotifyLockWaiters();

  RelayHub& hub_;
  const RelayOptions options_;

  std::unique_ptr<UnixListener> data_listener_;
  std::unique_ptr<UnixListener> control_listener_;
  Watch data_listener_watch_;  // after the listeners: unregistered before they close
  Watch control_listener_watch_;

  std::uint64_t next_connection_id_ = 1;
  std::uint64_t guest_data_id_ = 0;
  std::unique_ptr<GuestDataConnection> guest_data_;
  std::map<std::uint64_t, std::unique_ptr<GuestControlConnection>> guest_controls_;

  BackendChannel backend_data_;
  BackendChannel backend_control_;
  std::deque<Job> host_jobs_;
  std::deque<Job> guest_jobs_;
  std::optional<Job> in_flight_;

  bool locked_ = false;
  std::vector<std::function<void()>> lock_waiters_;
  RelayStats stats_;
};

}  // namespace vtpmd::vtpm
