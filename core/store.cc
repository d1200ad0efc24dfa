#include "core/store.h"

#include <algorithm>
#include <climits>
#include <utility>

namespace vtpmd {
namespace {

constexpr int kBusyTimeoutMs = 5000;
// More distinct statements than the code has: dynamic SQL cannot grow the cache.
constexpr std::size_t kMaxIdleStatements = 256;

Error SqliteError(sqlite3* db, std::string_view what) {
  const int code = sqlite3_errcode(db);
  std::string message = std::string(what) + ": " + sqlite3_errmsg(db);
  if (code == SQLITE_CONSTRAINT) return Error(ErrorCode::kAlreadyExists, std::move(message));
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED) return Error(ErrorCode::kUnavailable, std::move(message));
  if (code == SQLITE_FULL || code == SQLITE_IOERR) return Error(ErrorCode::kUnavailable, std::move(message));
  return Error(ErrorCode::kInternal, std::move(message));
}

}  // namespace

Statement::Statement(Store& owner, std::unique_lock<std::recursive_mutex> lock, std::string sql, sqlite3_stmt* stmt)
    : owner_(&owner), lock_(std::move(lock)), sql_(std::move(sql)), stmt_(stmt) {}

Statement::Statement(Statement&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)),
      lock_(std::move(other.lock_)),
      sql_(std::move(other.sql_)),
      stmt_(std::exchange(other.stmt_, nullptr)),
      bind_status_(std::move(other.bind_status_)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    GiveBack();
    owner_ = std::exchange(other.owner_, nullptr);
    lock_ = std::move(other.lock_);
    sql_ = std::move(other.sql_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    bind_status_ = std::move(other.bind_status_);
  }
  return *this;
}

Statement::~Statement() {
  GiveBack();
}

void Statement::GiveBack() {
  if (stmt_ != nullptr) owner_->Recycle(std::move(sql_), std::exchange(stmt_, nullptr));
}

Statement& Statement::Bind(int index, std::int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK && bind_status_.ok()) {
    bind_status_ = SqliteError(sqlite3_db_handle(stmt_), "bind");
  }
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  // SQLite binds a null pointer as NULL; an empty view is text, so it gets a real "".
  const char* data = text.data() != nullptr ? text.data() : "";
  if (text.size() > INT_MAX ||
      sqlite3_bind_text(stmt_, index, data, static_cast<int>(text.size()), SQLITE_TRANSIENT) != SQLITE_OK) {
    if (bind_status_.ok()) bind_status_ = SqliteError(sqlite3_db_handle(stmt_), "bind");
  }
  return *this;
}

Statement& Statement::Bind(int index, ByteView blob) {
  // SQLite treats a null pointer as NULL; an empty blob must stay an empty blob.
  static const std::uint8_t kEmpty = 0;
  const void* data = blob.empty() ? &kEmpty : blob.data();
  if (blob.size() > INT_MAX ||
      sqlite3_bind_blob(stmt_, index, data, static_cast<int>(blob.size()), SQLITE_TRANSIENT) != SQLITE_OK) {
    if (bind_status_.ok()) bind_status_ = SqliteError(sqlite3_db_handle(stmt_), "bind");
  }
  return *this;
}

Statement& Statement::BindNull(int index) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK && bind_status_.ok())
    bind_status_ = SqliteError(sqlite3_db_handle(stmt_), "bind");
  return *this;
}

Result<bool> Statement::Step() {
  if (!bind_status_.ok()) return bind_status_.error();
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) {
    if (!sqlite3_stmt_readonly(stmt_) && sqlite3_get_autocommit(sqlite3_db_handle(stmt_)) != 0) {
      VTPMD_RETURN_IF_ERROR(owner_->AfterAutocommitWrite());
    }
    return false;
  }
  Error error = SqliteError(sqlite3_db_handle(stmt_), "step");
  sqlite3_reset(stmt_);
  return error;
}

