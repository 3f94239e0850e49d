#pragma once
// The store. Delivery contract: downloads are at-least-once (retries, reruns,
// redeliveries), so landing must be idempotent: a chunk lands wholly, with its
// ledger row, in ONE transaction, or not at all; landing a chunk that has
// already landed changes nothing. Together that gives each record exactly
// once in the store. Implemented for SQLite here; PostgreSQL, S3 (with a state
// store) and files implement the same interface later.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "records/record.hpp"

namespace gb::sinks {

struct JobInfo {
  std::string job_id;
  std::string type;                   // conversations, users, bulk:<jobType>
  std::string state;                  // last state seen from the API
  std::string error;                  // why it failed, if it did
  std::int64_t expected_chunks = -1;  // -1 while unknown
  // Added for the pipeline: a hash of (type, query) so that a rerun of the
  // same export without --job-id adopts the unfinished job instead of creating
  // another. Empty when the job was named by the user. Stored and returned
  // as is (upsert_job keeps the stored value when this one is empty).
  std::string query_hash;
};

struct ChunkRef {
  std::string job_id;
  std::string chunk_id;  // the API's chunk id, or the page number as %06d
};

// Produces a chunk's records in bounded batches, so a huge chunk can be
// landed without holding it in memory. next() fills `batch` (after clearing it)
// and returns false when there is nothing more; an Error aborts the landing.
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual Result<bool> next(records::RecordBatch& batch) = 0;
};

struct LandResult {
  bool already_landed = false;  // true: nothing was written
  std::uint64_t records = 0;
  std::uint64_t quarantined = 0;
  std::uint64_t bytes = 0;
};

struct ChunkStatus {
  std::string chunk_id;
  std::string state;  // landed | failed
  std::uint64_t records = 0;
  std::uint64_t quarantined = 0;
  std::uint64_t bytes = 0;
  int attempts = 0;
  std::string error;
  std::string updated_at;  // ISO 8601 UTC
};

struct JobStatus {
  JobInfo job;
  std::vector<ChunkStatus> chunks;
  std::string updated_at;
  // When the store first recorded the job (ISO 8601 UTC): its first-seen
  // time, which says how long it has been running (a worker's poll schedule).
  std::string created_at;
};

// A landed chunk's ledger row as a resume point: for a cursor page, the
// cursor of the page after it ("" after the last page); nullopt when not
// known (a bulk chunk, or a row from before the store kept cursors).
struct LandedChunk {
  std::string chunk_id;
  std::optional<std::string> next_cursor;
};

// The last state of the API circuit breaker an export saw, so that `status`
// can show it while the export runs or after it stopped.
struct ApiHealth {
  std::string breaker_state;  // closed | open | half-open
  std::string reason;         // why it changed last
  std::string updated_at;     // ISO 8601 UTC
};

// Thread-safe: calls may come from several threads; an implementation may
// serialise them. All methods return errors as values (kInternal for the
// store's own failures).
class Sink {
 public:
  virtual ~Sink() = default;

  // Inserts or updates the job's row.
  virtual Status upsert_job(const JobInfo& job) = 0;

  // Chunk ids of the job already landed (to skip on a rerun).
  virtual Result<std::vector<std::string>> landed_chunks(const std::string& job_id) = 0;

  // Lands every batch `source` produces plus the chunk's ledger row
  // (state=landed, counts, attempts) in one transaction. If the chunk has
  // already landed, returns already_landed without reading `source`.
  // On any error nothing of the chunk is visible.
  virtual Result<LandResult> land(const ChunkRef& chunk, BatchSource& source, int attempts) = 0;

  // land() for a cursor page: the ledger row also keeps `next_cursor`, the
  // cursor of the page after this one ("" for the last page), which
  // landed_chunk_cursors() returns. The default drops the cursor (a store
  // that cannot keep it makes a resumed chain fetch its landed pages again).
  virtual Result<LandResult> land_page(const ChunkRef& chunk, BatchSource& source, int attempts,
                                       const std::string& next_cursor) {
    (void)next_cursor;
    return land(chunk, source, attempts);
  }

  // The job's landed chunks with their resume cursors, ordered by chunk id.
  // The default knows no cursors.
  virtual Result<std::vector<LandedChunk>> landed_chunk_cursors(const std::string& job_id) {
    auto ids = landed_chunks(job_id);
    if (!ids.ok()) return std::move(ids).error();
    std::vector<LandedChunk> out;
    out.reserve(ids->size());
    for (auto& id : *ids) out.push_back(LandedChunk{std::move(id), std::nullopt});
    return out;
  }

  // Idempotency keys (a worker's submit: its Celery task id). find_job_by_key
  // returns the job id recorded for `key`, if any. record_job_key records
  // `job` (as upsert_job) and key -> job.job_id in ONE transaction, first
  // writer wins: it returns the job id the key maps to afterwards (another
  // one than job.job_id when a concurrent submit recorded first). The
  // defaults refuse (kInternal): a store that cannot keep keys must not let
  // a redelivered submit create a second job silently.
  virtual Result<std::optional<std::string>> find_job_by_key(const std::string& key) {
    (void)key;
    return internal_error("this store does not keep idempotency keys");
  }
  virtual Result<std::string> record_job_key(const std::string& key, const JobInfo& job) {
    (void)key;
    (void)job;
    return internal_error("this store does not keep idempotency keys");
  }

  // Records that a chunk could not be landed (state=failed, attempts, error),
  // unless it has landed already.
  virtual Status mark_failed(const ChunkRef& chunk, int attempts, const std::string& error) = 0;

  // Jobs (all, or one) with their chunks, for `status`.
  virtual Result<std::vector<JobStatus>> status(const std::optional<std::string>& job_id) = 0;

  // Records the breaker's new state; api_health() reads the last one
  // (nullopt when no export has recorded any).
  virtual Status record_api_health(const std::string& breaker_state, const std::string& reason) = 0;
  virtual Result<std::optional<ApiHealth>> api_health() = 0;

  // Added for the pipeline: the most recently updated job with this type and
  // query_hash whose state is not one of `final_states`, if any. The default
  // scans status(); an implementation may answer with one indexed query.
  virtual Result<std::optional<JobInfo>> find_unfinished_job(const std::string& type, const std::string& query_hash,
                                                             const std::vector<std::string>& final_states) {
    auto all = status(std::nullopt);
    if (!all.ok()) return std::move(all).error();
    const JobStatus* best = nullptr;
    for (const auto& js : *all) {
      if (js.job.type != type || js.job.query_hash != query_hash || query_hash.empty()) continue;
      bool final = false;
      for (const auto& s : final_states) final = final || js.job.state == s;
      if (!final && (best == nullptr || js.updated_at > best->updated_at)) best = &js;
    }
    if (best == nullptr) return std::optional<JobInfo>{};
    return std::optional<JobInfo>{best->job};
  }
};

}  // namespace gb::sinks
