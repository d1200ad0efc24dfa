#pragma once
// Group commit for the store's write-ahead log. SQLite commits into the WAL without
// syncing (synchronous=NORMAL); a writer then waits here until one fdatasync of the
// WAL covers its commit. The first waiter syncs for everyone who committed before
// it started, so concurrent writers share one flush instead of queueing for their
// own while holding the store's lock.

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>

#include "core/result.h"
#include "core/unique_fd.h"

namespace vtpmd {

class GroupSync {
 public:
  // Opens the log (it must exist) and makes its directory entry durable.
  static Result<std::unique_ptr<GroupSync>> Open(const std::filesystem::path& wal);

  // Called right after a commit; returns the number to wait for.
  std::uint64_t Committed();
  // Returns once every commit numbered up to `commit` is on stable storage. A
  // failed flush is final: after it no commit is reported durable again, since
  // Linux may drop the dirty pages a failed fdatasync could not write.
  Status WaitDurable(std::uint64_t commit);

 private:
  explicit GroupSync(UniqueFd wal) : wal_(std::move(wal)) {}
  Status Flush() const;

  UniqueFd wal_;
  std::mutex mu_;
  std::condition_variable flushed_;
  std::uint64_t committed_ = 0;
  std::uint64_t durable_ = 0;
  bool flushing_ = false;
  Status failure_;
};

}  // namespace vtpmd
