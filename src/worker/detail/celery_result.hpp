#pragma once
// A state the worker stores as celery/'s result document (shared by the
// rpc:// and redis:// backends).
#include <string_view>

#include "celery/results.hpp"
#include "worker/ports.hpp"

namespace gb::worker::detail {

celery::TaskResult celery_result(std::string_view task_id, TaskState state, std::string_view result_json);

}  // namespace gb::worker::detail
