#include "vtpm/relay/socket_io.h"

#include "core/unix_socket.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace vtpmd::vtpm {
namespace {

IoOutcome FromResult(ssize_t n) {
  if (n > 0) return {IoOutcome::Kind::kTransferred, static_cast<std::size_t>(n)};
  if (n == 0) return {IoOutcome::Kind::kEndOfStream};
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return {IoOutcome::Kind::kWouldBlock};
  return {IoOutcome::Kind::kFailed};
}

}  // namespace

IoOutcome ReceiveSome(int fd, std::span<std::uint8_t> into) {
  return FromResult(::recv(fd, into.data(), into.size(), MSG_DONTWAIT));
}

IoOutcome ReceiveSomeWithFd(int fd, std::span<std::uint8_t> into, UniqueFd* passed_fd) {
  iovec iov{.iov_base = into.data(), .iov_len = into.size()};
  // Room for a few descriptors, so that a sender who attaches more than one
  // cannot make the kernel truncate the message and leak the rest to nobody.
  alignas(cmsghdr) char control[CMSG_SPACE(4 * sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  const ssize_t n = ::recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  if (n > 0) {
    for (cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg != nullptr; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
      if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
      const std::size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (std::size_t i = 0; i < count; ++i) {
        int received;
        std::memcpy(&received, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
        UniqueFd owned(received);
        if (!passed_fd->valid()) *passed_fd = std::move(owned);
      }
    }
  }
  return FromResult(n);
}

IoOutcome SendSome(int fd, ByteView data) {
  return FromResult(::send(fd, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL));
}

Result<UniqueFd> ConnectUnix(const std::filesystem::path& path) {
  VTPMD_ASSIGN_OR_RETURN(const sockaddr_un addr, UnixSocketAddress(path));
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Unavailable(std::string("socket: ") + std::strerror(errno));
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    return Unavailable("connect " + path.string() + ": " + std::strerror(errno));
  }
  return fd;
}

UniqueFd AcceptConnection(int listen_fd) {
  return UniqueFd(::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
}

std::optional<uid_t> PeerUid(int fd) {
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof(cred)) return std::nullopt;
  return cred.uid;
}

bool PeerHasClosed(int fd) {
  // POLLHUP: the peer closed its end (both directions are shut), even when some
  // of what it sent is still unread. A peer that only shut down writing may still
  // be waiting for an answer and counts as alive.
  pollfd pfd{.fd = fd, .events = POLLIN, .revents = 0};
  return ::poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0;
}

Status CheckUnixStreamSocket(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return InvalidArgument("passed descriptor is not a socket");
  int domain = 0;
  int type = 0;
  socklen_t len = sizeof(int);
  if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != AF_UNIX) {
    return InvalidArgument("passed socket is not AF_UNIX");
  }
  len = sizeof(int);
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) {
    return InvalidArgument("passed socket is not a stream socket");
  }
  return Ok();
}

}  // namespace vtpmd::vtpm
