#pragma once
// What the stores' two interfaces (landing.hpp, state_store.hpp) speak of:
// jobs, chunks, their ledger rows and the records read back.
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
  std::string type;      // the export's type (JobInfo::type): an object store's key names it
};

// Produces a chunk's records in bounded batches, so a huge chunk can be
// landed without holding it in memory. next() fills `batch` (after clearing it)
// and returns false when there is nothing more; an Error aborts the landing.
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual Result<bool> next(records::RecordBatch& batch) = 0;
  // Starts again from the first batch, for a store that must land the chunk
  // a second time (Landing::judges_json()); false when this source cannot.
  // `lent` is the batch the last next() filled, which a source that lends
  // its own storage takes back. A source that can rewind holds its batches
  // until it is destroyed.
  virtual bool rewind(records::RecordBatch& /*lent*/) { return false; }
};

struct LandResult {
  bool already_landed = false;  // true: nothing was written
  std::uint64_t records = 0;
  std::uint64_t quarantined = 0;
  std::uint64_t bytes = 0;
  // An object store's: the SHA-256 (hex) of the object as written, which the
  // job's manifest lists. Empty for a table store.
  std::string checksum;
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
  std::string checksum;    // LandResult::checksum of the landing, if any
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

// What a store holds for one job, read back: for `demo`'s check and the
// tests' exact-set assertions.
struct LandedKeys {
  std::vector<std::string> keys;  // the key of every record landed (duplicates kept)
  std::uint64_t quarantined = 0;  // records kept in the quarantine
};

}  // namespace gb::sinks
