#include "sinks/sqlite/detail/sqlite_db.hpp"

#include <fmt/format.h>

namespace gb::sinks::detail {

Error sqlite_error(sqlite3* db, int rc, std::string_view what) {
  const int primary = rc & 0xff;
  Error error = (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) ? transient_error("") : internal_error("");
  error.message = db != nullptr ? fmt::format("SQLite: {}: {} ({})", what, sqlite3_errmsg(db), sqlite3_errstr(rc))
                                : fmt::format("SQLite: {}: {}", what, sqlite3_errstr(rc));
  return error;
}

Result<DbHandle> open_db(const std::string& path, bool create) {
  sqlite3* raw = nullptr;
  // NOMUTEX: the sink serialises every call with its own mutex.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (create) flags |= SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbHandle db(raw);  // sqlite3_open_v2 may hand back a handle even when it fails
  if (rc != SQLITE_OK) {
    Error error = sqlite_error(db.get(), rc, fmt::format("cannot open database '{}'", path));
    error.kind = ErrorKind::kInvalidInput;
    return error;
  }
  sqlite3_extended_result_codes(db.get(), 1);
  return db;
}

Status exec(sqlite3* db, const char* sql) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return sqlite_error(db, rc, sql);
  return ok_status();
}

Result<std::int64_t> query_int(sqlite3* db, const char* sql) {
  auto stmt = Statement::prepare(db, sql);
  if (!stmt) return std::move(stmt).error();
  auto use = stmt->use();
  auto row = stmt->step(sql);
  if (!row) return std::move(row).error();
  if (!*row) return internal_error(fmt::format("SQLite: {}: no row", sql));
  return stmt->column_int(0);
}

Result<Statement> Statement::prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const int rc =
      sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  StmtHandle stmt(raw);
  if (rc != SQLITE_OK) return sqlite_error(db, rc, fmt::format("prepare {}", sql.substr(0, 60)));
  return Statement(db, std::move(stmt));
}

Result<bool> Statement::step(std::string_view what) {
  if (bind_rc_ != SQLITE_OK) {
    const int bind_rc = bind_rc_;
    bind_rc_ = SQLITE_OK;
    return sqlite_error(nullptr, bind_rc, fmt::format("{}: binding a value", what));
  }
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_error(db_, rc, what);
}

Status Statement::run(std::string_view what) {
  auto use = this->use();
  auto stepped = step(what);
  if (!stepped) return std::move(stepped).error();
  return ok_status();
}

std::string Statement::column_text(int index) const {
  const auto* text = sqlite3_column_text(stmt_.get(), index);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), index)));
}

Result<Transaction> Transaction::begin_immediate(sqlite3* db) {
  auto begun = exec(db, "BEGIN IMMEDIATE");
  if (!begun) return std::move(begun).error();
  return Transaction(db);
}

Result<Transaction> Transaction::begin_read(sqlite3* db) {
  auto begun = exec(db, "BEGIN");
  if (!begun) return std::move(begun).error();
  return Transaction(db);
}

Transaction::~Transaction() {
  // After some errors (disk full, I/O) SQLite has already rolled back; a
  // second ROLLBACK would only fail, so ask first.
  if (db_ != nullptr && sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

Status Transaction::commit() {
  auto committed = exec(db_, "COMMIT");
  if (!committed) return committed;  // the destructor rolls back what is left
  db_ = nullptr;
  return ok_status();
}

}  // namespace gb::sinks::detail