Status Statement::Run() {
  VTPMD_ASSIGN_OR_RETURN(bool has_row, Step());
  if (has_row) return Internal("statement returned rows where none were expected");
  return Ok();
}

std::int64_t Statement::Int(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string Statement::Text(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

Bytes Statement::Blob(int column) const {
  const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, column));
  const int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr || size <= 0) return {};
  return Bytes(data, data + size);
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int Statement::Changes() const {
  return sqlite3_changes(sqlite3_db_handle(stmt_));
}

Result<std::unique_ptr<Store>> Store::Open(const std::filesystem::path& path, std::span<const Migration> migrations) {
  return OpenUri(path.string(), false, migrations);
}

Result<std::unique_ptr<Store>> Store::OpenInMemory(std::span<const Migration> migrations) {
  return OpenUri(":memory:", true, migrations);
}

Result<std::unique_ptr<Store>> Store::OpenUri(const std::string& uri, bool in_memory,
                                              std::span<const Migration> migrations) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
  const int rc = sqlite3_open_v2(uri.c_str(), &db, flags, nullptr);
  std::unique_ptr<Store> store(new Store(db));
  if (rc != SQLITE_OK) return Unavailable("opening database " + uri + ": " + sqlite3_errstr(rc));
  VTPMD_RETURN_IF_ERROR(store->Configure(in_memory));
  VTPMD_RETURN_IF_ERROR(store->Migrate(migrations));
  if (!in_memory) {
    VTPMD_ASSIGN_OR_RETURN(store->group_sync_,
                           GroupSync::Open(std::string(sqlite3_db_filename(store->db_, "main")) + "-wal"));
    // The migrations committed before there was anyone to flush them.
    VTPMD_RETURN_IF_ERROR(store->AfterAutocommitWrite());
  }
  return store;
}

