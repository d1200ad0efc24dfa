#pragma once
// The embedded SQLite store: WAL journal, foreign keys on, a busy timeout, and
// numbered schema migrations applied in order at open, each in its own transaction.
// One connection is shared by every thread, so a statement holds the store's lock
// for as long as it lives: nobody reads another thread's half-done transaction or
// writes into it. Commits are durable before Transaction() returns (unless the
// caller asks for less, or for a callback once they are), flushed in groups by
// core/group_sync.h outside the lock.

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/group_sync.h"
#include "core/result.h"

namespace vtpmd {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

class Store;

// A prepared statement, handed back to the store's cache when it goes away. Bind
// indices are 1-based, column indices 0-based, as in SQLite. It must not outlive
// its store or move to another thread.
class Statement {
 public:
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& Bind(int index, std::int64_t value);
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, ByteView blob);
  Statement& BindNull(int index);

  // true: a row is available; false: done.
  Result<bool> Step();
  // Runs a statement that returns no rows.
  Status Run();

  std::int64_t Int(int column) const;
  std::string Text(int column) const;
  Bytes Blob(int column) const;
  bool IsNull(int column) const;
  // Rows changed by the last Run() of an INSERT/UPDATE/DELETE.
  int Changes() const;

 private:
  friend class Store;
  Statement(Store& owner, std::unique_lock<std::recursive_mutex> lock, std::string sql, sqlite3_stmt* stmt);
  void GiveBack();

  Store* owner_ = nullptr;
  std::unique_lock<std::recursive_mutex> lock_;
  std::string sql_;
  sqlite3_stmt* stmt_ = nullptr;
  Status bind_status_;
};

class Store {
 public:
  // Opens (creating if needed) the database and applies pending migrations.
  // A database whose schema is newer than `migrations` is refused.
  static Result<std::unique_ptr<Store>> Open(const std::filesystem::path& path, std::span<const Migration> migrations);
  static Result<std::unique_ptr<Store>> OpenInMemory(std::span<const Migration> migrations);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  Result<Statement> Prepare(std::string_view sql);
  Status Exec(std::string_view sql);
  int SchemaVersion() const { return schema_version_; }

  // How many rows of `table` were inserted, updated or deleted since the store
  // opened, rolled-back changes included, read without the store's lock. A reader
  // that keeps what it read from a table compares this to know the table has not
  // changed since, without waiting behind a writer's transaction. SQLite reports no
  // changes to WITHOUT ROWID tables, rows that ON CONFLICT REPLACE deletes, or a
  // DELETE without WHERE (its truncate optimization): a table watched this way must
  // be changed by none of these.
  std::uint64_t RowChanges(std::string_view table) const;

  // What a commit is when Transaction() returns.
  enum class Durability {
    kFlushed,  // on stable storage
    // Committed, so it survives vtpmd being killed, and on stable storage with the
    // next flush (the log is flushed in order, so never after a later commit). Only
    // for writes whose loss to a power failure repeats work and breaks no promise.
    kWithNextFlush,
  };

  // Runs `body` in one IMMEDIATE transaction; commits when it returns Ok, rolls back otherwise.
  // Holding the store's lock for the whole body keeps transactions from interleaving
  // on the shared connection.
  // The flush happens after the lock is released, so other transactions proceed
  // meanwhile. A transaction that registered AfterDurable callbacks waits for it
  // whatever `durability` says.
  template <typename Fn>
  Status Transaction(Fn&& body, Durability durability = Durability::kFlushed) {
    VTPMD_ASSIGN_OR_RETURN(Commit commit, CommitTransaction(std::forward<Fn>(body)));
    if (group_sync_ && (durability == Durability::kFlushed || !commit.after_durable.empty())) {
      VTPMD_RETURN_IF_ERROR(group_sync_->WaitDurable(commit.number));
    }
    for (const auto& callback : commit.after_durable) callback();
    return Ok();
  }

  // The same without waiting for the flush: an error means nothing was committed
  // and `on_durable` never runs; Ok means it runs exactly once, with Ok once the
  // commit is on stable storage (after the body's AfterDurable callbacks) or with
  // the flush's error, on the store's flusher thread or before this returns. It must
  // not wait for a flush itself.
  template <typename Fn>
  Status Transaction(Fn&& body, GroupSync::DurableCallback on_durable) {
    VTPMD_ASSIGN_OR_RETURN(Commit commit, CommitTransaction(std::forward<Fn>(body)));
    auto finish = [after_durable = std::move(commit.after_durable),
                   on_durable = std::move(on_durable)](Status flushed) mutable {
      if (flushed.ok()) {
        for (const auto& callback : after_durable) callback();
      }
      on_durable(std::move(flushed));
    };
    if (group_sync_) {
      group_sync_->WhenDurable(commit.number, std::move(finish));
    } else {
      finish(Ok());
    }
    return Ok();
  }

  // Returns once every `on_durable` handed to Transaction() before has run.
  void SettleCallbacks() {
    if (group_sync_) group_sync_->Settle();
  }

  // Inside a Transaction() body: `callback` runs once that transaction's commit is on
  // stable storage, outside the store's lock; never if it rolls back or the flush
  // fails. Outside a transaction the write before it was flushed already, so it runs now.
  void AfterDurable(std::function<void()> callback);

 private:
  friend class Statement;
  explicit Store(sqlite3* db) : db_(db) {}
  static Result<std::unique_ptr<Store>> OpenUri(const std::string& uri, bool in_memory,
                                                std::span<const Migration> migrations);
  Status Configure(bool in_memory);
  Status Migrate(std::span<const Migration> migrations);
  Status ExecLocked(std::string_view sql);
  struct Commit {
    std::uint64_t number = 0;  // GroupSync's; 0 in memory
    std::vector<std::function<void()>> after_durable;
  };
  template <typename Fn>
  Result<Commit> CommitTransaction(Fn&& body) {
    std::lock_guard lock(mu_);
    VTPMD_RETURN_IF_ERROR(ExecLocked("BEGIN IMMEDIATE"));
    Status status = body();
    std::vector<std::function<void()>> after_durable = std::exchange(after_durable_, {});
    if (!status.ok()) {
      (void)ExecLocked("ROLLBACK");
      return std::move(status).error();
    }
    VTPMD_RETURN_IF_ERROR(ExecLocked("COMMIT"));
    return Commit{group_sync_ ? group_sync_->Committed() : 0, std::move(after_durable)};
  }
  // A write that committed on its own, outside Transaction(), is made durable too.
  Status AfterAutocommitWrite();
  void Recycle(std::string sql, sqlite3_stmt* stmt);
  static void CountRowChange(void* store, int operation, const char* database, const char* table,
                             sqlite3_int64 rowid);

  sqlite3* db_;
  std::recursive_mutex mu_;
  int schema_version_ = 0;
  std::unique_ptr<GroupSync> group_sync_;  // null in memory
  std::vector<std::function<void()>> after_durable_;  // of the open transaction; guarded by mu_
  // Compiling SQL costs more than running most of ours; finished statements wait
  // here, reset, for the next Prepare of the same text. Guarded by mu_.
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  std::unordered_multimap<std::string, sqlite3_stmt*, TextHash, std::equal_to<>> idle_statements_;
  // Its own lock, not mu_: readers of RowChanges() must not wait for a transaction.
  mutable std::mutex row_changes_mu_;
  std::unordered_map<std::string, std::uint64_t, TextHash, std::equal_to<>> row_changes_;
};

}  // namespace vtpmd
