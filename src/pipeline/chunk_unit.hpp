#pragma once
// One chunk of a bulk job: download it (retried) through a streaming parser
// into a collector, then land it with its ledger row (Landing's contract).
// ExportPipeline runs fetch() on its download threads and lands on its
// writer threads; a worker may run fetch_and_land() for one chunk.
#include <cstdint>
#include <memory>
#include <string>

#include "api/jobs_api.hpp"
#include "base/result.hpp"
#include "base/stop.hpp"
#include "pipeline/unit_context.hpp"
#include "records/record.hpp"
#include "sinks/types.hpp"

namespace gb::pipeline {

// A chunk received whole, ready to land.
struct FetchedChunk {
  sinks::ChunkRef chunk;
  std::unique_ptr<sinks::BatchSource> source;  // the whole chunk, in memory or a spill file (removed with it)
  std::uint64_t records = 0;
  std::uint64_t quarantined = 0;
  std::uint64_t raw_bytes = 0;
  bool spilled = false;
};

// Thread-safe: several threads may fetch() at once, each its own chunk (the
// memory budget is shared and bounds them all).
class ChunkUnit {
 public:
  explicit ChunkUnit(const UnitContext& ctx) : ctx_(ctx) {}

  // Downloads and parses the whole chunk, retried on transient failures
  // (a fresh parser and collector each attempt: nothing of a failed attempt
  // survives). kPermanent for a chunk id that is not valid. No retry wait
  // ends after limits.deadline (attempts.deadline_hit then, and the last
  // Error returns); a cancel stops the download at its next write callback
  // and returns kInterrupted. A download under way is not cut at the
  // deadline. Never throws but std::bad_alloc from its own bookkeeping.
  Result<FetchedChunk> fetch(const std::string& job_id, const api::ExportType& type, const api::ChunkInfo& chunk,
                             const CallLimits& limits, Attempts& attempts) const;

  // Lands a fetched chunk on this thread (Landing::land): wholly or not at all;
  // already_landed when an earlier run or another process landed it.
  Result<sinks::LandResult> land(FetchedChunk& fetched, int attempts) const;

  // fetch() then land(). The caller decides whether a failure is final and
  // then calls record_failure (one failure path for every unit).
  Result<sinks::LandResult> fetch_and_land(const std::string& job_id, const api::ExportType& type,
                                           const api::ChunkInfo& chunk, const CallLimits& limits,
                                           Attempts& attempts) const;

 private:
  UnitContext ctx_;
};

}  // namespace gb::pipeline
