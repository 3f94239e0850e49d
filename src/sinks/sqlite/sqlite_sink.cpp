#include "sinks/sqlite/sqlite_sink.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <string_view>

#include "base/ids.hpp"
#include "base/log.hpp"
#include "sinks/sqlite/detail/sqlite_db.hpp"
#include "sinks/sqlite/detail/sqlite_schema.hpp"
#include "sinks/sqlite/sqlite_reader.hpp"

namespace gb::sinks {
namespace {

using detail::Statement;

// Ledger errors are for humans; a multi-megabyte message helps nobody.
constexpr std::size_t kMaxErrorBytes = 4096;

#define GB_NOW "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

constexpr std::string_view kFindChunk = "SELECT state FROM chunks WHERE job_id = ?1 AND chunk_id = ?2";
constexpr std::string_view kEnsureJob =
    "INSERT INTO jobs (job_id, created_at, updated_at) VALUES (?1, " GB_NOW ", " GB_NOW
    ") "
    "ON CONFLICT (job_id) DO NOTHING";
constexpr std::string_view kInsertQuarantine =
    "INSERT INTO quarantine (job_id, chunk_id, ordinal, reason, raw) VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr std::string_view kUpsertLanded =
    "INSERT INTO chunks (job_id, chunk_id, state, records, quarantined, bytes, attempts, error, next_cursor, "
    "checksum, created_at, updated_at) "
    "VALUES (?1, ?2, 'landed', ?3, ?4, ?5, ?6, '', ?7, ?8, " GB_NOW ", " GB_NOW
    ") "
    "ON CONFLICT (job_id, chunk_id) DO UPDATE SET state = 'landed', records = excluded.records, "
    "quarantined = excluded.quarantined, bytes = excluded.bytes, attempts = excluded.attempts, error = '', "
    "next_cursor = excluded.next_cursor, checksum = excluded.checksum, updated_at = excluded.updated_at";
// The WHERE keeps a landed chunk landed: a late failure report never downgrades it.
constexpr std::string_view kUpsertFailed =
    "INSERT INTO chunks (job_id, chunk_id, state, attempts, error, created_at, updated_at) "
    "VALUES (?1, ?2, 'failed', ?3, ?4, " GB_NOW ", " GB_NOW
    ") "
    "ON CONFLICT (job_id, chunk_id) DO UPDATE SET state = 'failed', attempts = excluded.attempts, "
    "error = excluded.error, updated_at = excluded.updated_at WHERE chunks.state <> 'landed'";
constexpr std::string_view kUpsertApiHealth =
    "INSERT INTO api_health (name, breaker_state, reason, updated_at) VALUES ('api', ?1, ?2, " GB_NOW
    ") "
    "ON CONFLICT (name) DO UPDATE SET breaker_state = excluded.breaker_state, reason = excluded.reason, "
    "updated_at = excluded.updated_at";
constexpr std::string_view kApiHealth = "SELECT breaker_state, reason, updated_at FROM api_health WHERE name = 'api'";
constexpr std::string_view kLandedChunks =
    "SELECT chunk_id FROM chunks WHERE job_id = ?1 AND state = 'landed' ORDER BY chunk_id";
constexpr std::string_view kLandedCursors =
    "SELECT chunk_id, next_cursor FROM chunks WHERE job_id = ?1 AND state = 'landed' ORDER BY chunk_id";
constexpr std::string_view kFindKey = "SELECT job_id FROM job_keys WHERE idem_key = ?1";
// First writer wins: a key, once recorded, always names the same job.
constexpr std::string_view kInsertKey =
    "INSERT INTO job_keys (idem_key, job_id, created_at) VALUES (?1, ?2, " GB_NOW ") ON CONFLICT (idem_key) DO NOTHING";
// An empty query_hash keeps the stored one (JobInfo's contract).
constexpr std::string_view kUpsertJob =
    "INSERT INTO jobs (job_id, type, state, error, expected_chunks, query_hash, created_at, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, " GB_NOW ", " GB_NOW
    ") "
    "ON CONFLICT (job_id) DO UPDATE SET type = excluded.type, state = excluded.state, error = excluded.error, "
    "expected_chunks = excluded.expected_chunks, "
    "query_hash = CASE WHEN excluded.query_hash = '' THEN jobs.query_hash ELSE excluded.query_hash END, "
    "updated_at = excluded.updated_at";
#define GB_JOB_COLUMNS "job_id, type, state, error, expected_chunks, query_hash, updated_at, created_at"
constexpr std::string_view kAllJobs = "SELECT " GB_JOB_COLUMNS " FROM jobs ORDER BY created_at, rowid";
constexpr std::string_view kOneJob = "SELECT " GB_JOB_COLUMNS " FROM jobs WHERE job_id = ?1";
constexpr std::string_view kJobsByQuery = "SELECT " GB_JOB_COLUMNS
                                          " FROM jobs WHERE type = ?1 AND query_hash = ?2 "
                                          "ORDER BY updated_at DESC, rowid DESC";
#undef GB_JOB_COLUMNS
constexpr std::string_view kJobChunks =
    "SELECT chunk_id, state, records, quarantined, bytes, attempts, error, updated_at, checksum FROM chunks "
    "WHERE job_id = ?1 ORDER BY chunk_id";

#undef GB_NOW

// INSERT INTO records ... VALUES (?1, ?2, ?3, ?4, ?5), (?1, ?2, ?6, ?7, ?8), ...:
// job and chunk are bound once, each row adds ordinal, key, payload.
std::string insert_records_sql(int rows) {
  std::string sql = "INSERT INTO records (job_id, chunk_id, ordinal, record_key, payload) VALUES ";
  for (int r = 0; r < rows; ++r) {
    const int p = 3 + 3 * r;
    sql += fmt::format("{}(?1, ?2, ?{}, ?{}, ?{})", r == 0 ? "" : ", ", p, p + 1, p + 2);
  }
  return sql;
}

Status check_chunk(const ChunkRef& chunk) {
  if (!is_valid_id(chunk.job_id)) return invalid_input("sqlite sink: invalid job id");
  if (!is_valid_id(chunk.chunk_id)) return invalid_input("sqlite sink: invalid chunk id");
  return ok_status();
}

// Columns as selected by kAllJobs, kOneJob and kJobsByQuery.
JobInfo job_from_row(const Statement& row) {
  JobInfo job;
  job.job_id = row.column_text(0);
  job.type = row.column_text(1);
  job.state = row.column_text(2);
  job.error = row.column_text(3);
  job.expected_chunks = row.column_int(4);
  job.query_hash = row.column_text(5);
  return job;
}

// Cut at a character boundary, so a TEXT column stays valid UTF-8.
std::string_view bounded(std::string_view text) {
  if (text.size() <= kMaxErrorBytes) return text;
  std::size_t end = kMaxErrorBytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

// Errors written to the file go through the same redaction as log lines: a
// token or secret that slipped into a message must not be stored either.
std::string for_ledger(std::string_view error) {
  return log::redact(bounded(error));
}

}  // namespace

struct SqliteSink::Impl {
  SqliteSettings settings;
  std::mutex mutex;
  detail::DbHandle db;  // declared before the statements: destroyed after them
  int page_size = 0;
  Statement find_chunk, ensure_job, insert_record, insert_records_n, insert_quarantine, upsert_landed, upsert_failed,
      landed_chunks, upsert_job, all_jobs, one_job, jobs_by_query, job_chunks, upsert_api_health, read_api_health,
      landed_cursors, find_key, insert_key;

