#pragma once
// One vTPM instance: its own `swtpm socket --tpm2` child (libtpms keeps global
// state, so one TPM per process; the process is also the isolation boundary
// between tenants), with its state encrypted under a per-instance key.
//
// Layout of InstanceOptions::dir (0700):
//   state/             swtpm's TPM state (AES-256 encrypted) and swtpm.log
//   swtpm.sock(.ctrl)  the backend data and control sockets
//
// swtpm serves one data-socket client at a time. While the instance runs, the
// VM-facing relay holds that connection; Manufacture() needs the backend to
// itself, i.e. it runs before the relay attaches (or while it is detached).
//
// The child does not send TPM2_Startup itself: the guest's firmware does (after
// QEMU's CMD_INIT), and only the guest knows whether to resume saved state with
// TPM2_Startup(STATE). A tools-only client of a restarted instance therefore
// starts it first (`tpm2_startup -c`), as firmware would.
//
// All methods are thread-safe; Manufacture() holds the instance for its duration.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/secret_bytes.h"
#include "vtpm/instance_spec.h"

namespace vtpmd::vtpm {

class SwtpmProcess;

struct InstanceOptions {
  std::string id;             // names the instance in errors and events
  std::filesystem::path dir;  // created 0700 if missing
  SecretBytes state_key;      // 32 bytes: AES-256 key of swtpm's state files
  // How long Manufacture() waits for the backend before declaring it busy.
  std::chrono::milliseconds backend_timeout{5000};
  // The TPM was manufactured: without its state file it is lost, and starting
  // would silently make a new TPM (new seeds, none of its EKs). Such a start
  // fails with kFailedPrecondition instead.
  bool expect_state = false;
};

class VtpmInstance {
 public:
  static constexpr std::size_t kStateKeySize = 32;

  // Starts the child on existing state (or on none, unless expect_state: a new
  // TPM gets fresh seeds). A state key that does not decrypt existing state, or
  // damaged state files, fail here.
  static Result<std::unique_ptr<VtpmInstance>> Start(InstanceOptions options);

  VtpmInstance(const VtpmInstance&) = delete;
  VtpmInstance& operator=(const VtpmInstance&) = delete;
  ~VtpmInstance();  // stops the child

  const std::string& id() const { return options_.id; }
  const std::filesystem::path& dir() const { return options_.dir; }
  // swtpm's data socket; its control socket is backend_control_socket().
  const std::filesystem::path& backend_socket() const { return backend_socket_; }
  std::filesystem::path backend_control_socket() const;
  std::string backend_tcti() const;  // "swtpm:path=<backend_socket>"
  std::optional<pid_t> pid();        // of the running child

  // Resets the TPM (swtpm CMD_INIT: the guest's volatile state, PCRs included,
  // is gone) and manufactures it with ManufactureEks() over its own connection,
  // closed before returning. Idempotent. kUnavailable when another client (a
  // relay that has connected) holds the backend sockets.
  Result<std::vector<ProvisionedEk>> Manufacture(const std::vector<EkAlgorithm>& algorithms,
                                                 const EkCertifier& certifier);

  bool Alive();
  // The child died without Stop(): what a supervisor restarts.
  bool Crashed();
  // How many times a child was started: tells a watcher that someone else
  // restarted the instance, however briefly it then ran.
  std::uint64_t start_count();
  // SIGTERM (swtpm ends like on CMD_SHUTDOWN), escalating to SIGKILL after a
  // bounded wait, which is reported as kUnavailable; the state is intact either
  // way, since libtpms commits its permanent state per command. Idempotent.
  Status Stop();
  // Starts the child again after Stop() or a crash, on the same state and key;
  // a no-op while it runs.
  Status Restart();
  // Restart() only if the child crashed; true when it did restart. Never undoes
  // a Stop(), even one racing with the caller.
  Result<bool> RestartIfCrashed();

  // Removes an instance directory and everything in it. Refused while a swtpm
  // still serves it. The state is encrypted, so no overwriting is needed.
  static Status DestroyState(const std::filesystem::path& dir);

 private:
  VtpmInstance(InstanceOptions options, std::filesystem::path backend_socket);

  Status StartChildLocked();
  bool AliveLocked();

  std::mutex mu_;
  const InstanceOptions options_;
  const std::filesystem::path backend_socket_;
  std::unique_ptr<SwtpmProcess> swtpm_;  // guarded by mu_
  bool stopped_ = false;                 // guarded by mu_: Stop() was called last
  std::uint64_t starts_ = 0;             // guarded by mu_
};

}  // namespace vtpmd::vtpm
