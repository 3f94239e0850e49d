#pragma once
// What the units of an export (job resolution, one chunk, one page) share:
// the API, the store, the run's patience, time, and the memory budget. A
// worker builds one per task and drives the units itself; ExportPipeline
// builds one per run.
#include <string>

#include "api/jobs_api.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "pipeline/export_types.hpp"
#include "pipeline/memory_budget.hpp"
#include "resilience/patience.hpp"
#include "sinks/landing.hpp"
#include "sinks/state_store.hpp"

namespace gb::pipeline {

// Borrowed references: everything must outlive the units that use it.
struct UnitContext {
  const PipelineSettings& settings;
  api::JobsApi& api;
  sinks::StateStore& state;  // the ledger and the job registry
  sinks::Landing& landing;   // where chunks land (often the same store)
  resilience::Patience& patience;
  const Clock& clock;
  Sleeper& sleeper;
  MemoryBudget& budget;
};

// How a unit's attempts went, whether it succeeded or not.
struct Attempts {
  int count = 0;              // attempts made (1 = the first try)
  bool deadline_hit = false;  // it stopped because the next try would have come after the deadline
};

// The one failure path of a chunk or page the run gives up on: its ledger
// row says failed (unless it landed meanwhile), and a store that cannot say
// so is logged (the chunk is still failed in this run's outcome).
void record_failure(sinks::StateStore& state, const sinks::ChunkRef& chunk, int attempts, const std::string& reason);

}  // namespace gb::pipeline
