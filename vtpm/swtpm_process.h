#pragma once
// One supervised `swtpm socket --tpm2` child: a data socket at socket_path() and
// its control socket at socket_path() + ".ctrl", which is the layout the
// tpm2-tss "swtpm:path=..." TCTI connects to.
//
// The child gets PR_SET_PDEATHSIG(SIGKILL) so it never outlives vtpmd. Linux
// delivers that signal when the *thread* that forked exits, not the process, so
// Start() must be called from a thread that lives as long as the child (the main
// thread, or the host manager's own supervision thread).

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
  // Holds the TPM state, swtpm.log and the sockets; created 0700 if missing.
  std::filesystem::path state_dir;
  // 32-byte AES-256-CBC key encrypting the state files at rest; handed to swtpm
  // through an inherited pipe so it never appears in argv or on disk.
  std::optional<SecretBytes> state_key;
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

  // SIGTERM, a bounded wait, then SIGKILL. Idempotent.
  void Stop();
  bool Alive();

  pid_t pid() const { return pid_; }
  const std::filesystem::path& socket_path() const { return socket_path_; }
  // The tpm2-tss TCTI configuration string that reaches this TPM.
  std::string tcti() const { return "swtpm:path=" + socket_path_.string(); }

 private:
  SwtpmProcess(pid_t pid, std::filesystem::path state_dir, std::filesystem::path socket_path,
               std::chrono::milliseconds stop_timeout)
      : pid_(pid),
        state_dir_(std::move(state_dir)),
        socket_path_(std::move(socket_path)),
        stop_timeout_(stop_timeout) {}

  Status AwaitSockets(std::chrono::milliseconds timeout);
  std::string LogTail() const;
  // Reaps the child if it has exited; true while it is still running.
  bool PollRunning();

  pid_t pid_;
  bool reaped_ = false;
  std::filesystem::path state_dir_;
  std::filesystem::path socket_path_;
  std::chrono::milliseconds stop_timeout_;
};

}  // namespace vtpmd::vtpm
