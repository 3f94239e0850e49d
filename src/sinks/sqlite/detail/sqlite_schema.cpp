#include "sinks/sqlite/detail/sqlite_schema.hpp"

#include <fmt/format.h>

#include <array>
#include <string>

#include "base/log.hpp"
#include "sinks/sqlite/detail/sqlite_db.hpp"

namespace gb::sinks::detail {
namespace {

// kMigrations[v] takes a file from user_version v to v + 1. Append only: a
// released step never changes, so every file reaches the same layout.
constexpr std::array<const char*, SqliteSink::kSchemaVersion> kMigrations = {
    // 0 -> 1
    R"sql(
CREATE TABLE jobs (
  job_id          TEXT NOT NULL PRIMARY KEY,
  type            TEXT NOT NULL DEFAULT '',
  state           TEXT NOT NULL DEFAULT '',
  error           TEXT NOT NULL DEFAULT '',
  expected_chunks INTEGER NOT NULL DEFAULT -1,
  query_hash      TEXT NOT NULL DEFAULT '',  -- lets a rerun adopt its unfinished job
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL
);
CREATE INDEX jobs_by_query ON jobs (type, query_hash);
-- The ledger: one row per chunk (or cursor page) that landed or failed.
CREATE TABLE chunks (
  job_id      TEXT NOT NULL,
  chunk_id    TEXT NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('landed', 'failed')),
  records     INTEGER NOT NULL DEFAULT 0,
  quarantined INTEGER NOT NULL DEFAULT 0,
  bytes       INTEGER NOT NULL DEFAULT 0,
  attempts    INTEGER NOT NULL DEFAULT 0,
  error       TEXT NOT NULL DEFAULT '',
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  PRIMARY KEY (job_id, chunk_id)
);
-- payload is TEXT: the parser has checked it is valid UTF-8, and TEXT lets
-- json_extract() and the sqlite3 shell read it (ADR 0004).
CREATE TABLE records (
  job_id     TEXT NOT NULL,
  chunk_id   TEXT NOT NULL,
  ordinal    INTEGER NOT NULL,
  record_key TEXT NOT NULL,
  payload    TEXT NOT NULL,
  PRIMARY KEY (job_id, chunk_id, ordinal)
);
CREATE INDEX records_by_key ON records (record_key);
-- raw is a BLOB: it may be invalid UTF-8, and must come back byte for byte.
CREATE TABLE quarantine (
  job_id   TEXT NOT NULL,
  chunk_id TEXT NOT NULL,
  ordinal  INTEGER NOT NULL,
  reason   TEXT NOT NULL,
  raw      BLOB NOT NULL,
  PRIMARY KEY (job_id, chunk_id, ordinal)
);
)sql",
    // 1 -> 2
    R"sql(
-- One row per breaker: the last state an export saw, shown by `status`.
CREATE TABLE api_health (
  name          TEXT NOT NULL PRIMARY KEY,
  breaker_state TEXT NOT NULL,
  reason        TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);
)sql",
    // 2 -> 3
    R"sql(
-- A cursor page's row keeps the cursor of the page after it (NULL: not
-- known, as in rows written before version 3, and for bulk chunks; '' after
-- the last page), so a page chain resumes where it stopped.
ALTER TABLE chunks ADD COLUMN next_cursor TEXT;
-- Idempotency keys (a Celery task id): which job a submit created, so a
-- redelivered submit adopts it instead of creating a second one.
CREATE TABLE job_keys (
  idem_key   TEXT NOT NULL PRIMARY KEY,
  job_id     TEXT NOT NULL,
  created_at TEXT NOT NULL
);
)sql",
    // 3 -> 4
    R"sql(
-- An object store's landing keeps its object's SHA-256 here when SQLite
-- holds its state ('' for records landed in this file).
ALTER TABLE chunks ADD COLUMN checksum TEXT NOT NULL DEFAULT '';
)sql",
};

const char* sync_name(SqliteSync sync) {
  switch (sync) {
    case SqliteSync::kOff: return "OFF";
    case SqliteSync::kNormal: return "NORMAL";
    case SqliteSync::kFull: return "FULL";
  }
  return "NORMAL";
}