  Status prepare_all() {
    struct Item {
      Statement* stmt;
      std::string sql;
    };
    const Item items[] = {
        {&find_chunk, std::string(kFindChunk)},
        {&ensure_job, std::string(kEnsureJob)},
        {&insert_record, insert_records_sql(1)},
        {&insert_records_n, insert_records_sql(settings.rows_per_insert)},
        {&insert_quarantine, std::string(kInsertQuarantine)},
        {&upsert_landed, std::string(kUpsertLanded)},
        {&upsert_failed, std::string(kUpsertFailed)},
        {&landed_chunks, std::string(kLandedChunks)},
        {&upsert_job, std::string(kUpsertJob)},
        {&all_jobs, std::string(kAllJobs)},
        {&one_job, std::string(kOneJob)},
        {&jobs_by_query, std::string(kJobsByQuery)},
        {&job_chunks, std::string(kJobChunks)},
        {&upsert_api_health, std::string(kUpsertApiHealth)},
        {&read_api_health, std::string(kApiHealth)},
        {&landed_cursors, std::string(kLandedCursors)},
        {&find_key, std::string(kFindKey)},
        {&insert_key, std::string(kInsertKey)},
    };
    for (const auto& item : items) {
      auto stmt = Statement::prepare(db.get(), item.sql);
      if (!stmt) return std::move(stmt).error();
      *item.stmt = std::move(stmt).value();
    }
    return ok_status();
  }

