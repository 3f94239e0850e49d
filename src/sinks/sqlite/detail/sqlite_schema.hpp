#pragma once
// The SQLite file's layout and the per-connection settings, kept apart from
// the sink so the benchmark's raw baseline uses exactly the same ones.
#include <sqlite3.h>

#include "base/result.hpp"
#include "sinks/sqlite/sqlite_sink.hpp"

namespace gb::sinks::detail {

// Validates settings: kInvalidInput naming the bad field.
Status check_settings(const SqliteSettings& settings);

// On a new file: sets page_size, creates schema version kSchemaVersion, turns
// WAL on. On an existing one: migrates it up to kSchemaVersion. Refuses files
// that are not ours (tables but user_version 0) or newer than this program.
Status prepare_schema(sqlite3* db, const SqliteSettings& settings);

// busy_timeout, synchronous, cache_size, journal_size_limit, temp_store (so
// statement journals stay in memory): per connection. Apply after
// prepare_schema: SQLite turns a cache size in KiB into pages with the page
// size of the moment, and a new file's page size is only final after it.
Status apply_connection_pragmas(sqlite3* db, const SqliteSettings& settings);

}  // namespace gb::sinks::detail
