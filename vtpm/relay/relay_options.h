#pragma once
// Configuration and counters of one instance's relay (see tpm_relay.h).

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>

namespace vtpmd::vtpm {

struct RelayOptions {
  // The guest's data socket, <instance dir>/tpm.sock; its control socket is this
  // path + ".ctrl". The directory should be the instance's 0700 directory.
  std::filesystem::path socket_path;
  // The swtpm child's data socket; its control socket is this path + ".ctrl".
  std::filesystem::path backend_socket;
  // When set, every connection to either socket must come from this uid (SO_PEERCRED).
  std::optional<uid_t> allowed_uid;
  // Guest TPM commands above this size are answered with TPM_RC_COMMAND_SIZE.
  std::size_t max_command_size = 4096;
};

struct RelayStats {
  std::uint64_t guest_commands = 0;       // guest TPM commands accepted for the TPM
  std::uint64_t host_commands = 0;        // vtpmd's own, through Transmit()
  std::uint64_t control_forwarded = 0;    // guest control requests passed to swtpm
  std::uint64_t control_refused = 0;      // guest control requests the relay refused
  std::uint64_t malformed_commands = 0;   // guest TPM commands answered with a framing error
  std::uint64_t refused_connections = 0;  // wrong peer uid, or a data channel already in use
  std::size_t held_requests = 0;          // guest requests waiting for the TPM (or the lock)
  bool locked = false;
  bool guest_data_attached = false;
};

}  // namespace vtpmd::vtpm
