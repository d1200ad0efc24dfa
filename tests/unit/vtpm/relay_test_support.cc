#include "tests/unit/vtpm/relay_test_support.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "core/byte_reader.h"
#include "core/crypto.h"

namespace vtpmd::vtpm::testing {
namespace {

// Long enough for swtpm to generate an RSA key on a loaded machine.
constexpr int kReadTimeoutMs = 60'000;

void PutBigEndian(Bytes& out, std::uint64_t value, int width) {
  for (int shift = (width - 1) * 8; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(value >> shift));
}

// Fills in the size field once the command is complete.
Bytes Finish(Bytes command) {
  const std::uint32_t size = static_cast<std::uint32_t>(command.size());
  for (int i = 0; i < 4; ++i)
    command[static_cast<std::size_t>(2 + i)] = static_cast<std::uint8_t>(size >> (24 - 8 * i));
  return command;
}

Bytes Header(std::uint16_t tag, std::uint32_t code) {
  Bytes out;
  PutBigEndian(out, tag, 2);
  PutBigEndian(out, 0, 4);
  PutBigEndian(out, code, 4);
  return out;
}

void PutPcrSelectionSha256(Bytes& out, std::uint32_t pcr) {
  PutBigEndian(out, 1, 4);       // count
  PutBigEndian(out, 0x000B, 2);  // TPM_ALG_SHA256
  out.push_back(3);              // sizeofSelect
  for (std::uint32_t byte = 0; byte < 3; ++byte)
    out.push_back(pcr / 8 == byte ? static_cast<std::uint8_t>(1u << (pcr % 8)) : 0);
}

}  // namespace

RelayedTpm::RelayedTpm(std::shared_ptr<RelayHub> hub, std::optional<uid_t> allowed_uid, std::size_t max_command_size) {
  StartSwtpm();
  const auto vm_dir = dir_.path() / "vm";
  std::filesystem::create_directory(vm_dir);
  std::filesystem::permissions(vm_dir, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace);
  RelayOptions options;
  options.socket_path = vm_dir / "tpm.sock";
  options.backend_socket = dir_.path() / "swtpm" / "swtpm.sock";
  options.allowed_uid = allowed_uid;
  options.max_command_size = max_command_size;
  auto relay = TpmRelay::Start(std::move(hub), options);
  EXPECT_TRUE(relay.ok()) << relay.error().message();
  if (relay.ok()) relay_ = std::move(relay).value();
}

void RelayedTpm::StartSwtpm() {
  SwtpmOptions swtpm_options;
  swtpm_options.state_dir = dir_.path() / "swtpm";
  auto swtpm = SwtpmProcess::Start(swtpm_options);
  ASSERT_TRUE(swtpm.ok()) << swtpm.error().message();
  swtpm_ = std::move(swtpm).value();
}

std::shared_ptr<RelayHub> Hub() {
  auto hub = RelayHub::Start();
  EXPECT_TRUE(hub.ok()) << hub.error().message();
  return hub.ok() ? *hub : nullptr;
}

Bytes GetRandomCommand(std::uint16_t bytes) {
  Bytes out = Header(0x8001, 0x17B);
  PutBigEndian(out, bytes, 2);
  return Finish(std::move(out));
}

Bytes PcrReadSha256Command(std::uint32_t pcr) {
  Bytes out = Header(0x8001, 0x17E);
  PutPcrSelectionSha256(out, pcr);
  return Finish(std::move(out));
}

Bytes PcrExtendSha256Command(std::uint32_t pcr, ByteView digest) {
  Bytes out = Header(0x8002, 0x182);
  PutBigEndian(out, pcr, 4);
  PutBigEndian(out, 9, 4);           // authorizationSize
  PutBigEndian(out, 0x40000009, 4);  // TPM_RS_PW
  PutBigEndian(out, 0, 2);           // nonce
  out.push_back(0);                  // session attributes
  PutBigEndian(out, 0, 2);           // empty password
  PutBigEndian(out, 1, 4);           // TPML_DIGEST_VALUES.count
  PutBigEndian(out, 0x000B, 2);
  out.insert(out.end(), digest.begin(), digest.end());
  return Finish(std::move(out));
}

std::uint32_t ResponseCode(ByteView response) {
  ByteReader reader(response);
  if (!reader.Take(6).ok()) return 0xFFFFFFFF;
  auto rc = reader.U32();
  return rc.ok() ? *rc : 0xFFFFFFFF;
}

Bytes RandomBytes(ByteView response) {
  ByteReader reader(response);
  if (ResponseCode(response) != 0 || !reader.Take(10).ok()) return {};
  auto random = reader.Sized16();
  return random.ok() ? Bytes(random->begin(), random->end()) : Bytes();
}

Bytes PcrDigest(ByteView response) {
  ByteReader reader(response);
  // header, pcrUpdateCounter, one-entry selection (4 + 2 + 1 + 3), TPML_DIGEST count
  if (ResponseCode(response) != 0 || !reader.Take(10 + 4 + 10 + 4).ok()) return {};
  auto digest = reader.Sized16();
  return digest.ok() ? Bytes(digest->begin(), digest->end()) : Bytes();
}

Bytes ExtendedFromZero(ByteView digest) {
  const Bytes zeros(32, 0);
  auto extended = DigestParts(HashAlg::kSha256, {zeros, digest});
  EXPECT_TRUE(extended.ok());
  return extended.ok() ? *extended : Bytes();
}

Client Client::Connect(const std::filesystem::path& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    ADD_FAILURE() << "connect " << path << ": " << std::strerror(errno);
    fd.Reset();
  }
  return Client(std::move(fd));
}

bool Client::Send(ByteView bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_.get(), bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

Bytes Client::ReadExactly(std::size_t n) {
  Bytes out(n);
  std::size_t have = 0;
  while (have < n) {
    pollfd pfd{.fd = fd_.get(), .events = POLLIN, .revents = 0};
    if (::poll(&pfd, 1, kReadTimeoutMs) != 1) {
      ADD_FAILURE() << "no answer from the relay";
      return {};
    }
    const ssize_t got = ::recv(fd_.get(), out.data() + have, n - have, 0);
    if (got <= 0) return {};
    have += static_cast<std::size_t>(got);
  }
  return out;
}

Bytes Client::ReadTpmResponse() {
  Bytes header = ReadExactly(10);
  if (header.empty()) return {};
  ByteReader reader(header);
  (void)reader.U16();
  auto size = reader.U32();
  if (!size.ok() || *size < 10 || *size > 65536) return {};
  Bytes rest = ReadExactly(*size - 10);
  if (rest.empty() && *size > 10) return {};
  header.insert(header.end(), rest.begin(), rest.end());
  return header;
}

bool Client::ClosedByPeer() {
  pollfd pfd{.fd = fd_.get(), .events = POLLIN, .revents = 0};
  if (::poll(&pfd, 1, kReadTimeoutMs) != 1) return false;
  std::uint8_t byte;
  return ::recv(fd_.get(), &byte, 1, 0) <= 0;
}

Bytes ControlRequest(std::uint32_t code, ByteView body) {
  Bytes out;
  PutBigEndian(out, code, 4);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

}  // namespace vtpmd::vtpm::testing
