#include "sinks/postgres/detail/pg_schema.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdlib>
#include <string>

#include "base/log.hpp"
#include "sinks/postgres/postgres_sink.hpp"

namespace gb::sinks::detail::pg {
namespace {

// Any constant shared by every genesys-bulk process: the advisory lock that
// serialises migrations ("gb-schema" in ASCII).
constexpr const char* kLockSql = "SELECT pg_advisory_xact_lock(7453171208461936997)";

// kMigrations[v] takes a database from version v to v + 1. Append only: a
// released step never changes. The layout is SQLite's (sqlite_schema.cpp)
// with PostgreSQL's types: payload jsonb, raw bytea, timestamps timestamptz.
constexpr std::array<const char*, PostgresSink::kSchemaVersion> kMigrations = {
    // 0 -> 1
    R"sql(
CREATE TABLE jobs (
  job_id          text NOT NULL PRIMARY KEY,
  type            text NOT NULL DEFAULT '',
  state           text NOT NULL DEFAULT '',
  error           text NOT NULL DEFAULT '',
  expected_chunks bigint NOT NULL DEFAULT -1,
  query_hash      text NOT NULL DEFAULT '',  -- lets a rerun adopt its unfinished job
  created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  seq             bigint GENERATED ALWAYS AS IDENTITY  -- creation order among equal timestamps
);
CREATE INDEX jobs_by_query ON jobs (type, query_hash);
-- The ledger: one row per chunk (or cursor page) that landed or failed.
-- next_cursor: a cursor page's successor (NULL for bulk chunks, '' after the
-- last page). checksum: an object store's SHA-256 of the chunk's object.
CREATE TABLE chunks (
  job_id      text NOT NULL,
  chunk_id    text NOT NULL,
  state       text NOT NULL CHECK (state IN ('landed', 'failed')),
  records     bigint NOT NULL DEFAULT 0,
  quarantined bigint NOT NULL DEFAULT 0,
  bytes       bigint NOT NULL DEFAULT 0,
  attempts    integer NOT NULL DEFAULT 0,
  error       text NOT NULL DEFAULT '',
  next_cursor text,
  checksum    text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (job_id, chunk_id)
);
CREATE TABLE records (
  job_id     text NOT NULL,
  chunk_id   text NOT NULL,
  ordinal    bigint NOT NULL,
  record_key text NOT NULL,
  payload    jsonb NOT NULL,
  PRIMARY KEY (job_id, chunk_id, ordinal)
);
CREATE INDEX records_by_key ON records (record_key);
-- lz4 TOAST compression lands 3.5 KB records markedly faster than the
-- default pglz at the same size (ADR 0011); a server built without lz4
-- keeps pglz.
DO $$ BEGIN
  ALTER TABLE records ALTER COLUMN payload SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN NULL;
END $$;
-- raw is bytea: it may be invalid UTF-8 or hold NUL, and comes back byte for byte.
CREATE TABLE quarantine (
  job_id   text NOT NULL,
  chunk_id text NOT NULL,
  ordinal  bigint NOT NULL,
  reason   text NOT NULL,
  raw      bytea NOT NULL,
  PRIMARY KEY (job_id, chunk_id, ordinal)
);
-- Idempotency keys (a Celery task id): which job a submit created.
CREATE TABLE job_keys (
  idem_key   text NOT NULL PRIMARY KEY,
  job_id     text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- One row per breaker: the last state an export saw, shown by `status`.
CREATE TABLE api_health (
  name          text NOT NULL PRIMARY KEY,
  breaker_state text NOT NULL,
  reason        text NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
)sql",
};

Result<long> query_long(Connection& conn, const char* sql) {
  auto res = conn.query(sql, {}, sql);
  if (!res) return std::move(res).error();
  if (PQntuples(res->get()) != 1 || PQgetisnull(res->get(), 0, 0)) return 0L;
  return std::strtol(PQgetvalue(res->get(), 0, 0), nullptr, 10);
}

}  // namespace

Status migrate_postgres(Connection& conn) {
  auto tx = Transaction::begin(conn);
  if (!tx) return std::move(tx).error();
  if (auto locked = conn.exec(kLockSql); !locked) return locked;
  auto has_table = query_long(conn,
                              "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND "
                              "tablename IN ('jobs', 'chunks', 'records', 'quarantine')");
  if (!has_table) return std::move(has_table).error();
  auto has_versions = query_long(
      conn, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_migrations'");
  if (!has_versions) return std::move(has_versions).error();
  if (*has_versions == 0) {
    if (*has_table > 0) {
      return invalid_input(
          "postgresql: the database has jobs/chunks/records tables but no schema_migrations: not a genesys-bulk "
          "database");
    }
    auto made = conn.exec(
        "CREATE TABLE schema_migrations (version integer NOT NULL PRIMARY KEY, "
        "applied_at timestamptz NOT NULL DEFAULT clock_timestamp())");
    if (!made) return made;
  }
  auto version = query_long(conn, "SELECT coalesce(max(version), 0) FROM schema_migrations");
  if (!version) return std::move(version).error();
  if (*version > PostgresSink::kSchemaVersion) {
    return invalid_input(
        fmt::format("postgresql: schema version {} is newer than this program's ({}); upgrade "
                    "genesys-bulk",
                    *version, PostgresSink::kSchemaVersion));
  }
  if (*version == PostgresSink::kSchemaVersion) return tx->commit();
  for (auto v = *version; v < PostgresSink::kSchemaVersion; ++v) {
    if (auto step = conn.exec(kMigrations[static_cast<std::size_t>(v)]); !step) return step;
    const std::string record = fmt::format("INSERT INTO schema_migrations (version) VALUES ({})", v + 1);
    if (auto noted = conn.exec(record.c_str()); !noted) return noted;
  }
  log::info("postgresql schema ready")
      .field("from_version", static_cast<std::int64_t>(*version))
      .field("to_version", PostgresSink::kSchemaVersion)
      .emit();
  return tx->commit();
}

}  // namespace gb::sinks::detail::pg
