#include "sinks/postgres/postgres_sink.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <utility>

#include "base/ids.hpp"
#include "base/log.hpp"
#include "sinks/postgres/detail/jsonb_check.hpp"
#include "sinks/postgres/detail/pg_conn.hpp"
#include "sinks/postgres/detail/pg_copy.hpp"
#include "sinks/postgres/detail/pg_schema.hpp"

namespace gb::sinks {
namespace {

using detail::pg::Connection;
using detail::pg::Pool;
using detail::pg::ResultHandle;
using detail::pg::Transaction;
using Params = std::vector<std::optional<std::string>>;

// COPY data goes to libpq in pieces of about this size: large enough that
// the per-call cost vanishes, small enough to stay out of the memory budget.
constexpr std::size_t kCopyPiece = std::size_t{256} * 1024;
// What libpq holds per connection while a COPY runs (its output buffer grows
// to the pieces it is handed, and results are small): a generous bound.
constexpr std::size_t kLibpqBufferBytes = std::size_t{512} * 1024;
// Ledger errors are for humans; a multi-megabyte message helps nobody.
constexpr std::size_t kMaxErrorBytes = 4096;

#define GB_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

constexpr const char* kEnsureJob = "INSERT INTO jobs (job_id) VALUES ($1) ON CONFLICT (job_id) DO NOTHING";
// Claims the ledger row: inserted, or a failed row turned landed; nothing
// when it has landed already. A concurrent claim of the same chunk waits
// here until the first one commits (then finds it landed) or rolls back.
constexpr const char* kClaimChunk =
    "INSERT INTO chunks (job_id, chunk_id, state, attempts, next_cursor) VALUES ($1, $2, 'landed', $3, $4) "
    "ON CONFLICT (job_id, chunk_id) DO UPDATE SET state = 'landed', attempts = excluded.attempts, error = '', "
    "next_cursor = excluded.next_cursor, checksum = '', records = 0, quarantined = 0, bytes = 0, "
    "updated_at = clock_timestamp() WHERE chunks.state <> 'landed' RETURNING 1";
constexpr const char* kFillCounts =
    "UPDATE chunks SET records = $3, quarantined = $4, bytes = $5, updated_at = clock_timestamp() "
    "WHERE job_id = $1 AND chunk_id = $2";
// The whole ledger row at once (the staging design, and commit_landed).
constexpr const char* kUpsertLanded =
    "INSERT INTO chunks (job_id, chunk_id, state, records, quarantined, bytes, attempts, next_cursor, checksum) "
    "VALUES ($1, $2, 'landed', $3, $4, $5, $6, $7, $8) "
    "ON CONFLICT (job_id, chunk_id) DO UPDATE SET state = 'landed', records = excluded.records, "
    "quarantined = excluded.quarantined, bytes = excluded.bytes, attempts = excluded.attempts, error = '', "
    "next_cursor = excluded.next_cursor, checksum = excluded.checksum, updated_at = clock_timestamp() "
    "WHERE chunks.state <> 'landed' RETURNING 1";
constexpr const char* kChunkState = "SELECT state FROM chunks WHERE job_id = $1 AND chunk_id = $2";
constexpr const char* kMakeStaging =
    "CREATE TEMP TABLE IF NOT EXISTS gb_staging (LIKE records INCLUDING DEFAULTS) ON COMMIT DELETE ROWS";
constexpr const char* kFromStaging = "INSERT INTO records SELECT * FROM gb_staging ON CONFLICT DO NOTHING";
constexpr const char* kCopyQuarantine =
    "COPY quarantine (job_id, chunk_id, ordinal, reason, raw) FROM STDIN (FORMAT binary)";
// The WHERE keeps a landed chunk landed: a late failure report never downgrades it.
constexpr const char* kUpsertFailed =
    "INSERT INTO chunks (job_id, chunk_id, state, attempts, error) VALUES ($1, $2, 'failed', $3, $4) "
    "ON CONFLICT (job_id, chunk_id) DO UPDATE SET state = 'failed', attempts = excluded.attempts, "
    "error = excluded.error, updated_at = clock_timestamp() WHERE chunks.state <> 'landed'";
constexpr const char* kUpsertApiHealth =
    "INSERT INTO api_health (name, breaker_state, reason) VALUES ('api', $1, $2) "
    "ON CONFLICT (name) DO UPDATE SET breaker_state = excluded.breaker_state, reason = excluded.reason, "
    "updated_at = clock_timestamp()";
constexpr const char* kApiHealth =
    "SELECT breaker_state, reason, " GB_TS("updated_at") " FROM api_health WHERE name = 'api'";
constexpr const char* kLandedCursors =
    "SELECT chunk_id, next_cursor FROM chunks WHERE job_id = $1 AND state = 'landed' ORDER BY chunk_id";
constexpr const char* kFindKey = "SELECT job_id FROM job_keys WHERE idem_key = $1";
// First writer wins: a key, once recorded, always names the same job.
constexpr const char* kInsertKey =
    "INSERT INTO job_keys (idem_key, job_id) VALUES ($1, $2) ON CONFLICT (idem_key) DO NOTHING";
// An empty query_hash keeps the stored one (JobInfo's contract).
constexpr const char* kUpsertJob =
    "INSERT INTO jobs (job_id, type, state, error, expected_chunks, query_hash) VALUES ($1, $2, $3, $4, $5, $6) "
    "ON CONFLICT (job_id) DO UPDATE SET type = excluded.type, state = excluded.state, error = excluded.error, "
    "expected_chunks = excluded.expected_chunks, "
    "query_hash = CASE WHEN excluded.query_hash = '' THEN jobs.query_hash ELSE excluded.query_hash END, "
    "updated_at = clock_timestamp()";
#define GB_JOB_COLUMNS \
  "job_id, type, state, error, expected_chunks, query_hash, " GB_TS("updated_at") ", " GB_TS("created_at")
constexpr const char* kAllJobs = "SELECT " GB_JOB_COLUMNS " FROM jobs ORDER BY created_at, seq";
constexpr const char* kOneJob = "SELECT " GB_JOB_COLUMNS " FROM jobs WHERE job_id = $1";
constexpr const char* kJobsByQuery = "SELECT " GB_JOB_COLUMNS
                                     " FROM jobs WHERE type = $1 AND query_hash = $2 "
                                     "ORDER BY updated_at DESC, seq DESC";
#undef GB_JOB_COLUMNS
constexpr const char* kJobChunks = "SELECT chunk_id, state, records, quarantined, bytes, attempts, error, " GB_TS(
    "updated_at") ", checksum FROM chunks WHERE job_id = $1 ORDER BY chunk_id";
constexpr const char* kLandedKeys = "SELECT record_key FROM records WHERE job_id = $1 ORDER BY chunk_id, ordinal";
constexpr const char* kQuarantineCount = "SELECT count(*) FROM quarantine WHERE job_id = $1";
#undef GB_TS

Status check_chunk(const ChunkRef& chunk) {
  if (!is_valid_id(chunk.job_id)) return invalid_input("postgresql sink: invalid job id");
  if (!is_valid_id(chunk.chunk_id)) return invalid_input("postgresql sink: invalid chunk id");
  return ok_status();
}

// Text for a text column from anywhere (an error message, a reason): cut to
// a bound, invalid UTF-8 and NUL bytes replaced, so the write cannot fail on
// what it reports.
std::string as_text(std::string_view text, std::size_t limit = kMaxErrorBytes) {
  std::string out;
  out.reserve(std::min(text.size(), limit));
  for (std::size_t i = 0; i < text.size() && out.size() < limit;) {
    std::size_t len = 1;
    while (len <= 4 && i + len <= text.size() && !detail::pg::valid_pg_text(text.substr(i, len))) ++len;
    if (len > 4 || i + len > text.size()) {
      out.push_back('?');
      ++i;
      continue;
    }
    if (out.size() + len > limit) break;
    out.append(text.substr(i, len));
    i += len;
  }
  return out;
}

// Errors written to the database go through the same redaction as log lines.
std::string for_ledger(std::string_view error) {
  return as_text(log::redact(error));
}

std::string text_at(const PGresult* res, int row, int col) {
  return PQgetisnull(res, row, col) ? std::string() : std::string(PQgetvalue(res, row, col));
}
std::int64_t int_at(const PGresult* res, int row, int col) {
  return std::strtoll(PQgetvalue(res, row, col), nullptr, 10);
}

JobInfo job_from_row(const PGresult* res, int row) {
  JobInfo job;
  job.job_id = text_at(res, row, 0);
  job.type = text_at(res, row, 1);
  job.state = text_at(res, row, 2);
  job.error = text_at(res, row, 3);
  job.expected_chunks = int_at(res, row, 4);
  job.query_hash = text_at(res, row, 5);
  return job;
}

std::string num(std::uint64_t v) {
  return std::to_string(v);
}

// Whether a COPY that failed with `sqlstate` failed on a value in it: a data
// exception (22: jsonb's "invalid input syntax", an unsupported \u0000, bad
// UTF-8, a number out of range) or a limit (54: nesting too deep).
bool refused_a_value(std::string_view sqlstate) {
  return sqlstate.starts_with("22") || sqlstate.starts_with("54");
}

// Adds `kind: ` context to an error from a landing: which chunk.
Error about_chunk(Error error, const ChunkRef& chunk) {
  error.message += fmt::format(" (job {}, chunk {})", chunk.job_id, chunk.chunk_id);
  return error;
}

}  // namespace

struct PostgresSink::Impl {
  PostgresSettings settings;
  std::string shown_url;  // redacted
  Pool pool;

