#include "core/unix_socket.h"

#include <cstring>
#include <string>

namespace vtpmd {

Result<sockaddr_un> UnixSocketAddress(const std::filesystem::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string& text = path.native();
  if (text.empty() || text.size() >= sizeof(addr.sun_path)) {
    return InvalidArgument("socket path is empty or too long for AF_UNIX: " + text);
  }
  std::memcpy(addr.sun_path, text.c_str(), text.size() + 1);
  return addr;
}

}  // namespace vtpmd
