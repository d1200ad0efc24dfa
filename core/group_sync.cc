#include "core/group_sync.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

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

GroupSync::GroupSync(UniqueFd wal) : wal_(std::move(wal)), flusher_([this] { FlushLoop(); }) {}

GroupSync::~GroupSync() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_.notify_one();
  flusher_.join();
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
  if (commit > wanted_) {
    wanted_ = commit;
    work_.notify_one();
  }
  flushed_.wait(lock, [&] { return durable_ >= commit || !failure_.ok(); });
  return durable_ >= commit ? Ok() : failure_;
}

void GroupSync::WhenDurable(std::uint64_t commit, DurableCallback callback) {
  Status known;
  {
    std::lock_guard lock(mu_);
    if (durable_ < commit && failure_.ok()) {
      callbacks_.emplace(commit, std::move(callback));
      if (commit > wanted_) {
        wanted_ = commit;
        work_.notify_one();
      }
      return;
    }
    if (durable_ < commit) known = failure_;
  }
  callback(std::move(known));
}

void GroupSync::Settle() {
  std::unique_lock lock(mu_);
  flushed_.wait(lock, [this] { return callbacks_.empty() && !calling_back_; });
}

void GroupSync::FlushLoop() {
  std::unique_lock lock(mu_);
  while (true) {
    work_.wait(lock, [this] { return stopping_ || HasWorkLocked(); });
    if (!HasWorkLocked()) break;  // stopping, with nothing left to flush
    // Every commit numbered so far is already in the log's page cache.
    const std::uint64_t covered = committed_;
    lock.unlock();
    Status flushed = Flush();
    lock.lock();
    if (flushed.ok()) {
      durable_ = std::max(durable_, covered);
    } else {
      failure_ = std::move(flushed);
    }
    // After a failure every callback learns of it, whatever its commit.
    const auto end = failure_.ok() ? callbacks_.upper_bound(durable_) : callbacks_.end();
    std::vector<DurableCallback> ready;
    for (auto it = callbacks_.begin(); it != end; ++it) ready.push_back(std::move(it->second));
    callbacks_.erase(callbacks_.begin(), end);
    const Status outcome = failure_;
    flushed_.notify_all();
    if (ready.empty()) continue;
    calling_back_ = true;
    lock.unlock();
    for (DurableCallback& callback : ready) callback(outcome);
    ready.clear();  // what they captured goes before Settle() returns
    lock.lock();
    calling_back_ = false;
    flushed_.notify_all();
  }
}

}  // namespace vtpmd