  Impl(const PostgresSettings& s, int capacity)
      : settings(s), shown_url(redacted_postgres_url(s.url)), pool(s.url, capacity) {}

  // What one land() carries from its first try to a second: the batch the
  // source lent (taken back by a rewind), and whether records went out
  // unchecked, for jsonb to judge.
  struct Tries {
    records::RecordBatch batch;
    bool check_every_record = false;
    bool left_to_jsonb = false;
  };

  // One try of a landing on one connection: the COPY state of the records stream.
  struct Landing {
    Connection& conn;
    const ChunkRef& chunk;
    PostgresCopyFormat format;
    std::string records_sql;
    Tries& tries;
    std::string buffer;
    bool records_open = false;
    LandResult result;
  };

  static Status flush(Landing& l, bool force) {
    if (l.buffer.empty() || (!force && l.buffer.size() < kCopyPiece)) return ok_status();
    auto sent = l.conn.copy_put(l.buffer);
    l.buffer.clear();
    return sent;
  }

  static Status close_records(Landing& l) {
    if (!l.records_open) return ok_status();
    l.records_open = false;
    detail::pg::copy_trailer(l.buffer, l.format);
    if (auto sent = flush(l, true); !sent) return sent;
    return l.conn.copy_end();
  }

  // Quarantined records of one batch: the parser's and ours, each raw, in a
  // COPY of their own (records' COPY is closed first: one COPY at a time).
  static Status write_quarantine(Landing& l, const std::vector<records::Quarantined>& parsed,
                                 const std::vector<std::pair<const records::Record*, std::string>>& refused) {
    if (parsed.empty() && refused.empty()) return ok_status();
    if (auto closed = close_records(l); !closed) return closed;
    if (auto begun = l.conn.copy_begin(kCopyQuarantine, "copy quarantined records"); !begun) return begun;
    detail::pg::copy_header(l.buffer, PostgresCopyFormat::kBinary);
    for (const auto& [rec, why] : refused) {
      detail::pg::copy_quarantine_row_head(l.buffer, l.chunk.job_id, l.chunk.chunk_id, rec->ordinal, why,
                                           rec->raw.size());
      l.buffer.append(rec->raw);
      if (auto sent = flush(l, false); !sent) return sent;
    }
    for (const auto& q : parsed) {
      const std::string reason = as_text(q.reason);
      detail::pg::copy_quarantine_row_head(l.buffer, l.chunk.job_id, l.chunk.chunk_id, q.ordinal, reason, q.size());
      if (!q.large) {
        l.buffer.append(q.raw);
      } else {
        // Streamed in pieces from where it waits (a spill file): never whole in memory.
        std::string piece(kCopyPiece, '\0');
        for (std::uint64_t at = 0; at < q.large->size();) {
          auto got = q.large->read(at, piece.data(), piece.size());
          if (!got) return std::move(got).error();
          if (*got == 0) return internal_error("postgresql sink: a quarantined record's bytes ended early");
          l.buffer.append(piece.data(), *got);
          at += *got;
          if (auto sent = flush(l, false); !sent) return sent;
        }
      }
      if (auto sent = flush(l, false); !sent) return sent;
      l.result.bytes += q.size();
    }
    detail::pg::copy_trailer(l.buffer, PostgresCopyFormat::kBinary);
    if (auto sent = flush(l, true); !sent) return sent;
    l.result.quarantined += parsed.size() + refused.size();
    return l.conn.copy_end();
  }

