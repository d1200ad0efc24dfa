#include "core/group_sync.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vtpmd {
namespace {

Error IoError(std::string_view what, const std::filesystem::path& path) {
  return Unavailable(std::string(what) + " " + path.string() + ": " + std::strerror(errno));
}

}  // namespace

Result<std::unique_ptr<GroupSync>> GroupSync::Open(const std::filesystem::path& wal) {
  UniqueFd file(::open(wal.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file.valid()) return IoError("opening the write-ahead log", wal);
  // SQLite syncs the directory of a new log only when it syncs the log itself,
  // which at synchronous=NORMAL may be much later.
  const std::filesystem::path directory = wal.parent_path().empty() ? "." : wal.parent_path();
  UniqueFd dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid() || ::fsync(dir.get()) != 0) return IoError("syncing", directory);
  return std::unique_ptr<GroupSync>(new GroupSync(std::move(file)));
}

std::uint64_t GroupSync::Committed() {
  std::lock_guard lock(mu_);
  return ++committed_;
}

Status GroupSync::Flush() const {
  struct stat status {};
  if (::fstat(wal_.get(), &status) != 0)
    return Unavailable(std::string("the write-ahead log: ") + std::strerror(errno));
  // The log is only unlinked when its last connection closes; syncing an unlinked
  // file would report durability for commits that went to its replacement.
  if (status.st_nlink == 0) return Unavailable("the store's write-ahead log was removed under vtpmd; restart it");
  if (::fdatasync(wal_.get()) != 0) {
    return Unavailable(std::string("flushing the write-ahead log: ") + std::strerror(errno));
  }
  return Ok();
}

Status GroupSync::WaitDurable(std::uint64_t commit) {
  std::unique_lock lock(mu_);
  while (durable_ < commit) {
    if (!failure_.ok()) return failure_;
    if (flushing_) {
      flushed_.wait(lock);
      continue;
    }
    flushing_ = true;
    // Every commit numbered so far is already in the log's page cache.
    const std::uint64_t covered = committed_;
    lock.unlock();
    Status flushed = Flush();
    lock.lock();
    flushing_ = false;
    if (flushed.ok()) {
      durable_ = std::max(durable_, covered);
    } else {
      failure_ = std::move(flushed);
    }
    flushed_.notify_all();
  }
  return Ok();
}

}  // namespace vtpmd
