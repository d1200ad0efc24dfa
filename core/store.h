#pragma once
// The embedded SQLite store: WAL journal, foreign keys on, a busy timeout, and
// numbered schema migrations applied in order at open, each in its own transaction.

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"

namespace vtpmd {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

// A prepared statement. Bind indices are 1-based, column indices 0-based, as in SQLite.
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
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  Status bind_status_;
};

class Store {
 public:
  // Opens (creating if needed) the database and applies pending migrations.
  // A database whose schema is newer than `migrations` is refused.
  static Result<std::unique_ptr<Store>> Open(const std::filesystem::path& path,
                                             std::span<const Migration> migrations);
  static Result<std::unique_ptr<Store>> OpenInMemory(std::span<const Migration> migrations);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  Result<Statement> Prepare(std::string_view sql);
  Status Exec(std::string_view sql);
  int SchemaVersion() const { return schema_version_; }

  // Runs `body` in one IMMEDIATE transaction; commits when it returns Ok, rolls back otherwise.
  // Holding the store's lock for the whole body keeps transactions from interleaving
  // on the shared connection.
  template <typename Fn>
  Status Transaction(Fn&& body) {
    std::lock_guard lock(mu_);
    VTPMD_RETURN_IF_ERROR(ExecLocked("BEGIN IMMEDIATE"));
    Status status = body();
    if (!status.ok()) {
      (void)ExecLocked("ROLLBACK");
      return status;
    }
    return ExecLocked("COMMIT");
  }

  // For callers outside a Transaction() that need several statements to be atomic
  // with respect to other threads.
  std::recursive_mutex& mutex() { return mu_; }

 private:
  explicit Store(sqlite3* db) : db_(db) {}
  static Result<std::unique_ptr<Store>> OpenUri(const std::string& uri, bool in_memory,
                                                std::span<const Migration> migrations);
  Status Configure(bool in_memory);
  Status Migrate(std::span<const Migration> migrations);
  Status ExecLocked(std::string_view sql);

  sqlite3* db_;
  std::recursive_mutex mu_;
  int schema_version_ = 0;
};

}  // namespace vtpmd