  // Inserts one batch; the batch's strings stay alive (SQLITE_STATIC) until
  // each statement has been stepped and reset.
  Status insert_batch(const records::RecordBatch& batch, LandResult& result) {
    const auto& records = batch.records;
    const std::size_t n = static_cast<std::size_t>(settings.rows_per_insert);
    std::size_t i = 0;
    if (n > 1) {
      for (; i + n <= records.size(); i += n) {
        for (std::size_t r = 0; r < n; ++r) {
          const auto& rec = records[i + r];
          const int p = 3 + 3 * static_cast<int>(r);
          insert_records_n.bind_int(p, static_cast<std::int64_t>(rec.ordinal));
          insert_records_n.bind_text(p + 1, rec.key);
          insert_records_n.bind_text(p + 2, rec.raw);
          result.bytes += rec.raw.size();
        }
        auto done = insert_records_n.run("insert records");
        if (!done) return done;
      }
    }
    for (; i < records.size(); ++i) {
      const auto& rec = records[i];
      insert_record.bind_int(3, static_cast<std::int64_t>(rec.ordinal));
      insert_record.bind_text(4, rec.key);
      insert_record.bind_text(5, rec.raw);
      result.bytes += rec.raw.size();
      auto done = insert_record.run("insert record");
      if (!done) return done;
    }
    result.records += records.size();
    for (const auto& q : batch.quarantined) {
      insert_quarantine.bind_int(3, static_cast<std::int64_t>(q.ordinal));
      insert_quarantine.bind_text(4, bounded(q.reason));
      if (q.large) {
        insert_quarantine.bind_zeroblob(5, q.large->size());
      } else {
        insert_quarantine.bind_blob(5, q.raw);
      }
      result.bytes += q.size();
      auto done = insert_quarantine.run("insert quarantined record");
      if (!done) return done;
      if (q.large) {
        auto written = write_blob(sqlite3_last_insert_rowid(db.get()), *q.large);
        if (!written) return written;
      }
    }
    result.quarantined += batch.quarantined.size();
    return ok_status();
  }

  // Streams a large quarantined record into the row just inserted with a
  // zeroblob of its size (incremental BLOB I/O: never held whole), inside
  // the landing's transaction.
  Status write_blob(sqlite3_int64 rowid, const records::LargeBytes& bytes) {
    constexpr std::size_t kPiece = 1 << 20;
    sqlite3_blob* blob = nullptr;
    if (int rc = sqlite3_blob_open(db.get(), "main", "quarantine", "raw", rowid, 1, &blob); rc != SQLITE_OK) {
      sqlite3_blob_close(blob);
      return detail::sqlite_error(db.get(), rc, "open a quarantined record's BLOB");
    }
    std::string piece(kPiece, '\0');
    Status status = ok_status();
    for (std::uint64_t at = 0; at < bytes.size() && status;) {
      auto got = bytes.read(at, piece.data(), piece.size());
      if (!got) {
        status = std::move(got).error();
        break;
      }
      if (int rc = sqlite3_blob_write(blob, piece.data(), static_cast<int>(*got), static_cast<int>(at));
          rc != SQLITE_OK) {
        status = detail::sqlite_error(db.get(), rc, "write a quarantined record's BLOB");
      }
      at += *got;
    }
    if (int rc = sqlite3_blob_close(blob); rc != SQLITE_OK && status) {
      status = detail::sqlite_error(db.get(), rc, "close a quarantined record's BLOB");
    }
    return status;
  }

