#pragma once
// The VM-facing side of one vTPM instance. The guest never reaches swtpm: it
// connects to sockets vtpmd owns in the instance's directory — tpm.sock for TPM
// commands and tpm.sock.ctrl for the swtpm control protocol, the layout both the
// tpm2-tss "swtpm:path=<dir>/tpm.sock" TCTI and QEMU's "-tpmdev emulator"
// (through the control socket and CMD_SET_DATAFD) expect — and the relay passes
// its requests to the swtpm child. Being in the path, vtpmd
//   - refuses peers whose uid does not match the VM binding (SO_PEERCRED),
//   - refuses malformed or oversized commands with a TPM error response,
//   - holds the guest's requests while the instance is locked (migration), and
//   - runs its own commands (Transmit) between the guest's, on the same
//     connection to swtpm, which serves one data client at a time.
// Once a relay runs, it is that one client: vtpmd's own commands for the
// instance must go through Transmit().
//
// All relays of the process share one RelayHub thread. The blocking calls below
// (Start, Lock, Transmit, Stats, the destructor) must not be made on that thread.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"
#include "vtpm/relay/relay_hub.h"
#include "vtpm/relay/relay_options.h"

namespace vtpmd::vtpm {

class RelayCore;

class TpmRelay {
 public:
  // Creates both listening sockets (mode 0600) and starts serving them. swtpm
  // need not be up yet: the relay connects on the first request, and again
  // after swtpm restarts.
  static Result<std::unique_ptr<TpmRelay>> Start(std::shared_ptr<RelayHub> hub, RelayOptions options);

  TpmRelay(const TpmRelay&) = delete;
  TpmRelay& operator=(const TpmRelay&) = delete;
  // Closes every connection and removes both sockets.
  ~TpmRelay();

  // Holds guest requests (data and control; they are read, not forwarded) and
  // returns once no guest request is with swtpm any more. Transmit() still runs.
  void Lock();
  // Releases the held requests, in the order they arrived.
  void Unlock();

  // Runs one of vtpmd's own TPM commands (a complete command, header included)
  // and returns the TPM's response. It waits for a guest command in flight, and
  // guest commands wait for it. Unavailable when swtpm cannot be reached.
  Result<Bytes> Transmit(ByteView command);

  RelayStats Stats() const;

  const std::filesystem::path& socket_path() const { return options_.socket_path; }
  std::filesystem::path control_socket_path() const;

 private:
  TpmRelay(std::shared_ptr<RelayHub> hub, RelayOptions options);

  std::shared_ptr<RelayHub> hub_;
  const RelayOptions options_;
  std::unique_ptr<RelayCore> core_;  // lives on, and is destroyed on, the hub thread
};

// The QEMU arguments that attach a TPM 2.0 CRB device through the relay at
// `socket_path` (QEMU talks to the control socket and passes the data channel).
std::vector<std::string> QemuTpmArguments(const std::filesystem::path& socket_path);

}  // namespace vtpmd::vtpm