  // One batch: records left to jsonb, and those the check finds jsonb
  // takes, go to the open records COPY; those it would refuse, with the
  // parser's quarantined ones, to the quarantine.
  static Status write_batch(Landing& l, const records::RecordBatch& batch) {
    std::vector<std::pair<const records::Record*, std::string>> refused;
    for (const auto& rec : batch.records) {
      l.result.bytes += rec.raw.size();
      std::optional<std::string> why;
      if (!detail::pg::valid_pg_text(rec.key)) {
        why = "record key is not valid UTF-8 text";
      } else if (rec.left_to_store && !l.tries.check_every_record) {
        l.tries.left_to_jsonb = true;  // jsonb judges it: land() handles a refusal
      } else {
        why = detail::pg::jsonb_refusal(rec.raw);
      }
      if (why) {
        refused.emplace_back(&rec, "postgresql jsonb refuses the record: " + *why);
        continue;
      }
      if (!l.records_open) {
        if (auto begun = l.conn.copy_begin(l.records_sql, "copy records"); !begun) return begun;
        l.records_open = true;
        detail::pg::copy_header(l.buffer, l.format);
      }
      detail::pg::copy_record_row(l.buffer, l.format, l.chunk.job_id, l.chunk.chunk_id, rec.ordinal, rec.key, rec.raw);
      ++l.result.records;
      if (auto sent = flush(l, false); !sent) return sent;
    }
    return write_quarantine(l, batch.quarantined, refused);
  }

