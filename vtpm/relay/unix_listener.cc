#include "vtpm/relay/unix_listener.h"

#include "core/unix_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace vtpmd::vtpm {
namespace {

namespace fs = std::filesystem;

// Guests connect rarely (QEMU once, tpm2-tools once per command) and are served
// one at a time, so a short queue suffices.
constexpr int kBacklog = 16;

std::string ErrnoText(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

// A socket file nobody listens on is what a crashed vtpmd leaves behind.
Status RemoveStaleSocket(const fs::path& path, const sockaddr_un& addr) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Ok();
    return Unavailable(ErrnoText("lstat " + path.string()));
  }
  if (!S_ISSOCK(st.st_mode)) return FailedPrecondition(path.string() + " exists and is not a socket");
  UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!probe.valid()) return Unavailable(ErrnoText("socket"));
  if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0 || errno == EAGAIN) {
    return FailedPrecondition("another process listens on " + path.string());
  }
  if (errno != ECONNREFUSED) return Unavailable(ErrnoText("probing " + path.string()));
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Unavailable(ErrnoText("unlink " + path.string()));
  return Ok();
}

}  // namespace

Result<std::unique_ptr<UnixListener>> UnixListener::Listen(const fs::path& path) {
  VTPMD_ASSIGN_OR_RETURN(sockaddr_un addr, UnixSocketAddress(path));
  VTPMD_RETURN_IF_ERROR(RemoveStaleSocket(path, addr));
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Unavailable(ErrnoText("socket"));
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    return Unavailable(ErrnoText("bind " + path.string()));
  }
  // Nobody can connect before listen(), so tightening the mode here (whatever the
  // umask made of it) leaves no window in which another user could get in.
  struct stat st {};
  if (::chmod(path.c_str(), S_IRUSR | S_IWUSR) != 0 || ::lstat(path.c_str(), &st) != 0) {
    const std::string error = ErrnoText("restricting " + path.string());
    ::unlink(path.c_str());
    return Unavailable(error);
  }
  if (::listen(fd.get(), kBacklog) != 0) {
    const std::string error = ErrnoText("listen " + path.string());
    ::unlink(path.c_str());
    return Unavailable(error);
  }
  return std::unique_ptr<UnixListener>(new UnixListener(std::move(fd), path, st.st_dev, st.st_ino));
}

UnixListener::~UnixListener() {
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_) ::unlink(path_.c_str());
}

}  // namespace vtpmd::vtpm
