#pragma once
// Group commit for the store's write-ahead log. SQLite commits into the WAL without
// syncing (synchronous=NORMAL); a commit is then reported only once one fdatasync
// of the WAL covers it. One flusher thread does every flush: it syncs for everyone
// who committed before it started, so concurrent writers share one flush, and a
// writer can either wait for its commit (WaitDurable) or hand over what to do once
// it is durable (WhenDurable) and get on with other work, so that a request thread
// never sits in fdatasync.

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "core/result.h"
#include "core/unique_fd.h"

namespace vtpmd {

class GroupSync {
 public:
  // Runs with Ok once the commit is on stable storage, or with the flush's error.
  using DurableCallback = std::function<void(Status)>;

  // Opens the log (it must exist) and makes its directory entry durable.
  static Result<std::unique_ptr<GroupSync>> Open(const std::filesystem::path& wal);
  // Flushes what anyone waits for and runs every callback before it returns.
  ~GroupSync();
  GroupSync(const GroupSync&) = delete;
  GroupSync& operator=(const GroupSync&) = delete;

  // Called right after a commit; returns the number to wait for.
  std::uint64_t Committed();
  // Returns once every commit numbered up to `commit` is on stable storage. A
  // failed flush is final: after it no commit is reported durable again, since
  // Linux may drop the dirty pages a failed fdatasync could not write.
  Status WaitDurable(std::uint64_t commit);
  // Runs `callback` once every commit numbered up to `commit` is on stable storage
  // (or a flush failed): on the flusher's thread, or at once when that is already
  // known. A callback must not wait for a flush itself: the flusher would wait for
  // itself.
  void WhenDurable(std::uint64_t commit, DurableCallback callback);
  // Returns once every callback handed over before has run: for an owner about to
  // destroy what those callbacks use.
  void Settle();

 private:
  explicit GroupSync(UniqueFd wal);
  Status Flush() const;
  void FlushLoop();
  bool HasWorkLocked() const { return failure_.ok() && wanted_ > durable_; }

  UniqueFd wal_;
  std::mutex mu_;
  std::condition_variable work_;     // the flusher waits for a waiter
  std::condition_variable flushed_;  // waiters wait for the flusher
  std::uint64_t committed_ = 0;
  std::uint64_t durable_ = 0;
  std::uint64_t wanted_ = 0;  // the highest commit anyone waits for
  Status failure_;
  std::multimap<std::uint64_t, DurableCallback> callbacks_;  // by commit
  bool calling_back_ = false;  // the flusher runs callbacks it took from callbacks_
  bool stopping_ = false;
  std::thread flusher_;  // last: starts once the rest is built
};

}  // namespace vtpmd
