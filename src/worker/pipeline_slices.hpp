#pragma once
// The worker's tasks as slices of the export pipeline (issue 7, item 1):
// - bulk_processor.process_bulk_job_task(job_id, job_type): take an existing
//   job to its end and land it;
// - bulk_processor.submit_bulk_job(job_type, query): create the job (once:
//   the task id is the idempotency key), then the same.
// Arguments by position or keyword, as Python binds them; anything else is a
// kInvalidInput Error (Python's get() raises TypeError).
#include <string_view>

#include "pipeline/pipeline.hpp"
#include "worker/ports.hpp"

namespace gb::worker {

inline constexpr std::string_view kProcessTask = "bulk_processor.process_bulk_job_task";
inline constexpr std::string_view kSubmitTask = "bulk_processor.submit_bulk_job";

class PipelineSliceRunner final : public SliceRunner {
 public:
  explicit PipelineSliceRunner(pipeline::ExportPipeline& pipeline) : pipeline_(pipeline) {}

  bool handles(std::string_view task_name) const override;
  Result<SliceResult> run_slice(const Task& task, const SliceLimits& limits) override;
  JobRef job_ref(const Task& task) override;

 private:
  pipeline::ExportPipeline& pipeline_;
};

}  // namespace gb::worker
