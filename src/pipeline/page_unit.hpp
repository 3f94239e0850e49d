#pragma once
// One cursor page of an analytics job: fetch it (retried), parse it, land it
// with its ledger row, which keeps the next page's cursor so that a chain
// resumes after its last landed page without fetching the landed ones again.
#include <cstdint>
#include <memory>
#include <string>

#include "api/jobs_api.hpp"
#include "base/result.hpp"
#include "base/stop.hpp"
#include "pipeline/unit_context.hpp"
#include "sinks/types.hpp"

namespace gb::pipeline {

struct FetchedPage {
  sinks::ChunkRef chunk;                       // chunk id: the page number as %06d (page_id)
  std::string next_cursor;                     // the cursor of the page after it; "" on the last page
  std::unique_ptr<sinks::BatchSource> source;  // null when fetched only for its cursor
};

// Pages are numbered from 1; ids are six digits.
inline constexpr std::uint64_t kMaxPages = 999'999;
std::string page_id(std::uint64_t page);

// Thread-safe (a page chain is sequential: one caller per job at a time).
class PageUnit {
 public:
  explicit PageUnit(const UnitContext& ctx) : ctx_(ctx) {}

  // Fetches page `page` of the job at `cursor` ("" for the first page),
  // retried on transient failures, and parses it unless `cursor_only` (a
  // landed page whose row has no cursor: fetched for its cursor alone). The
  // parsed page is charged to the memory budget (waiting for room while
  // the previous page lands). Limits as ChunkUnit::fetch.
  Result<FetchedPage> fetch(const std::string& job_id, const api::ExportType& type, std::uint64_t page,
                            const std::string& cursor, bool cursor_only, const CallLimits& limits,
                            Attempts& attempts) const;

  // Lands a fetched page with its cursor (Landing::land) on this thread.
  Result<sinks::LandResult> land(FetchedPage& fetched, int attempts) const;

  // fetch() then land() (unless cursor_only). The caller records a final
  // failure (record_failure).
  Result<FetchedPage> fetch_and_land(const std::string& job_id, const api::ExportType& type, std::uint64_t page,
                                     const std::string& cursor, const CallLimits& limits, Attempts& attempts,
                                     sinks::LandResult& landed) const;

 private:
  UnitContext ctx_;
};

}  // namespace gb::pipeline
