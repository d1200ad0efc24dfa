#include "server/app/data_directory.h"

#include "core/file_io.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace vtpmd::app {
namespace {

Error ErrnoError(std::string_view what, const std::filesystem::path& path) {
  const int err = errno;
  const ErrorCode code = (err == EACCES || err == EPERM) ? ErrorCode::kPermissionDenied
                         : (err == ENOSPC || err == EDQUOT || err == EROFS) ? ErrorCode::kUnavailable
                                                                           : ErrorCode::kInternal;
  return Error(code, std::string(what) + " " + path.string() + ": " + std::strerror(err));
}

}  // namespace

Result<std::unique_ptr<DataDirectory>> DataDirectory::OpenAndLock(const std::filesystem::path& path) {
  // Keys, tokens and TPM state live here: nobody else may read or list it.
  VTPMD_RETURN_IF_ERROR(CreateDirectoryWithMode(path));

  const std::filesystem::path lock_path = path / "vtpmd.lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return ErrnoError("opening", lock_path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return FailedPrecondition("another vtpmd is already using data directory " + path.string());
  }
  return std::unique_ptr<DataDirectory>(new DataDirectory(path, fd));
}

DataDirectory::~DataDirectory() { ::close(lock_fd_); }

Status DataDirectory::WriteFileAtomically(std::string_view name, std::string_view contents, unsigned mode) const {
  const std::filesystem::path target = File(name);
  const std::filesystem::path temporary = File(std::string(name) + ".tmp");
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return ErrnoError("creating", temporary);
  bool ok = ::fchmod(fd, mode) == 0;
  std::size_t done = 0;
  while (ok && done < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  Error failure = ErrnoError("writing", temporary);
  ::close(fd);
  if (!ok) {
    ::unlink(temporary.c_str());
    return failure;
  }
  if (::rename(temporary.c_str(), target.c_str()) != 0) return ErrnoError("renaming into", target);
  return Ok();
}

}  // namespace vtpmd::app