Store::~Store() {
  // Flushes and calls back what is waited for while the log is still there: closing
  // the last connection checkpoints the log and deletes it.
  group_sync_.reset();
  for (auto& [sql, stmt] : idle_statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

std::uint64_t Store::RowChanges(std::string_view table) const {
  std::lock_guard lock(row_changes_mu_);
  const auto found = row_changes_.find(table);
  return found == row_changes_.end() ? 0 : found->second;
}

void Store::CountRowChange(void* store, int, const char*, const char* table, sqlite3_int64) {
  auto* self = static_cast<Store*>(store);
  std::lock_guard lock(self->row_changes_mu_);
  const auto found = self->row_changes_.find(std::string_view(table));
  if (found != self->row_changes_.end()) {
    ++found->second;
  } else {
    self->row_changes_.emplace(table, 1);
  }
}

Status Store::Configure(bool in_memory) {
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  sqlite3_update_hook(db_, &Store::CountRowChange, this);
  sqlite3_extended_result_codes(db_, 0);
  if (!in_memory) {
    // vtpmd is the database's only user (its data directory lock says so), so the
    // connection takes the file lock once and keeps it: no fcntl lock calls and no
    // shared-memory WAL index per transaction, and no other process can read or
    // change the store while vtpmd runs. Must precede the switch to WAL.
    VTPMD_RETURN_IF_ERROR(ExecLocked("PRAGMA locking_mode=EXCLUSIVE"));
    // 4 KB pages, not larger: they would keep a ~7 KB attestation result out of
    // overflow pages, but a commit writes every page it changed whole, and most
    // commits are small. An AIK activation changes about 18 pages: 72 KB of log on
    // 4 KB pages, 290 KB on 16 KB ones, which gained attestations nothing measurable
    // (docs/benchmarks.md). Takes effect only when the database is created.
    VTPMD_RETURN_IF_ERROR(ExecLocked("PRAGMA page_size=4096"));
    // WAL with synchronous=NORMAL: SQLite does not sync at commit; GroupSync does,
    // before a commit is reported, so it survives power loss and kill -9.
    VTPMD_RETURN_IF_ERROR(ExecLocked("PRAGMA journal_mode=WAL"));
    VTPMD_RETURN_IF_ERROR(ExecLocked("PRAGMA synchronous=NORMAL"));
  }
  VTPMD_RETURN_IF_ERROR(ExecLocked("PRAGMA foreign_keys=ON"));
  return ExecLocked(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
}

Status Store::Migrate(std::span<const Migration> migrations) {
  for (std::size_t i = 1; i < migrations.size(); ++i) {
    if (migrations[i].version <= migrations[i - 1].version) return Internal("migrations are not in ascending order");
  }
  {
    VTPMD_ASSIGN_OR_RETURN(auto stmt, Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    VTPMD_ASSIGN_OR_RETURN(bool has_row, stmt.Step());
    schema_version_ = has_row ? static_cast<int>(stmt.Int(0)) : 0;
  }
  const int newest_known = migrations.empty() ? 0 : migrations.back().version;
  if (schema_version_ > newest_known) {
    return FailedPrecondition("database schema version " + std::to_string(schema_version_) +
                              " is newer than this vtpmd understands (" + std::to_string(newest_known) + ")");
  }
  for (const Migration& migration : migrations) {
    if (migration.version <= schema_version_) continue;
    Status applied = Transaction([&]() -> Status {
      VTPMD_RETURN_IF_ERROR(ExecLocked(migration.sql));
      VTPMD_ASSIGN_OR_RETURN(
          auto record,
          Prepare("INSERT INTO schema_migrations(version, name, applied_at) VALUES(?, ?, strftime('%s','now'))"));
      return record.Bind(1, std::int64_t{migration.version}).Bind(2, migration.name).Run();
    });
    if (!applied.ok()) {
      return applied.error().WithContext("applying migration " + std::to_string(migration.version) + " " +
                                         std::string(migration.name));
    }
    schema_version_ = migration.version;
  }
  return Ok();
}

Result<Statement> Store::Prepare(std::string_view sql) {
  std::unique_lock lock(mu_);
  if (auto idle = idle_statements_.find(sql); idle != idle_statements_.end()) {
    sqlite3_stmt* stmt = idle->second;
    idle_statements_.erase(idle);
    return Statement(*this, std::move(lock), std::string(sql), stmt);
  }
  sqlite3_stmt* stmt = nullptr;
  if (sql.size() > INT_MAX ||
      sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) != SQLITE_OK) {
    return SqliteError(db_, "prepare");
  }
  return Statement(*this, std::move(lock), std::string(sql), stmt);
}

void Store::Recycle(std::string sql, sqlite3_stmt* stmt) {
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  if (idle_statements_.size() >= kMaxIdleStatements) {
    sqlite3_finalize(stmt);
    return;
  }
  idle_statements_.emplace(std::move(sql), stmt);
}

void Store::AfterDurable(std::function<void()> callback) {
  {
    std::lock_guard lock(mu_);
    if (sqlite3_get_autocommit(db_) == 0) {
      after_durable_.push_back(std::move(callback));
      return;
    }
  }
  callback();
}

Status Store::AfterAutocommitWrite() {
  return group_sync_ ? group_sync_->WaitDurable(group_sync_->Committed()) : Ok();
}

Status Store::Exec(std::string_view sql) {
  std::lock_guard lock(mu_);
  VTPMD_RETURN_IF_ERROR(ExecLocked(sql));
  return sqlite3_get_autocommit(db_) != 0 ? AfterAutocommitWrite() : Ok();
}

Status Store::ExecLocked(std::string_view sql) {
  const std::string text(sql);
  char* message = nullptr;
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string detail = message != nullptr ? message : "unknown error";
    sqlite3_free(message);
    Error error = SqliteError(db_, "exec");
    return Error(error.code(), "exec: " + detail);
  }
  return Ok();
}

}  // namespace vtpmd
