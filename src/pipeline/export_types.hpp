#pragma once
// What an export is asked to do, what it did, and the settings it runs with:
// shared by ExportPipeline and the units it is made of (job resolution, one
// chunk, one page), which a worker may also drive one by one.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/jobs_api.hpp"
#include "base/stop.hpp"
#include "resilience/retry_loop.hpp"

namespace gb::pipeline {

struct PipelineSettings {
  int concurrency = 5;                                             // bulk chunk downloads at once
  int page_size = 1000;                                            // analytics cursor pages
  std::uint64_t spill_threshold_bytes = 200ull << 20;              // bigger chunks wait in a temp file, not memory
  std::filesystem::path spill_dir;                                 // empty = the system's temp dir
  std::uint64_t landing_batch_bytes = 1ull << 20;                  // batch size when reading a spilled chunk back
  std::uint64_t memory_budget_bytes = 48ull << 20;                 // all chunk data held in memory at once
  std::uint64_t max_record_bytes = 2ull << 20;                     // larger records go to the quarantine whole
  std::uint64_t parse_batch_bytes = 2ull << 20;                    // a download hands over batches this big
  std::size_t landing_queue = 2;                                   // finished chunks waiting for the writer
  resilience::RetryPolicy retry;                                   // per chunk / page / status call
  std::chrono::milliseconds first_poll_interval{1'000};            // the first wait between polls; it doubles...
  std::chrono::milliseconds poll_interval{15'000};                 // ...up to this
  std::chrono::milliseconds max_job_wait{std::chrono::hours(24)};  // a job still running then: give up
  const StopSignal* stop = nullptr;  // checked between chunks and pages; nullptr: process_stop() (Ctrl-C)
  // Wall-clock time, to measure how long a job has been running from its
  // first-seen time in the store (run_slice). Empty: the system's clock.
  std::function<std::chrono::system_clock::time_point()> wall_clock;
};

struct ExportRequest {
  api::ExportType type;
  std::string query_json = "{}";      // the job's filter / AsyncQuery body
  std::optional<std::string> job_id;  // adopt this job instead of creating one
  // A submit's identity (the worker's Celery task id): the job it created is
  // recorded under it right after the create returns, and looked up before
  // creating, so a redelivered submit never creates a second job. With a
  // key, an unfinished job of the same query is not adopted: the key decides.
  std::optional<std::string> idempotency_key;
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
  std::string first_failure;       // "chunk C: reason", when chunks_failed > 0
  bool failures_transient = true;  // every failed chunk failed transiently: trying again may land it
  double landing_seconds = 0;      // wall time from the first download to the last chunk landed
  double store_busy_seconds = 0;   // of which the writers spent inside Landing::land
  bool interrupted = false;        // a stop was requested before every chunk had landed
  bool deadline_reached = false;   // a slice's deadline came before every chunk had landed
};

// The job states after which a run has nothing more to do for a job (it is
// never adopted again): our "landed", and the API's failed/cancelled/expired.
const std::vector<std::string>& final_job_states();
bool is_final_job_state(const std::string& state);

// A stable hash of (type, query) so a rerun of the same export adopts its
// unfinished job. The query is normalised (parsed and re-serialised with
// sorted keys) when it is JSON, so whitespace and key order do not matter.
std::string query_hash(const api::ExportType& type, const std::string& query_json);

}  // namespace gb::pipeline
