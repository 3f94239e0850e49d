#pragma once
// One export job end to end in one process: submit (or adopt) the job, record
// it in the store at once, poll it to the end, then land every chunk or
// cursor page exactly once. Used by `export` and `demo`.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/jobs_api.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "base/stop.hpp"
#include "pipeline/memory_budget.hpp"
#include "pipeline/progress.hpp"
#include "resilience/patience.hpp"
#include "resilience/retry_loop.hpp"
#include "sinks/sink.hpp"

namespace gb::pipeline {

struct PipelineSettings {
  int concurrency = 5;                                             // bulk chunk downloads at once
  int page_size = 1000;                                            // analytics cursor pages
  std::uint64_t spill_threshold_bytes = 200ull << 20;              // bigger chunks wait in a temp file, not memory
  std::filesystem::path spill_dir;                                 // empty = the system's temp dir
  std::uint64_t landing_batch_bytes = 1ull << 20;                  // batch size when reading a spilled chunk back
  std::uint64_t memory_budget_bytes = 48ull << 20;                 // all chunk data held in memory at once
  std::uint64_t max_record_bytes = 2ull << 20;                     // larger records go to the quarantine whole
  std::uint64_t store_memory_bytes = 4ull << 20;                   // the sink's own cache, charged to the budget
  std::uint64_t parse_batch_bytes = 2ull << 20;                    // a download hands over batches this big
  std::size_t landing_queue = 2;                                   // finished chunks waiting for the writer
  resilience::RetryPolicy retry;                                   // per chunk / page / status call
  std::chrono::milliseconds poll_interval{15'000};                 // longest wait between polls
  std::chrono::milliseconds max_job_wait{std::chrono::hours(24)};  // a job still running then: give up
  const StopSignal* stop = nullptr;  // checked between chunks and pages; nullptr: process_stop() (Ctrl-C)
};

struct ExportRequest {
  api::ExportType type;
  std::string query_json = "{}";      // the job's filter / AsyncQuery body
  std::optional<std::string> job_id;  // adopt this job instead of creating one
};

struct ExportOutcome {
  std::string job_id;
  bool created = false;              // false: named by --job-id or adopted from the store
  std::string final_state;           // the API's terminal state
  std::uint64_t chunks_total = 0;    // chunks of the job (pages for analytics)
  std::uint64_t chunks_skipped = 0;  // landed by an earlier run
  std::uint64_t chunks_landed = 0;   // landed by this run
  std::uint64_t chunks_failed = 0;
  std::uint64_t records = 0;      // landed by this run
  std::uint64_t quarantined = 0;  // kept in quarantine by this run
  std::uint64_t bytes = 0;
  std::string first_failure;      // "chunk C: reason", when chunks_failed > 0
  double landing_seconds = 0;     // wall time from the first download to the last chunk landed
  double store_busy_seconds = 0;  // of which the writer spent inside Sink::land
  bool interrupted = false;       // a stop was requested before every chunk had landed
};

// The job states after which a run has nothing more to do for a job (it is
// never adopted again): our "landed", and the API's failed/cancelled/expired.
const std::vector<std::string>& final_job_states();
bool is_final_job_state(const std::string& state);

// A stable hash of (type, query) so a rerun of the same export adopts its
// unfinished job. The query is normalised (parsed and re-serialised with
// sorted keys) when it is JSON, so whitespace and key order do not matter.
std::string query_hash(const api::ExportType& type, const std::string& query_json);

// Runs exports. Not thread-safe itself (one run() at a time); it starts and
// joins its own download and writer threads inside run().
class ExportPipeline {
 public:
  // `patience` is the run's: the one the API stack's transport reports every
  // call to. Once it is spent no new download starts, and run() returns its
  // Error (what failed, for how long; the same command resumes).
  ExportPipeline(PipelineSettings settings, api::JobsApi& api, sinks::Sink& sink, resilience::Patience& patience,
                 Clock& clock, Sleeper& sleeper, ProgressObserver& progress);

  // Ok only when every record of the job has landed or is quarantined (in
  // this run or an earlier one). Otherwise one Error with one line saying why:
  // the job ended FAILED, N chunks could not be landed (first reason), the
  // store failed, the API has been down longer than the patience... When a
  // stop is requested (Ctrl-C) it starts no more downloads, lands no chunk it
  // has not wholly received, lets the writer finish the chunk it is landing,
  // and returns a kInterrupted Error saying how many chunks landed in this run.
  Result<ExportOutcome> run(const ExportRequest& request);

  // The run's memory budget (its high-water mark says how much was held).
  const MemoryBudget& memory_budget() const { return *budget_; }

 private:
  struct Resolved;
  Result<Resolved> resolve_job(const ExportRequest& request);
  Result<api::JobSnapshot> poll(const ExportRequest& request, const std::string& job_id);
  void land_bulk(const ExportRequest& request, const api::JobSnapshot& snapshot, ExportOutcome& outcome);
  Status land_pages(const ExportRequest& request, ExportOutcome& outcome);

  PipelineSettings settings_;
  api::JobsApi& api_;
  sinks::Sink& sink_;
  resilience::Patience& patience_;
  Clock& clock_;
  Sleeper& sleeper_;
  ProgressObserver& progress_;
  const StopSignal& stop_;
  std::unique_ptr<MemoryBudget> budget_;
};

}  // namespace gb::pipeline
