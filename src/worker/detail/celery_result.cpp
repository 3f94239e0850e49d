#include "worker/detail/celery_result.hpp"

namespace gb::worker::detail {
namespace {

celery::TaskState celery_state(TaskState state) {
  switch (state) {
    case TaskState::kStarted: return celery::TaskState::kStarted;
    case TaskState::kRetry: return celery::TaskState::kRetry;
    case TaskState::kSuccess: return celery::TaskState::kSuccess;
    case TaskState::kFailure: return celery::TaskState::kFailure;
    case TaskState::kRevoked: return celery::TaskState::kRevoked;
  }
  return celery::TaskState::kFailure;
}

}  // namespace

celery::TaskResult celery_result(std::string_view task_id, TaskState state, std::string_view result_json) {
  celery::TaskResult r;
  r.task_id = std::string(task_id);
  r.state = celery_state(state);
  r.result_json = std::string(result_json);
  return r;
}

}  // namespace gb::worker::detail
