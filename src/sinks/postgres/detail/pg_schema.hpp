#pragma once
// The PostgreSQL store's tables, created and migrated by numbered steps
// recorded in schema_migrations. Opening takes a transaction-scoped advisory
// lock first, so processes opening one database at once migrate it once.
#include "base/result.hpp"
#include "sinks/postgres/detail/pg_conn.hpp"

namespace gb::sinks::detail::pg {

// Brings the database to PostgresSink::kSchemaVersion. kInvalidInput when it
// holds our tables without a schema_migrations row (not ours) or a version
// newer than this program's.
Status migrate_postgres(Connection& conn);

}  // namespace gb::sinks::detail::pg
