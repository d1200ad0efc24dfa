#pragma once
// Shared by the relay tests: a real swtpm child with a relay in front of it, raw
// TPM 2.0 commands, and a blocking client for the relay's sockets.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/bytes.h"
#include "tests/unit/vtpm/test_support.h"
#include "vtpm/relay/relay_hub.h"
#include "vtpm/relay/tpm_relay.h"
#include "core/unique_fd.h"
#include "vtpm/swtpm_process.h"

namespace vtpmd::vtpm::testing {

// One vTPM as the host manager runs it: swtpm's sockets in <tmp>/swtpm, the
// relay's in the instance directory <tmp>/vm (0700).
class RelayedTpm {
 public:
  explicit RelayedTpm(std::shared_ptr<RelayHub> hub, std::optional<uid_t> allowed_uid = std::nullopt,
                      std::size_t max_command_size = 4096);

  bool ready() const { return swtpm_ != nullptr && relay_ != nullptr; }
  TpmRelay& relay() { return *relay_; }
  SwtpmProcess& swtpm() { return *swtpm_; }
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::filesystem::path socket_path() const { return dir_.path() / "vm" / "tpm.sock"; }
  std::filesystem::path control_path() const { return socket_path().string() + ".ctrl"; }
  std::string tcti() const { return "swtpm:path=" + socket_path().string(); }
  // Ends the swtpm child, and starts a new one on the same state.
  void StopSwtpm() { swtpm_.reset(); }
  void StartSwtpm();

 private:
  TempDir dir_;
  std::unique_ptr<SwtpmProcess> swtpm_;
  std::unique_ptr<TpmRelay> relay_;
};

// Raw TPM 2.0 commands.
// A relay hub for one test; a failure to start fails the test.
std::shared_ptr<RelayHub> Hub();

Bytes GetRandomCommand(std::uint16_t bytes);
Bytes PcrReadSha256Command(std::uint32_t pcr);
Bytes PcrExtendSha256Command(std::uint32_t pcr, ByteView digest);

std::uint32_t ResponseCode(ByteView response);
// The random bytes of a GetRandom response (empty on error).
Bytes RandomBytes(ByteView response);
// The digest of a single-PCR PCR_Read response (empty on error).
Bytes PcrDigest(ByteView response);
// What a SHA-256 PCR holds after one extend of `digest` from all zeros.
Bytes ExtendedFromZero(ByteView digest);

// A blocking client connection. Reads give up after a generous bound so that a
// broken relay fails the test instead of hanging it (no assertion uses time).
class Client {
 public:
  static Client Connect(const std::filesystem::path& path);
  explicit Client(UniqueFd fd) : fd_(std::move(fd)) {}

  int fd() const { return fd_.get(); }
  bool Send(ByteView bytes);
  // One TPM response (header, then the size it states); empty on EOF or error.
  Bytes ReadTpmResponse();
  // Exactly n bytes; empty on EOF or error.
  Bytes ReadExactly(std::size_t n);
  // True when the relay closed the connection (after any bytes it still sent).
  bool ClosedByPeer();
  // One request/response exchange.
  Bytes Exchange(ByteView command) { return Send(command) ? ReadTpmResponse() : Bytes(); }

 private:
  UniqueFd fd_;
};

// A control request: big-endian code, then `body`.
Bytes ControlRequest(std::uint32_t code, ByteView body = {});

}  // namespace vtpmd::vtpm::testing
