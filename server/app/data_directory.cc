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
  UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!lock.valid()) return ErrnoError("opening", lock_path);
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    return FailedPrecondition("another vtpmd is already using data directory " + path.string());
  }
  return std::unique_ptr<DataDirectory>(new DataDirectory(path, std::move(lock)));
}

Status DataDirectory::WriteFileAtomically(std::string_view name, std::string_view contents, unsigned mode) const {
  const std::filesystem::path target = File(name);
  const std::filesystem::path temporary = File(std::string(name) + ".tmp");
  Status written = [&]() -> Status {
    const UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
    if (!fd.valid() || ::fchmod(fd.get(), mode) != 0) return ErrnoError("creating", temporary);
    std::size_t done = 0;
    while (done < contents.size()) {
      const ssize_t n = ::write(fd.get(), contents.data() + done, contents.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return ErrnoError("writing", temporary);
      done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0) return ErrnoError("writing", temporary);
    return Ok();
  }();
  if (!written.ok()) {
    ::unlink(temporary.c_str());
    return written;
  }
  if (::rename(temporary.c_str(), target.c_str()) != 0) return ErrnoError("renaming into", target);
  return Ok();
}

}  // namespace vtpmd::app