  Result<bool> is_landed_locked(const ChunkRef& chunk) {
    find_chunk.bind_text(1, chunk.job_id);
    find_chunk.bind_text(2, chunk.chunk_id);
    auto use = find_chunk.use();
    auto row = find_chunk.step("look up chunk");
    if (!row) return std::move(row).error();
    return *row && find_chunk.column_text(0) == "landed";
  }

  // The ledger row of a landed chunk (and its job's row, if new), inside the
  // caller's transaction.
  Status write_landed_row(const ChunkRef& chunk, const LandResult& result, int attempts,
                          const std::optional<std::string>& next_cursor) {
    ensure_job.bind_text(1, chunk.job_id);
    if (auto job = ensure_job.run("record job"); !job) return job;
    upsert_landed.bind_text(1, chunk.job_id);
    upsert_landed.bind_text(2, chunk.chunk_id);
    upsert_landed.bind_int(3, static_cast<std::int64_t>(result.records));
    upsert_landed.bind_int(4, static_cast<std::int64_t>(result.quarantined));
    upsert_landed.bind_int(5, static_cast<std::int64_t>(result.bytes));
    upsert_landed.bind_int(6, attempts);
    // Bound every time: bindings survive a reset, and a bulk chunk must not
    // inherit the previous page's cursor.
    if (next_cursor) {
      upsert_landed.bind_text(7, *next_cursor);
    } else {
      upsert_landed.bind_null(7);
    }
    upsert_landed.bind_text(8, result.checksum);
    return upsert_landed.run("write ledger row");
  }