  static Status write_all(Landing& l, BatchSource& source) {
    for (;;) {
      // No clear() here: next() clears (BatchSource's contract), and a source
      // may lend its own storage by swapping it in.
      auto more = source.next(l.tries.batch);
      if (!more) return std::move(more).error();
      if (!*more) break;
      if (auto written = write_batch(l, l.tries.batch); !written) return written;
    }
    return close_records(l);
  }

  Result<LandResult> land_ledger_first(Connection& conn, const ChunkRef& chunk, BatchSource& source, Tries& tries,
                                       int attempts, const std::optional<std::string>& next_cursor) {
    auto tx = Transaction::begin(conn);
    if (!tx) return std::move(tx).error();
    auto claimed =
        conn.query(kClaimChunk, {chunk.job_id, chunk.chunk_id, std::to_string(attempts), next_cursor}, "claim chunk");
    if (!claimed) return std::move(claimed).error();
    if (PQntuples(claimed->get()) == 0) {
      LandResult skipped;
      skipped.already_landed = true;
      return skipped;  // rolled back: nothing was written
    }
    Landing l{
        conn,  chunk, settings.copy_format, detail::pg::copy_records_sql("records", settings.copy_format), tries, {},
        false, {}};
    if (auto written = write_all(l, source); !written) return std::move(written).error();
    auto counted = conn.query(
        kFillCounts,
        {chunk.job_id, chunk.chunk_id, num(l.result.records), num(l.result.quarantined), num(l.result.bytes)},
        "write ledger counts");
    if (!counted) return std::move(counted).error();
    if (auto committed = tx->commit(); !committed) return std::move(committed).error();
    return l.result;
  }

