#pragma once
// The state store: the ledger (one row per chunk: landed or failed, with its
// counts), the job registry and the API's health. SQLite and PostgreSQL hold
// it beside the records they land; an object store (S3, files) keeps it in
// one of them (`--state`). Every export and worker of a fleet that shares a
// state store shares its ledger, which is what makes a chunk land once.
#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "sinks/types.hpp"

namespace gb::sinks {

// An idempotency key as StateStore takes it (it comes from a broker message:
// a Celery task id): 1-255 bytes of printable ASCII.
inline bool is_valid_idempotency_key(std::string_view key) {
  return !key.empty() && key.size() <= 255 &&
         std::all_of(key.begin(), key.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

// Thread-safe: calls may come from several threads; an implementation may
// serialise them. All methods return errors as values (kInternal for the
// store's own failures; transient ones, a busy or lost connection, say so).
class StateStore {
 public:
  virtual ~StateStore() = default;

  // Inserts or updates the job's row.
  virtual Status upsert_job(const JobInfo& job) = 0;

  // Whether the chunk's ledger row says landed.
  virtual Result<bool> is_landed(const ChunkRef& chunk) = 0;

  // Chunk ids of the job already landed (to skip on a rerun).
  virtual Result<std::vector<std::string>> landed_chunks(const std::string& job_id) = 0;

  // The job's landed chunks with their resume cursors, ordered by chunk id.
  virtual Result<std::vector<LandedChunk>> landed_chunk_cursors(const std::string& job_id) = 0;

  // Records a chunk landed by an object store (ObjectLanding): its ledger row
  // with state=landed and `landed`'s counts and checksum, and for a cursor
  // page the next page's cursor. First writer wins: false when the chunk had
  // landed already (the row is left as it was).
  virtual Result<bool> commit_landed(const ChunkRef& chunk, const LandResult& landed, int attempts,
                                     const std::optional<std::string>& next_cursor) = 0;

  // Records that a chunk could not be landed (state=failed, attempts, error),
  // unless it has landed already.
  virtual Status mark_failed(const ChunkRef& chunk, int attempts, const std::string& error) = 0;

  // Idempotency keys (a worker's submit: its Celery task id). find_job_by_key
  // returns the job id recorded for `key`, if any. record_job_key records
  // `job` (as upsert_job) and key -> job.job_id in ONE transaction, first
  // writer wins: it returns the job id the key maps to afterwards (another
  // one than job.job_id when a concurrent submit recorded first). A key
  // that is_valid_idempotency_key refuses is kInvalidInput.
  virtual Result<std::optional<std::string>> find_job_by_key(const std::string& key) = 0;
  virtual Result<std::string> record_job_key(const std::string& key, const JobInfo& job) = 0;

  // Jobs (all, or one) with their chunks, for `status`: jobs ordered by
  // creation then id, each with its chunks ordered by id. An unknown job_id
  // gives an empty list.
  virtual Result<std::vector<JobStatus>> status(const std::optional<std::string>& job_id) = 0;

  // The most recently updated job with this type and query_hash whose state
  // is not one of `final_states`, if any (a rerun adopts it).
  virtual Result<std::optional<JobInfo>> find_unfinished_job(const std::string& type, const std::string& query_hash,
                                                             const std::vector<std::string>& final_states) = 0;

  // Records the breaker's new state; api_health() reads the last one
  // (nullopt when no export has recorded any).
  virtual Status record_api_health(const std::string& breaker_state, const std::string& reason) = 0;
  virtual Result<std::optional<ApiHealth>> api_health() = 0;
};

}  // namespace gb::sinks
