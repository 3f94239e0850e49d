#pragma once
// What a user checks after an interrupted run: every chunk the ledger calls
// landed holds exactly the records and quarantined rows it says, and no
// record or quarantined row belongs to a chunk the ledger does not call landed.
#include <sqlite3.h>

#include <string>

namespace gb::testing {

struct LedgerCheck {
  int landed_chunks = -1;  // -1: the store could not be read
  int mismatched = -1;     // chunks whose rows disagree with their ledger row, or rows without one
};

inline LedgerCheck check_ledger(const std::string& db_path) {
  LedgerCheck out;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return out;
  }
  sqlite3_busy_timeout(db, 5000);
  auto count = [db](const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    int n = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
      n = sqlite3_column_int(stmt, 0);
    }
    sqlite3_finalize(stmt);
    return n;
  };
  out.landed_chunks = count("SELECT COUNT(*) FROM chunks WHERE state = 'landed'");
  out.mismatched = count(R"sql(
    WITH r AS (SELECT job_id, chunk_id, COUNT(*) AS n FROM records GROUP BY job_id, chunk_id),
         q AS (SELECT job_id, chunk_id, COUNT(*) AS n FROM quarantine GROUP BY job_id, chunk_id)
    SELECT
      (SELECT COUNT(*) FROM chunks c
         LEFT JOIN r ON r.job_id = c.job_id AND r.chunk_id = c.chunk_id
         LEFT JOIN q ON q.job_id = c.job_id AND q.chunk_id = c.chunk_id
       WHERE c.state = 'landed' AND (c.records != COALESCE(r.n, 0) OR c.quarantined != COALESCE(q.n, 0)))
    + (SELECT COUNT(*) FROM r WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.job_id = r.job_id
                                                AND c.chunk_id = r.chunk_id AND c.state = 'landed'))
    + (SELECT COUNT(*) FROM q WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.job_id = q.job_id
                                                AND c.chunk_id = q.chunk_id AND c.state = 'landed'))
  )sql");
  sqlite3_close(db);
  return out;
}

}  // namespace gb::testing