  // next_cursor: a page's (kept in its ledger row); nullopt for a bulk chunk.
  Result<LandResult> land_locked(const ChunkRef& chunk, BatchSource& source, int attempts,
                                 const std::optional<std::string>& next_cursor) {
    auto tx = detail::Transaction::begin_immediate(db.get());
    if (!tx) return std::move(tx).error();
    auto landed = is_landed_locked(chunk);
    if (!landed) return std::move(landed).error();
    if (*landed) {
      LandResult skipped;
      skipped.already_landed = true;
      return skipped;  // the transaction rolls back: nothing was written
    }
    ensure_job.bind_text(1, chunk.job_id);
    auto job = ensure_job.run("record job");
    if (!job) return std::move(job).error();

    // Bindings survive sqlite3_reset, so job and chunk are bound once per landing.
    for (Statement* stmt : {&insert_record, &insert_records_n, &insert_quarantine}) {
      stmt->bind_text(1, chunk.job_id);
      stmt->bind_text(2, chunk.chunk_id);
    }
    LandResult result;
    records::RecordBatch batch;
    for (;;) {
      // No clear() here: next() clears (BatchSource's contract), and a source
      // may lend its own storage by swapping it in, as the benchmark does.
      auto more = source.next(batch);
      if (!more) return std::move(more).error();
      if (!*more) break;
      auto inserted = insert_batch(batch, result);
      if (!inserted) return std::move(inserted).error();
    }

    auto ledger = write_landed_row(chunk, result, attempts, next_cursor);
    if (!ledger) return std::move(ledger).error();
    auto committed = tx->commit();
    if (!committed) return std::move(committed).error();
    return result;
  }
};

SqliteSink::SqliteSink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteSink::~SqliteSink() = default;

Result<std::unique_ptr<SqliteSink>> SqliteSink::open(const SqliteSettings& settings) {
  auto valid = detail::check_settings(settings);
  if (!valid) return std::move(valid).error();
  auto impl = std::make_unique<Impl>();
  impl->settings = settings;
  auto db = detail::open_db(settings.path, /*create=*/true);
  if (!db) return std::move(db).error();
  impl->db = std::move(db).value();
  auto fail = [&](Error error) {
    if (error.message.find(settings.path) == std::string::npos)
      error.message += fmt::format(" (file '{}')", settings.path);
    // At start-up, "file is not a database", a read-only file and the like
    // are the user's path to fix, not a bug of ours.
    if (error.kind == ErrorKind::kInternal) error.kind = ErrorKind::kInvalidInput;
    // Locked past busy_timeout: nothing was sent or changed yet.
    if (error.transient()) error.message += "; run the same command again once it is free";
    return error;
  };
  auto schema = detail::prepare_schema(impl->db.get(), settings);
  if (!schema) return fail(std::move(schema).error());
  auto pragmas = detail::apply_connection_pragmas(impl->db.get(), settings);
  if (!pragmas) return fail(std::move(pragmas).error());
  auto page_size = detail::query_int(impl->db.get(), "PRAGMA page_size");
  if (!page_size) return fail(std::move(page_size).error());
  impl->page_size = static_cast<int>(*page_size);
  auto prepared = impl->prepare_all();
  if (!prepared) return fail(std::move(prepared).error());
  return std::unique_ptr<SqliteSink>(new SqliteSink(std::move(impl)));
}

std::uint64_t SqliteSink::memory_bytes() const {
  return static_cast<std::uint64_t>(impl_->settings.cache_size_kib) * 1024;
}

int SqliteSink::page_size() const {
  return impl_->page_size;
}

Status SqliteSink::upsert_job(const JobInfo& job) {
  if (!is_valid_id(job.job_id)) return invalid_input("sqlite sink: invalid job id");
  std::lock_guard lock(impl_->mutex);
  auto& stmt = impl_->upsert_job;
  stmt.bind_text(1, job.job_id);
  stmt.bind_text(2, job.type);
  stmt.bind_text(3, job.state);
  const std::string job_error = for_ledger(job.error);
  stmt.bind_text(4, job_error);
  stmt.bind_int(5, job.expected_chunks);
  stmt.bind_text(6, job.query_hash);
  return stmt.run("upsert job");
}

Result<std::vector<std::string>> SqliteSink::landed_chunks(const std::string& job_id) {
  if (!is_valid_id(job_id)) return invalid_input("sqlite sink: invalid job id");
  std::lock_guard lock(impl_->mutex);
  auto& stmt = impl_->landed_chunks;
  stmt.bind_text(1, job_id);
  auto use = stmt.use();
  std::vector<std::string> out;
  for (;;) {
    auto row = stmt.step("list landed chunks");
    if (!row) return std::move(row).error();
    if (!*row) break;
    out.push_back(stmt.column_text(0));
  }
  return out;
}

Result<LandResult> SqliteSink::land(const ChunkRef& chunk, BatchSource& source, int attempts,
                                    const std::optional<std::string>& next_cursor) {
  auto valid = check_chunk(chunk);
  if (!valid) return std::move(valid).error();
  std::lock_guard lock(impl_->mutex);
  auto landed = impl_->land_locked(chunk, source, attempts, next_cursor);
  if (landed && !landed->already_landed) {
    log::debug("chunk landed")
        .field("job_id", chunk.job_id)
        .field("chunk_id", chunk.chunk_id)
        .field("records", landed->records)
        .field("quarantined", landed->quarantined)
        .field("bytes", landed->bytes)
        .emit();
  }
  return landed;
}

Result<bool> SqliteSink::is_landed(const ChunkRef& chunk) {
  auto valid = check_chunk(chunk);
  if (!valid) return std::move(valid).error();
  std::lock_guard lock(impl_->mutex);
  return impl_->is_landed_locked(chunk);
}

Result<bool> SqliteSink::commit_landed(const ChunkRef& chunk, const LandResult& landed, int attempts,
                                       const std::optional<std::string>& next_cursor) {
  auto valid = check_chunk(chunk);
  if (!valid) return std::move(valid).error();
  std::lock_guard lock(impl_->mutex);
  auto tx = detail::Transaction::begin_immediate(impl_->db.get());
  if (!tx) return std::move(tx).error();
  auto already = impl_->is_landed_locked(chunk);
  if (!already) return std::move(already).error();
  if (*already) return false;
  if (auto row = impl_->write_landed_row(chunk, landed, attempts, next_cursor); !row) return std::move(row).error();
  if (auto committed = tx->commit(); !committed) return std::move(committed).error();
  return true;
}

Result<LandedKeys> SqliteSink::read_landed_keys(const std::string& job_id) {
  if (!is_valid_id(job_id)) return invalid_input("sqlite sink: invalid job id");
  return sinks::read_landed_keys(impl_->settings.path, job_id);
}

Result<std::vector<LandedChunk>> SqliteSink::landed_chunk_cursors(const std::string& job_id) {
  if (!is_valid_id(job_id)) return invalid_input("sqlite sink: invalid job id");
  std::lock_guard lock(impl_->mutex);
  auto& stmt = impl_->landed_cursors;
  stmt.bind_text(1, job_id);
  auto use = stmt.use();
  std::vector<LandedChunk> out;
  for (;;) {
    auto row = stmt.step("list landed chunks");
    if (!row) return std::move(row).error();
    if (!*row) break;
    LandedChunk c;
    c.chunk_id = stmt.column_text(0);
    if (!stmt.column_is_null(1)) c.next_cursor = stmt.column_text(1);
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::optional<std::string>> SqliteSink::find_job_by_key(const std::string& key) {
  if (!is_valid_idempotency_key(key)) return invalid_input("sqlite sink: invalid idempotency key");
  std::lock_guard lock(impl_->mutex);
  auto& stmt = impl_->find_key;
  stmt.bind_text(1, key);
  auto use = stmt.use();
  auto row = stmt.step("find job by idempotency key");
  if (!row) return std::move(row).error();
  if (!*row) return std::optional<std::string>{};
  return std::optional<std::string>{stmt.column_text(0)};
}

Result<std::string> SqliteSink::record_job_key(const std::string& key, const JobInfo& job) {
  if (!is_valid_idempotency_key(key)) return invalid_input("sqlite sink: invalid idempotency key");
  if (!is_valid_id(job.job_id)) return invalid_input("sqlite sink: invalid job id");
  std::lock_guard lock(impl_->mutex);
  auto tx = detail::Transaction::begin_immediate(impl_->db.get());
  if (!tx) return std::move(tx).error();
  auto& upsert = impl_->upsert_job;
  upsert.bind_text(1, job.job_id);
  upsert.bind_text(2, job.type);
  upsert.bind_text(3, job.state);
  const std::string job_error = for_ledger(job.error);
  upsert.bind_text(4, job_error);
  upsert.bind_int(5, job.expected_chunks);
  upsert.bind_text(6, job.query_hash);
  if (auto done = upsert.run("upsert job"); !done) return std::move(done).error();
  auto& insert = impl_->insert_key;
  insert.bind_text(1, key);
  insert.bind_text(2, job.job_id);
  if (auto done = insert.run("record idempotency key"); !done) return std::move(done).error();
  std::string recorded;
  {
    auto& find = impl_->find_key;
    find.bind_text(1, key);
    auto use = find.use();
    auto row = find.step("read idempotency key");
    if (!row) return std::move(row).error();
    if (!*row) return internal_error("sqlite sink: the idempotency key just recorded is not there");
    recorded = find.column_text(0);
  }
  if (auto committed = tx->commit(); !committed) return std::move(committed).error();
  return recorded;
}

Status SqliteSink::mark_failed(const ChunkRef& chunk, int attempts, const std::string& error) {
  auto valid = check_chunk(chunk);
  if (!valid) return valid;
  std::lock_guard lock(impl_->mutex);
  auto tx = detail::Transaction::begin_immediate(impl_->db.get());
  if (!tx) return std::move(tx).error();
  impl_->ensure_job.bind_text(1, chunk.job_id);
  auto job = impl_->ensure_job.run("record job");
  if (!job) return job;
  auto& stmt = impl_->upsert_failed;
  stmt.bind_text(1, chunk.job_id);
  stmt.bind_text(2, chunk.chunk_id);
  stmt.bind_int(3, attempts);
  const std::string stored_error = for_ledger(error);
  stmt.bind_text(4, stored_error);
  auto done = stmt.run("mark chunk failed");
  if (!done) return done;
  return tx->commit();
}

Status SqliteSink::record_api_health(const std::string& breaker_state, const std::string& reason) {
  std::lock_guard lock(impl_->mutex);
  auto& stmt = impl_->upsert_api_health;
  stmt.bind_text(1, breaker_state);
  stmt.bind_text(2, reason);
  return stmt.run("record api health");
}

Result<std::optional<ApiHealth>> SqliteSink::api_health() {
  std::lock_guard lock(impl_->mutex);
  auto& stmt = impl_->read_api_health;
  auto use = stmt.use();
  auto row = stmt.step("read api health");
  if (!row) return std::move(row).error();
  if (!*row) return std::optional<ApiHealth>{};
  return std::optional<ApiHealth>{ApiHealth{stmt.column_text(0), stmt.column_text(1), stmt.column_text(2)}};
}

Result<std::optional<JobInfo>> SqliteSink::find_unfinished_job(const std::string& type, const std::string& query_hash,
                                                               const std::vector<std::string>& final_states) {
  if (query_hash.empty()) return std::optional<JobInfo>{};  // a job named by the user is never adopted
  std::lock_guard lock(impl_->mutex);
  auto& stmt = impl_->jobs_by_query;
  stmt.bind_text(1, type);
  stmt.bind_text(2, query_hash);
  auto use = stmt.use();
  for (;;) {
    auto row = stmt.step("find unfinished job");
    if (!row) return std::move(row).error();
    if (!*row) return std::optional<JobInfo>{};
    JobInfo job = job_from_row(stmt);
    if (std::find(final_states.begin(), final_states.end(), job.state) == final_states.end()) {
      return std::optional<JobInfo>{std::move(job)};
    }
  }
}

Result<std::vector<JobStatus>> SqliteSink::status(const std::optional<std::string>& job_id) {
  if (job_id && !is_valid_id(*job_id)) return invalid_input("sqlite sink: invalid job id");
  std::lock_guard lock(impl_->mutex);
  // One read transaction, so jobs and chunks are one consistent snapshot.
  auto tx = detail::Transaction::begin_read(impl_->db.get());
  if (!tx) return std::move(tx).error();
  std::vector<JobStatus> out;
  {
    auto& jobs = job_id ? impl_->one_job : impl_->all_jobs;
    if (job_id) jobs.bind_text(1, *job_id);
    auto use = jobs.use();
    for (;;) {
      auto row = jobs.step("list jobs");
      if (!row) return std::move(row).error();
      if (!*row) break;
      JobStatus js;
      js.job = job_from_row(jobs);
      js.updated_at = jobs.column_text(6);
      js.created_at = jobs.column_text(7);
      out.push_back(std::move(js));
    }
  }
  auto& chunks = impl_->job_chunks;
  for (auto& js : out) {
    chunks.bind_text(1, js.job.job_id);
    auto use = chunks.use();
    for (;;) {
      auto row = chunks.step("list chunks");
      if (!row) return std::move(row).error();
      if (!*row) break;
      ChunkStatus cs;
      cs.chunk_id = chunks.column_text(0);
      cs.state = chunks.column_text(1);
      cs.records = static_cast<std::uint64_t>(chunks.column_int(2));
      cs.quarantined = static_cast<std::uint64_t>(chunks.column_int(3));
      cs.bytes = static_cast<std::uint64_t>(chunks.column_int(4));
      cs.attempts = static_cast<int>(chunks.column_int(5));
      cs.error = chunks.column_text(6);
      cs.updated_at = chunks.column_text(7);
      cs.checksum = chunks.column_text(8);
      js.chunks.push_back(std::move(cs));
    }
  }
  return out;
}

}  // namespace gb::sinks
