#include "worker/pipeline_slices.hpp"

#include <array>

#include "base/ids.hpp"
#include "celery/arguments.hpp"

namespace gb::worker {
namespace {

constexpr std::array<celery::Parameter, 2> kProcessParameters{{{0, "job_id"}, {1, "job_type"}}};
constexpr std::array<celery::Parameter, 2> kSubmitParameters{{{0, "job_type"}, {1, "query"}}};

// Bad arguments never get better, and Python calls them TypeError.
Error bad_arguments(const Error& e) {
  return invalid_input(e.message);
}

// "users", "conversations", "bulk:<type>"; a bare Genesys bulk job type
// ("interactions") means bulk:<type>.
Result<api::ExportType> export_type(const std::string& text) {
  auto parsed = api::ExportType::parse(text);
  if (parsed || !is_valid_id(text)) return parsed;
  return api::ExportType::parse("bulk:" + text);
}

Result<pipeline::ExportRequest> request_for(const Task& task) {
  auto args = celery::TaskArguments::parse(task.args_json, task.kwargs_json);
  if (!args) return bad_arguments(args.error());
  const bool submit = task.name == kSubmitTask;
  const auto& parameters = submit ? kSubmitParameters : kProcessParameters;
  if (auto checked = args->check_signature(parameters); !checked) return bad_arguments(checked.error());
  auto type_text = args->string(submit ? kSubmitParameters[0] : kProcessParameters[1]);
  if (!type_text) return bad_arguments(type_text.error());
  auto type = export_type(*type_text);
  if (!type) return bad_arguments(type.error());
  pipeline::ExportRequest request;
  request.type = *type;
  if (submit) {
    auto query = args->json_object(kSubmitParameters[1]);
    if (!query) return bad_arguments(query.error());
    request.query_json = std::move(*query);
    request.idempotency_key = task.id;  // a redelivered or retried submit never creates a second job
  } else {
    auto job_id = args->string(kProcessParameters[0]);
    if (!job_id) return bad_arguments(job_id.error());
    if (!is_valid_id(*job_id)) return invalid_input("job_id is not a valid id");
    request.job_id = std::move(*job_id);
  }
  return request;
}

}  // namespace

bool PipelineSliceRunner::handles(std::string_view task_name) const {
  return task_name == kProcessTask || task_name == kSubmitTask;
}

Result<SliceResult> PipelineSliceRunner::run_slice(const Task& task, const SliceLimits& limits) {
  auto request = request_for(task);
  if (!request) return std::move(request).error();
  auto slice = pipeline_.run_slice(*request, pipeline::SliceLimits{limits.deadline, limits.cancel});
  if (!slice) return std::move(slice).error();
  SliceResult result;
  switch (slice->kind) {
    case pipeline::SliceKind::kFinished: result.kind = SliceResult::Kind::kFinished; break;
    case pipeline::SliceKind::kJobRunning: result.kind = SliceResult::Kind::kJobRunning; break;
    case pipeline::SliceKind::kMoreToLand: result.kind = SliceResult::Kind::kMoreToLand; break;
  }
  result.next_poll = slice->next_poll;
  result.job_id = slice->outcome.job_id;
  result.job_type = request->type.to_string();
  result.state = slice->job_state;
  if (result.kind == SliceResult::Kind::kFinished) {
    // The whole job's, from the ledger: the same answer whichever slice (or
    // redelivery) finished it. "landed" is the store's final state, as `status` says.
    result.state = "landed";
    result.chunks = slice->totals.chunks;
    result.records = slice->totals.records;
    result.quarantined = slice->totals.quarantined;
  }
  return result;
}

JobRef PipelineSliceRunner::job_ref(const Task& task) {
  JobRef ref;
  auto args = celery::TaskArguments::parse(task.args_json, task.kwargs_json);
  if (!args) return ref;
  const bool submit = task.name == kSubmitTask;
  if (auto type = args->string(submit ? kSubmitParameters[0] : kProcessParameters[1])) ref.job_type = *type;
  if (!submit) {
    if (auto id = args->string(kProcessParameters[0])) ref.job_id = *id;
  }
  return ref;
}

}  // namespace gb::worker
