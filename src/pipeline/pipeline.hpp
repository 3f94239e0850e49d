#pragma once
// One export job end to end in one process: submit (or adopt) the job, record
// it in the store at once, poll it to the end, then land every chunk or
// cursor page exactly once. Used by `export` and `demo` (run) and by the
// worker, one bounded slice at a time (run_slice). Made of public units a
// caller may also drive alone: JobResolver, ChunkUnit, PageUnit.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "api/jobs_api.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "base/stop.hpp"
#include "pipeline/export_types.hpp"
#include "pipeline/memory_budget.hpp"
#include "pipeline/progress.hpp"
#include "pipeline/unit_context.hpp"
#include "resilience/patience.hpp"
#include "resilience/retry_loop.hpp"
#include "sinks/landing.hpp"
#include "sinks/state_store.hpp"
#include "sinks/types.hpp"

namespace gb::pipeline {

// The bounds of one slice of work (a worker's task, which must not hold its
// message for long).
struct SliceLimits {
  // On the pipeline's Clock. No chunk or page download starts after it and
  // no wait (a retry's backoff, the rate budget) ends after it; a download
  // already under way finishes and lands (a chunk is worth nothing half
  // received), so a slice may end later by the longest download.
  SteadyTime deadline;
  // The soft time limit: once requested, no new download starts, downloads
  // stop at their next write callback, waits end at once, and the chunk the
  // writer is landing commits or rolls back whole. Null: none.
  const StopSignal* cancel = nullptr;
};

enum class SliceKind {
  kFinished,    // every chunk or page has landed or is quarantined: the job is done (final state "landed")
  kJobRunning,  // the API has not finished the job: poll again after next_poll
  kMoreToLand,  // the deadline came while landing: what landed is committed, the rest resumes from the ledger
};
const char* to_string(SliceKind kind);

// What the ledger holds for a whole job, over every run and slice.
struct JobTotals {
  std::uint64_t chunks = 0;  // landed chunks (pages)
  std::uint64_t records = 0;
  std::uint64_t quarantined = 0;
  std::uint64_t bytes = 0;
};

struct SliceOutcome {
  SliceKind kind = SliceKind::kFinished;
  ExportOutcome outcome;                   // this slice's counts (chunks_skipped: landed before it)
  std::string job_state;                   // the API's state at this slice's poll ("landed" when none was needed)
  std::chrono::milliseconds next_poll{0};  // kJobRunning: the wait before the next poll (next_poll_delay)
  std::string first_seen_at;               // when the store first recorded the job (ISO 8601 UTC)
  JobTotals totals;                        // kFinished: the whole job's, from the ledger (a task's result)
};

// Sums the job's landed ledger rows (StateStore::status).
Result<JobTotals> job_totals(sinks::StateStore& state, const std::string& job_id);

// The wait before the next poll of a job that has been running for
// `running_for` (from its first-seen time in the store): `first`, then
// doubling (1, 2, 4, 8 s by default) while the waits so far add up to less
// than running_for, then `interval` (never more than `interval`).
std::chrono::milliseconds next_poll_delay(std::chrono::milliseconds running_for, std::chrono::milliseconds first,
                                          std::chrono::milliseconds interval);

// Runs exports. Not thread-safe itself (one run() or run_slice() at a time);
// it starts and joins its own download and writer threads inside them, and
// no exception leaves those threads (what one throws fails its chunk).
class ExportPipeline {
 public:
  // `patience` is the run's: the one the API stack's transport reports every
  // call to. Once it is spent no new download starts, and run() returns its
  // Error (what failed, for how long; the same command resumes).
  // `state` and `landing` may be one object (SQLite, PostgreSQL).
  ExportPipeline(PipelineSettings settings, api::JobsApi& api, sinks::StateStore& state, sinks::Landing& landing,
                 resilience::Patience& patience, Clock& clock, Sleeper& sleeper, ProgressObserver& progress);

  // Ok only when every record of the job has landed or is quarantined (in
  // this run or an earlier one). Otherwise one Error with one line saying why:
  // the job ended FAILED, N chunks could not be landed (first reason), the
  // store failed, the API has been down longer than the patience... When a
  // stop is requested (Ctrl-C) it starts no more downloads, lands no chunk it
  // has not wholly received, lets the writer finish the chunk it is landing,
  // and returns a kInterrupted Error saying how many chunks landed in this run.
  Result<ExportOutcome> run(const ExportRequest& request);

  // One bounded step of the same export, for a worker that must not hold a
  // message or a slot while a job runs: resolves the job (request.job_id,
  // request.idempotency_key, or creating it: a keyed submit never creates a
  // second job), polls it ONCE (a job the store says "landed" is kFinished
  // without asking the API), and if the API has finished it, lands chunks or
  // pages until all are in (kFinished), or the deadline comes (kMoreToLand).
  // A running job gives kJobRunning with next_poll from next_poll_delay over
  // how long the store has known the job. It never sleeps past the deadline.
  // Errors, as run()'s:
  // - kTransient: 429/5xx/resets/outage (retry_after kept: the server's wish,
  //   to make a broker-held retry), a busy store, chunks that failed only
  //   transiently (their ledger rows say failed; the next slice retries them);
  // - kPermanent / kInvalidInput / kUnauthorized (a second 401): never
  //   retried (400, 403, 404, the job ended FAILED, still running after
  //   max_job_wait, a chunk that failed permanently, bad arguments);
  // - kInterrupted: limits.cancel (or the stop signal) was requested; what
  //   landed is committed, the rest resumes from the ledger.
  Result<SliceOutcome> run_slice(const ExportRequest& request, const SliceLimits& limits);

  // The run's memory budget (its high-water mark says how much was held).
  const MemoryBudget& memory_budget() const { return *budget_; }

 private:
  Result<api::JobSnapshot> poll(const ExportRequest& request, const std::string& job_id);
  void land_bulk(const ExportRequest& request, const api::JobSnapshot& snapshot, ExportOutcome& outcome,
                 const CallLimits& limits);
  Status land_pages(const ExportRequest& request, ExportOutcome& outcome, const CallLimits& limits);
  // Records the job landed and lets the store finish it (an object store's
  // manifest, written last).
  Status finish_job(const std::string& job_id, const std::string& type, std::uint64_t chunks_total);
  // Writer threads: what the store takes at once, at most the downloads.
  int landing_threads() const { return std::clamp(landing_.max_concurrent_landings(), 1, settings_.concurrency); }
  bool stopping(const CallLimits& limits) const { return stop_.requested() || limits.cancelled(); }

  PipelineSettings settings_;
  api::JobsApi& api_;
  sinks::StateStore& state_;
  sinks::Landing& landing_;
  resilience::Patience& patience_;
  Clock& clock_;
  Sleeper& sleeper_;
  ProgressObserver& progress_;
  const StopSignal& stop_;
  std::unique_ptr<MemoryBudget> budget_;
  UnitContext units_;  // after everything it refers to
};

}  // namespace gb::pipeline