  Result<LandResult> land_staging(Connection& conn, const ChunkRef& chunk, BatchSource& source, Tries& tries,
                                  int attempts, const std::optional<std::string>& next_cursor) {
    if (!conn.has_staging) {
      if (auto made = conn.exec(kMakeStaging); !made) return std::move(made).error();
      conn.has_staging = true;
    }
    auto tx = Transaction::begin(conn);
    if (!tx) return std::move(tx).error();
    LandResult skipped;
    skipped.already_landed = true;
    auto state = conn.query(kChunkState, {chunk.job_id, chunk.chunk_id}, "look up chunk");
    if (!state) return std::move(state).error();
    if (PQntuples(state->get()) == 1 && text_at(state->get(), 0, 0) == "landed") return skipped;
    Landing l{
        conn,  chunk, settings.copy_format, detail::pg::copy_records_sql("gb_staging", settings.copy_format), tries, {},
        false, {}};
    if (auto written = write_all(l, source); !written) return std::move(written).error();
    if (auto moved = conn.exec(kFromStaging); !moved) return std::move(moved).error();
    auto ledger = conn.query(kUpsertLanded,
                             {chunk.job_id, chunk.chunk_id, num(l.result.records), num(l.result.quarantined),
                              num(l.result.bytes), std::to_string(attempts), next_cursor, std::string()},
                             "write ledger row");
    if (!ledger) return std::move(ledger).error();
    if (PQntuples(ledger->get()) == 0) return skipped;  // a racing landing committed first: roll back ours
    if (auto committed = tx->commit(); !committed) return std::move(committed).error();
    return l.result;
  }