Status migrate(sqlite3* db) {
  // IMMEDIATE: two processes opening a new file at once must not both create it.
  auto tx = Transaction::begin_immediate(db);
  if (!tx) return std::move(tx).error();
  auto version = query_int(db, "PRAGMA user_version");
  if (!version) return std::move(version).error();
  auto tables = query_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'");
  if (!tables) return std::move(tables).error();
  if (*version == 0 && *tables > 0) {
    return invalid_input("SQLite: the file has tables but no genesys-bulk schema version: not a genesys-bulk database");
  }
  if (*version > SqliteSink::kSchemaVersion) {
    return invalid_input(
        fmt::format("SQLite: schema version {} is newer than this program's ({}); upgrade genesys-bulk", *version,
                    SqliteSink::kSchemaVersion));
  }
  if (*version == SqliteSink::kSchemaVersion) return ok_status();  // rolled back: nothing to do
  for (auto v = *version; v < SqliteSink::kSchemaVersion; ++v) {
    auto step = exec(db, kMigrations[static_cast<std::size_t>(v)]);
    if (!step) return step;
  }
  auto set = exec(db, fmt::format("PRAGMA user_version = {}", SqliteSink::kSchemaVersion).c_str());
  if (!set) return set;
  log::info("sqlite schema ready")
      .field("from_version", static_cast<std::int64_t>(*version))
      .field("to_version", SqliteSink::kSchemaVersion)
      .emit();
  return tx->commit();
}

}  // namespace

Status check_settings(const SqliteSettings& s) {
  if (s.path.empty()) return invalid_input("sqlite sink: empty path");
  const bool power_of_two = s.page_size > 0 && (s.page_size & (s.page_size - 1)) == 0;
  if (!power_of_two || s.page_size < 512 || s.page_size > 65536) {
    return invalid_input(fmt::format("sqlite sink: page_size {} is not a power of two in [512, 65536]", s.page_size));
  }
  if (s.rows_per_insert < 1 || s.rows_per_insert > 256) {
    return invalid_input(fmt::format("sqlite sink: rows_per_insert {} is not in [1, 256]", s.rows_per_insert));
  }
  if (s.busy_timeout.count() < 0) return invalid_input("sqlite sink: negative busy_timeout");
  if (s.cache_size_kib < 64) return invalid_input("sqlite sink: cache_size_kib below 64");
  if (s.journal_size_limit < 0) return invalid_input("sqlite sink: negative journal_size_limit");
  return ok_status();
}

Status prepare_schema(sqlite3* db, const SqliteSettings& settings) {
  // Creating or migrating takes the write lock: wait for another process.
  const int rc = sqlite3_busy_timeout(db, static_cast<int>(settings.busy_timeout.count()));
  if (rc != SQLITE_OK) return sqlite_error(db, rc, "busy_timeout");
  // A no-op on a file that already has pages; must precede the first table.
  auto page = exec(db, fmt::format("PRAGMA page_size = {}", settings.page_size).c_str());
  if (!page) return page;
  auto migrated = migrate(db);
  if (!migrated) return migrated;
  // WAL persists in the file; it cannot be switched inside a transaction.
  auto mode = Statement::prepare(db, "PRAGMA journal_mode = WAL");
  if (!mode) return std::move(mode).error();
  auto use = mode->use();
  auto row = mode->step("PRAGMA journal_mode = WAL");
  if (!row) return std::move(row).error();
  if (*row && mode->column_text(0) != "wal") {
    log::warn("sqlite could not switch to WAL; writes will be slower")
        .field("journal_mode", mode->column_text(0))
        .emit();
  }
  return ok_status();
}

Status apply_connection_pragmas(sqlite3* db, const SqliteSettings& settings) {
  const int rc = sqlite3_busy_timeout(db, static_cast<int>(settings.busy_timeout.count()));
  if (rc != SQLITE_OK) return sqlite_error(db, rc, "busy_timeout");
  const std::string pragmas = fmt::format(
      "PRAGMA synchronous = {}; PRAGMA cache_size = -{}; PRAGMA journal_size_limit = {}; PRAGMA temp_store = MEMORY;",
      sync_name(settings.synchronous), settings.cache_size_kib, settings.journal_size_limit);
  return exec(db, pragmas.c_str());
}

}  // namespace gb::sinks::detail
