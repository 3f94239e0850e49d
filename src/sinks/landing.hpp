#pragma once
// Landing: a chunk's records into the store, wholly or not at all.
//
// The delivery contract, for every store: downloads are at-least-once
// (retries, reruns, redeliveries), so landing is idempotent.
//  - A chunk counts as landed only once its ledger row (StateStore) has
//    committed. A table store (SQLite, PostgreSQL) commits the records and
//    the row in one transaction; an object store writes its objects first,
//    then commits the row.
//  - Whatever a failed attempt left behind is invisible (a rolled-back
//    transaction, a temporary file, an uncompleted multipart upload) or is
//    overwritten, byte for byte, by the retry (the same key, the same bytes).
//  - Landing a chunk whose row says landed changes nothing.
// Together that gives each record exactly once in the store.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "sinks/types.hpp"

namespace gb::sinks {

// Thread-safe: up to max_concurrent_landings() land() calls may run at once.
class Landing {
 public:
  virtual ~Landing() = default;

  // Lands every batch `source` produces, then the chunk's ledger row
  // (state=landed, counts, attempts; for a cursor page also `next_cursor`,
  // the cursor of the page after it, "" after the last). If the chunk has
  // landed already, returns already_landed without reading `source`.
  virtual Result<LandResult> land(const ChunkRef& chunk, BatchSource& source, int attempts,
                                  const std::optional<std::string>& next_cursor) = 0;

  // How many land() calls the store takes at once: 1 for SQLite's single
  // writer, more for a server or an object store.
  virtual int max_concurrent_landings() const { return 1; }

  // Whether land() judges records' JSON itself: it lands a record the
  // parser left to it (Record::left_to_store) as it is, and when the store
  // refuses one it reads the chunk's source again (BatchSource::rewind) to
  // land the chunk with every record checked. The pipeline then parses
  // records for their key alone, and keeps a chunk's batches until it lands.
  virtual bool judges_json() const { return false; }

  // The most memory max_concurrent_landings() land() calls hold at once
  // besides their sources' batches (a page cache, COPY and upload
  // buffers), which the pipeline charges to its memory budget.
  virtual std::uint64_t memory_bytes() const = 0;

  // Called once every chunk of `job` has landed (`chunks`: their ledger
  // rows). An object store writes the job's manifest here, last.
  virtual Status finish_job(const JobInfo& job, const std::vector<ChunkStatus>& chunks) {
    (void)job;
    (void)chunks;
    return ok_status();
  }

  // Reads back what landed for `job_id` (for checks: `demo`, tests).
  virtual Result<LandedKeys> read_landed_keys(const std::string& job_id) = 0;
};

}  // namespace gb::sinks
