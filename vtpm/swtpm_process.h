#pragma once
// One supervised `swtpm socket --tpm2` child: a data socket at socket_path() and
// its control socket at socket_path() + ".ctrl", which is the layout the
// tpm2-tss "swtpm:path=..." TCTI connects to.
//
// The child gets PR_SET_PDEATHSIG(SIGKILL) so it never outlives vtpmd. Linux
// delivers that signal when the *thread* that forked exits, not the process, so
// every fork happens on one internal thread that lives until the process exits:
// Start() may be called from any thread, including short-lived workers.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/result.h"
#include "core/secret_bytes.h"

namespace vtpmd::vtpm {

struct SwtpmOptions {
  // Holds the TPM state and swtpm.log (and the sockets, unless socket_dir is
  // set); created 0700 if missing.
  std::filesystem::path state_dir;
  // Where swtpm.sock and swtpm.sock.ctrl go; empty means state_dir.
  std::filesystem::path socket_dir;
  // 32-byte AES-256-CBC key encrypting the state files at rest; handed to swtpm
  // through an inherited pipe so it never appears in argv or on disk.
  std::optional<SecretBytes> state_key;
  // swtpm sends TPM2_Startup(CLEAR) itself at start. Right for a TPM that no
  // firmware starts (the simulated platform TPM); a vTPM leaves Startup to its
  // guest, whose firmware may need TPM2_Startup(STATE) to resume saved PCRs.
  bool startup_clear = true;
  std::chrono::milliseconds start_timeout{5000};
  std::chrono::milliseconds stop_timeout{2000};
};

class SwtpmProcess {
 public:
  static constexpr std::size_t kStateKeySize = 32;

  static Result<std::unique_ptr<SwtpmProcess>> Start(const SwtpmOptions& options);

  SwtpmProcess(const SwtpmProcess&) = delete;
  SwtpmProcess& operator=(const SwtpmProcess&) = delete;
  ~SwtpmProcess();

  // SIGTERM, a bounded wait, then SIGKILL. Idempotent. False when SIGTERM was
  // not enough (libtpms commits its permanent state per command, so it is intact).
  bool Stop();
  bool Alive();
  // Power-cycles the TPM through the control channel (CMD_INIT, volatile state
  // discarded): afterwards it expects TPM2_Startup, with the platform hierarchy
  // enabled and its auth empty again. Fails with kUnavailable, without resetting
  // anything, when the data or the control socket does not answer within
  // `timeout` because another client holds it; on success both were free.
  Status ResetTpm(std::chrono::milliseconds timeout);

  // True when some swtpm accepts connections at `socket_path` (this process's or not).
  static bool Serving(const std::filesystem::path& socket_path);

  pid_t pid() const { return pid_; }
  const std::filesystem::path& socket_path() const { return socket_path_; }
  // The tpm2-tss TCTI configuration string that reaches this TPM.
  std::string tcti() const { return "swtpm:path=" + socket_path_.string(); }

 private:
  SwtpmProcess(pid_t pid, std::filesystem::path state_dir, std::filesystem::path socket_path,
               std::chrono::milliseconds stop_timeout, off_t log_start)
      : pid_(pid),
        state_dir_(std::move(state_dir)),
        socket_path_(std::move(socket_path)),
        stop_timeout_(stop_timeout),
        log_start_(log_start) {}

  Status AwaitSockets(std::chrono::milliseconds timeout);
  // The end of what this child wrote to swtpm.log.
  std::string LogTail() const;
  // Reaps the child if it has exited; true while it is still running.
  bool PollRunning();

  pid_t pid_;
  bool reaped_ = false;
  std::filesystem::path state_dir_;
  std::filesystem::path socket_path_;
  std::chrono::milliseconds stop_timeout_;
  // swtpm.log is appended to by every child on the same state: an error quotes
  // only this child's lines, not an earlier run's.
  off_t log_start_;
};

}  // namespace vtpmd::vtpm