  Result<Pool::Lease> connection() {
    auto lease = pool.acquire();
    if (!lease) {
      Error e = std::move(lease).error();
      e.message += " (" + shown_url + ")";
      return e;
    }
    return lease;
  }
};

PostgresSink::PostgresSink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PostgresSink::~PostgresSink() = default;

Result<std::unique_ptr<PostgresSink>> PostgresSink::open(const PostgresSettings& settings) {
  if (settings.url.empty()) return invalid_input("postgresql sink: empty URL");
  if (settings.pool_size < 1 || settings.pool_size > 64) {
    return invalid_input(fmt::format("postgresql sink: pool_size {} is not in [1, 64]", settings.pool_size));
  }
  auto impl = std::make_unique<Impl>(settings, settings.pool_size + 1);
  auto lease = impl->connection();
  if (!lease) return std::move(lease).error();
  if (auto migrated = detail::pg::migrate_postgres(**lease); !migrated) {
    Error e = std::move(migrated).error();
    if (e.message.find(impl->shown_url) == std::string::npos) e.message += " (" + impl->shown_url + ")";
    return e;
  }
  return std::unique_ptr<PostgresSink>(new PostgresSink(std::move(impl)));
}

std::uint64_t PostgresSink::memory_bytes() const {
  return static_cast<std::uint64_t>(max_concurrent_landings()) * (2 * kCopyPiece + kLibpqBufferBytes);
}

int PostgresSink::max_concurrent_landings() const {
  return impl_->settings.pool_size;
}

Result<LandResult> PostgresSink::land(const ChunkRef& chunk, BatchSource& source, int attempts,
                                      const std::optional<std::string>& next_cursor) {
  if (auto valid = check_chunk(chunk); !valid) return std::move(valid).error();
  if (next_cursor && !detail::pg::valid_pg_text(*next_cursor)) return invalid_input("postgresql sink: invalid cursor");
  auto lease = impl_->connection();
  if (!lease) return about_chunk(std::move(lease).error(), chunk);
  // Outside the landing's transaction: a job's first landings would queue
  // behind one another on an uncommitted jobs row otherwise.
  if (auto job = (*lease)->query(kEnsureJob, {chunk.job_id}, "record job"); !job) {
    return about_chunk(std::move(job).error(), chunk);
  }
  Impl::Tries tries;
  const auto land_once = [&] {
    return impl_->settings.landing == PostgresLandingMode::kLedgerFirst
               ? impl_->land_ledger_first(**lease, chunk, source, tries, attempts, next_cursor)
               : impl_->land_staging(**lease, chunk, source, tries, attempts, next_cursor);
  };
  auto landed = land_once();
  // jsonb refused a record left to it (its transaction has rolled back):
  // once more from the start, checking every record first, so that each one
  // it refuses goes to the quarantine.
  if (!landed && tries.left_to_jsonb && refused_a_value((*lease)->copy_error_state()) && source.rewind(tries.batch)) {
    log::info("jsonb refused a record; landing the chunk again with every record checked")
        .field("job_id", chunk.job_id)
        .field("chunk_id", chunk.chunk_id)
        .field("sqlstate", (*lease)->copy_error_state())
        .emit();
    tries.check_every_record = true;
    landed = land_once();
  }
  if (!landed) return about_chunk(std::move(landed).error(), chunk);
  if (!landed->already_landed) {
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

Result<LandedKeys> PostgresSink::read_landed_keys(const std::string& job_id) {
  if (!is_valid_id(job_id)) return invalid_input("postgresql sink: invalid job id");
  auto lease = impl_->connection();
  if (!lease) return std::move(lease).error();
  Connection& conn = **lease;
  auto tx = Transaction::begin(conn);
  if (!tx) return std::move(tx).error();
  if (auto snap = conn.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"); !snap) return std::move(snap).error();
  LandedKeys out;
  auto keys = conn.query(kLandedKeys, {job_id}, "read landed keys");
  if (!keys) return std::move(keys).error();
  const int n = PQntuples(keys->get());
  out.keys.reserve(static_cast<std::size_t>(n));
  for (int r = 0; r < n; ++r) out.keys.push_back(text_at(keys->get(), r, 0));
  auto count = conn.query(kQuarantineCount, {job_id}, "count quarantined records");
  if (!count) return std::move(count).error();
  out.quarantined = static_cast<std::uint64_t>(int_at(count->get(), 0, 0));
  if (auto done = tx->commit(); !done) return std::move(done).error();
  return out;
}

Status PostgresSink::upsert_job(const JobInfo& job) {
  if (!is_valid_id(job.job_id)) return invalid_input("postgresql sink: invalid job id");
  auto lease = impl_->connection();
  if (!lease) return std::move(lease).error();
  auto done = (*lease)->query(kUpsertJob,
                              {job.job_id, as_text(job.type), as_text(job.state), for_ledger(job.error),
                               std::to_string(job.expected_chunks), as_text(job.query_hash)},
                              "upsert job");
  if (!done) return std::move(done).error();
  return ok_status();
}

Result<bool> PostgresSink::is_landed(const ChunkRef& chunk) {
  if (auto valid = check_chunk(chunk); !valid) return std::move(valid).error();
  auto lease = impl_->connection();
  if (!lease) return std::move(lease).error();
  auto res = (*lease)->query(kChunkState, {chunk.job_id, chunk.chunk_id}, "look up chunk");
  if (!res) return std::move(res).error();
  return PQntuples(res->get()) == 1 && text_at(res->get(), 0, 0) == "landed";
}

Result<std::vector<std::string>> PostgresSink::landed_chunks(const std::string& job_id) {
  auto cursors = landed_chunk_cursors(job_id);
  if (!cursors) return std::move(cursors).error();
  std::vector<std::string> out;
  out.reserve(cursors->size());
  for (auto& c : *cursors) out.push_back(std::move(c.chunk_id));
  return out;
}

Result<std::vector<LandedChunk>> PostgresSink::landed_chunk_cursors(const std::string& job_id) {
  if (!is_valid_id(job_id)) return invalid_input("postgresql sink: invalid job id");
  auto lease = impl_->connection();
  if (!lease) return std::move(lease).error();
  auto res = (*lease)->query(kLandedCursors, {job_id}, "list landed chunks");
  if (!res) return std::move(res).error();
  std::vector<LandedChunk> out;
  for (int r = 0; r < PQntuples(res->get()); ++r) {
    LandedChunk c;
    c.chunk_id = text_at(res->get(), r, 0);
    if (!PQgetisnull(res->get(), r, 1)) c.next_cursor = text_at(res->get(), r, 1);
    out.push_back(std::move(c));
  }
  return out;
}

Result<bool> PostgresSink::commit_landed(const ChunkRef& chunk, const LandResult& landed, int attempts,
                                         const std::optional<std::string>& next_cursor) {
  if (auto valid = check_chunk(chunk); !valid) return std::move(valid).error();
  if (next_cursor && !detail::pg::valid_pg_text(*next_cursor)) return invalid_input("postgresql sink: invalid cursor");
  auto lease = impl_->connection();
  if (!lease) return std::move(lease).error();
  if (auto job = (*lease)->query(kEnsureJob, {chunk.job_id}, "record job"); !job) return std::move(job).error();
  auto res = (*lease)->query(kUpsertLanded,
                             {chunk.job_id, chunk.chunk_id, num(landed.records), num(landed.quarantined),
                              num(landed.bytes), std::to_string(attempts), next_cursor, as_text(landed.checksum)},
                             "commit landed chunk");
  if (!res) return std::move(res).error();
  return PQntuples(res->get()) == 1;
}

Status PostgresSink::mark_failed(const ChunkRef& chunk, int attempts, const std::string& error) {
  if (auto valid = check_chunk(chunk); !valid) return valid;
  auto lease = impl_->connection();
  if (!lease) return std::move(lease).error();
  if (auto job = (*lease)->query(kEnsureJob, {chunk.job_id}, "record job"); !job) return std::move(job).error();
  auto done = (*lease)->query(
      kUpsertFailed, {chunk.job_id, chunk.chunk_id, std::to_string(attempts), for_ledger(error)}, "mark chunk failed");
  if (!done) return std::move(done).error();
  return ok_status();
}

Result<std::optional<std::string>> PostgresSink::find_job_by_key(const std::string& key) {
  if (!is_valid_idempotency_key(key)) return invalid_input("postgresql sink: invalid idempotency key");
  auto lease = impl_->connection();
  if (!lease) return std::move(lease).error();
  auto res = (*lease)->query(kFindKey, {key}, "find job by idempotency key");
  if (!res) return std::move(res).error();
  if (PQntuples(res->get()) == 0) return std::optional<std::string>{};
  return std::optional<std::string>{text_at(res->get(), 0, 0)};
}

Result<std::string> PostgresSink::record_job_key(const std::string& key, const JobInfo& job) {
  if (!is_valid_idempotency_key(key)) return invalid_input("postgresql sink: invalid idempotency key");
  if (!is_valid_id(job.job_id)) return invalid_input("postgresql sink: invalid job id");
  auto lease = impl_->connection();
  if (!lease) return std::move(lease).error();
  Connection& conn = **lease;
  auto tx = Transaction::begin(conn);
  if (!tx) return std::move(tx).error();
  auto upserted = conn.query(kUpsertJob,
                             {job.job_id, as_text(job.type), as_text(job.state), for_ledger(job.error),
                              std::to_string(job.expected_chunks), as_text(job.query_hash)},
                             "upsert job");
  if (!upserted) return std::move(upserted).error();
  // A concurrent insert of the same key waits here for the first to commit,
  // then does nothing; the SELECT (a new snapshot) then sees the winner's row.
  if (auto inserted = conn.query(kInsertKey, {key, job.job_id}, "record idempotency key"); !inserted) {
    return std::move(inserted).error();
  }
  auto found = conn.query(kFindKey, {key}, "read idempotency key");
  if (!found) return std::move(found).error();
  if (PQntuples(found->get()) != 1)
    return internal_error("postgresql sink: the idempotency key just recorded is not there");
  std::string recorded = text_at(found->get(), 0, 0);
  if (auto committed = tx->commit(); !committed) return std::move(committed).error();
  return recorded;
}

Result<std::vector<JobStatus>> PostgresSink::status(const std::optional<std::string>& job_id) {
  if (job_id && !is_valid_id(*job_id)) return invalid_input("postgresql sink: invalid job id");
  auto lease = impl_->connection();
  if (!lease) return std::move(lease).error();
  Connection& conn = **lease;
  // One snapshot, so jobs and chunks agree.
  auto tx = Transaction::begin(conn);
  if (!tx) return std::move(tx).error();
  if (auto snap = conn.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"); !snap) return std::move(snap).error();
  auto jobs = job_id ? conn.query(kOneJob, {*job_id}, "list jobs") : conn.query(kAllJobs, {}, "list jobs");
  if (!jobs) return std::move(jobs).error();
  std::vector<JobStatus> out;
  for (int r = 0; r < PQntuples(jobs->get()); ++r) {
    JobStatus js;
    js.job = job_from_row(jobs->get(), r);
    js.updated_at = text_at(jobs->get(), r, 6);
    js.created_at = text_at(jobs->get(), r, 7);
    out.push_back(std::move(js));
  }
  for (auto& js : out) {
    auto chunks = conn.query(kJobChunks, {js.job.job_id}, "list chunks");
    if (!chunks) return std::move(chunks).error();
    const PGresult* res = chunks->get();
    for (int r = 0; r < PQntuples(res); ++r) {
      ChunkStatus cs;
      cs.chunk_id = text_at(res, r, 0);
      cs.state = text_at(res, r, 1);
      cs.records = static_cast<std::uint64_t>(int_at(res, r, 2));
      cs.quarantined = static_cast<std::uint64_t>(int_at(res, r, 3));
      cs.bytes = static_cast<std::uint64_t>(int_at(res, r, 4));
      cs.attempts = static_cast<int>(int_at(res, r, 5));
      cs.error = text_at(res, r, 6);
      cs.updated_at = text_at(res, r, 7);
      cs.checksum = text_at(res, r, 8);
      js.chunks.push_back(std::move(cs));
    }
  }
  if (auto done = tx->commit(); !done) return std::move(done).error();
  return out;
}

Result<std::optional<JobInfo>> PostgresSink::find_unfinished_job(const std::string& type, const std::string& query_hash,
                                                                 const std::vector<std::string>& final_states) {
  if (query_hash.empty()) return std::optional<JobInfo>{};  // a job named by the user is never adopted
  auto lease = impl_->connection();
  if (!lease) return std::move(lease).error();
  auto res = (*lease)->query(kJobsByQuery, {as_text(type), as_text(query_hash)}, "find unfinished job");
  if (!res) return std::move(res).error();
  for (int r = 0; r < PQntuples(res->get()); ++r) {
    JobInfo job = job_from_row(res->get(), r);
    if (std::find(final_states.begin(), final_states.end(), job.state) == final_states.end()) {
      return std::optional<JobInfo>{std::move(job)};
    }
  }
  return std::optional<JobInfo>{};
}

Status PostgresSink::record_api_health(const std::string& breaker_state, const std::string& reason) {
  auto lease = impl_->connection();
  if (!lease) return std::move(lease).error();
  auto done = (*lease)->query(kUpsertApiHealth, {as_text(breaker_state), for_ledger(reason)}, "record api health");
  if (!done) return std::move(done).error();
  return ok_status();
}

Result<std::optional<ApiHealth>> PostgresSink::api_health() {
  auto lease = impl_->connection();
  if (!lease) return std::move(lease).error();
  auto res = (*lease)->query(kApiHealth, {}, "read api health");
  if (!res) return std::move(res).error();
  if (PQntuples(res->get()) == 0) return std::optional<ApiHealth>{};
  return std::optional<ApiHealth>{
      ApiHealth{text_at(res->get(), 0, 0), text_at(res->get(), 0, 1), text_at(res->get(), 0, 2)}};
}

}  // namespace gb::sinks
