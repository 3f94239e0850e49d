#pragma once
// The one wrapper over the sqlite3 C API: owning handles, result codes turned
// into gb::Error, prepared statements, and an RAII transaction. Nothing here is
// thread-safe on its own; SqliteSink serialises every use of a connection.
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace gb::sinks::detail {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using DbHandle = std::unique_ptr<sqlite3, DbCloser>;
using StmtHandle = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// The single translation of SQLite result codes: BUSY/LOCKED (another writer
// held the lock past busy_timeout) are transient, everything else internal.
// The message names `what`, SQLite's own message (from `db`, when given) and
// the code's name.
Error sqlite_error(sqlite3* db, int rc, std::string_view what);

// Opens (creating if asked) a connection with extended result codes on.
// A path that cannot be opened is kInvalidInput, naming the path.
Result<DbHandle> open_db(const std::string& path, bool create);

// Runs SQL that returns no rows we need (pragmas, DDL, BEGIN/COMMIT).
Status exec(sqlite3* db, const char* sql);

// Runs a query returning one integer (e.g. PRAGMA user_version).
Result<std::int64_t> query_int(sqlite3* db, const char* sql);

// A prepared statement, prepared once and reused. Text and blobs are bound
// with SQLITE_STATIC: the caller keeps the bytes alive until the statement is
// stepped to completion or reset, which every caller does before its data goes.
class Statement {
 public:
  Statement() = default;
  static Result<Statement> prepare(sqlite3* db, std::string_view sql);

  // Resets the statement when it goes out of scope, so no statement keeps a
  // read transaction open or holds a half-stepped state between uses.
  class Use {
   public:
    explicit Use(sqlite3_stmt* stmt) : stmt_(stmt) {}
    ~Use() { sqlite3_reset(stmt_); }
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;

   private:
    sqlite3_stmt* stmt_;
  };
  [[nodiscard]] Use use() { return Use(stmt_.get()); }

  // A failed bind (a value over SQLite's length limit, a bad index) would
  // leave the previous value bound, so it is remembered and the next step()
  // fails instead of running.
  void bind_text(int index, std::string_view value) {
    note(value.size() > kMaxBind
             ? SQLITE_TOOBIG
             : sqlite3_bind_text(stmt_.get(), index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC));
  }
  void bind_blob(int index, std::string_view value) {
    note(value.size() > kMaxBind
             ? SQLITE_TOOBIG
             : sqlite3_bind_blob(stmt_.get(), index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC));
  }
  void bind_int(int index, std::int64_t value) { note(sqlite3_bind_int64(stmt_.get(), index, value)); }
  void bind_null(int index) { note(sqlite3_bind_null(stmt_.get(), index)); }
  // A BLOB of `size` zero bytes that takes no memory; write_blob() fills it.
  void bind_zeroblob(int index, std::uint64_t size) {
    note(sqlite3_bind_zeroblob64(stmt_.get(), index, static_cast<sqlite3_uint64>(size)));
  }

  // true: a row is ready; false: done. Errors carry `what`.
  Result<bool> step(std::string_view what);
  // Steps a statement that returns no rows.
  Status run(std::string_view what);

  std::string column_text(int index) const;
  std::int64_t column_int(int index) const { return sqlite3_column_int64(stmt_.get(), index); }
  bool column_is_null(int index) const { return sqlite3_column_type(stmt_.get(), index) == SQLITE_NULL; }

 private:
  static constexpr std::size_t kMaxBind = 0x7fffffff;  // sqlite3_bind_* take an int length
  Statement(sqlite3* db, StmtHandle stmt) : db_(db), stmt_(std::move(stmt)) {}
  void note(int rc) {
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  }
  sqlite3* db_ = nullptr;
  StmtHandle stmt_;
  int bind_rc_ = SQLITE_OK;
};

// BEGIN IMMEDIATE (takes the write lock at once, so the ledger check and the
// writes that follow it see one consistent state). Not committed = rolled
// back when it goes out of scope. Move-only.
class Transaction {
 public:
  static Result<Transaction> begin_immediate(sqlite3* db);
  // A deferred transaction for consistent reads across several statements.
  static Result<Transaction> begin_read(sqlite3* db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();
  Status commit();

 private:
  explicit Transaction(sqlite3* db) : db_(db) {}
  sqlite3* db_;  // null once committed or moved from
};

}  // namespace gb::sinks::detail
