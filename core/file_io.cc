#include "core/file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/unique_fd.h"

namespace vtpmd {

Result<std::string> ReadSmallFile(const std::filesystem::path& path, std::size_t max_bytes) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return InvalidArgument("cannot read " + path.string() + ": " + std::strerror(errno));
  std::string out;
  char buf[8192];
  while (true) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return InvalidArgument("cannot read " + path.string() + ": " + std::strerror(errno));
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > max_bytes) {
      return InvalidArgument(path.string() + " is larger than " + std::to_string(max_bytes) + " bytes");
    }
  }
  return out;
}

Status CreateDirectoryWithMode(const std::filesystem::path& dir, std::filesystem::perms mode) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Unavailable("creating " + dir.string() + ": " + ec.message());
  std::filesystem::permissions(dir, mode, std::filesystem::perm_options::replace, ec);
  if (ec) return Unavailable("restricting " + dir.string() + ": " + ec.message());
  return Ok();
}

}  // namespace vtpmd
