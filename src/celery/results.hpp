#pragma once
// Task results in Celery's own JSON documents, so that Python's
// AsyncResult.get() reads what our worker stores (celery/backends/base.py,
// rpc.py, redis.py in Celery 5.2):
// - rpc://   a message to the task's reply_to, correlation_id = the task's,
//            body {"task_id", "status", "result", "traceback", "children"};
// - redis:// key celery-task-meta-<id>, value {"status", "result",
//            "traceback", "children", "date_done", ["group_id",]
//            ["parent_id",] "task_id"}, SETEX'd and PUBLISHed on the key.
// An exception travels as {"exc_type", "exc_message": [args], "exc_module"};
// Python rebuilds the class from that module when it is imported (builtins
// always is, so builtins.RuntimeError raises a real RuntimeError), else a
// look-alike class under celery.exceptions (exception_to_python).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/message.hpp"
#include "base/result.hpp"

namespace gb::celery {

// celery/states.py.
enum class TaskState { kPending, kReceived, kStarted, kSuccess, kFailure, kRetry, kRevoked };
std::string_view to_string(TaskState state);  // "SUCCESS", ...
std::optional<TaskState> parse_state(std::string_view text);
bool is_ready(TaskState state);            // SUCCESS, FAILURE, REVOKED: get() returns or raises
bool is_exception_state(TaskState state);  // RETRY, FAILURE, REVOKED: result is an exception

// A Python exception as the JSON backends carry it. Our failures are
// builtins.RuntimeError (or another builtin): the producer gets a real
// exception with our reason as its message.
struct TaskException {
  std::string type = "RuntimeError";  // exc_type (the class's __qualname__)
  std::string module = "builtins";    // exc_module
  std::string message;                // exc_message[0] (Python's exc.args[0])

  friend bool operator==(const TaskException&, const TaskException&) = default;
  // "RuntimeError: HTTP 404: job not found" (module shown unless builtins).
  std::string describe() const;
};

inline constexpr std::string_view kRevokedExpired = "expired";  // Celery's reason for an expired task

// One result document. result_json is raw JSON: the task's return value for
// SUCCESS, {"pid", "hostname"} for STARTED, an exception (exception_json)
// for RETRY, FAILURE and REVOKED.
struct TaskResult {
  std::string task_id;
  TaskState state = TaskState::kPending;
  std::string result_json = "null";
  std::optional<std::string> traceback;  // Python's traceback text; null when none
  std::string children_json = "[]";      // a worker's request always has children: []
  std::string parent_id;                 // redis:// only, written when not empty
  std::string group_id;                  // likewise
  // redis:// only, for ready states; redis_result_value uses its `now` when unset.
  std::optional<std::chrono::system_clock::time_point> date_done;

  friend bool operator==(const TaskResult&, const TaskResult&) = default;
};

// {"exc_type": "RuntimeError", "exc_message": ["..."], "exc_module": "builtins"}.
std::string exception_json(const TaskException& exception);

// The documents a worker stores. `value_json` must be valid JSON.
TaskResult success_result(std::string task_id, std::string value_json);
TaskResult failure_result(std::string task_id, const TaskException& exception,
                          std::optional<std::string> traceback = std::nullopt);
// Celery stores RETRY with the exception that caused the retry as the result
// (Task.retry's exc; celery/app/trace.py handle_retry stores reason.exc), not
// the Retry itself: the producer's get() keeps waiting.
TaskResult retry_result(std::string task_id, const TaskException& cause,
                        std::optional<std::string> traceback = std::nullopt);
// Sent when a task starts, if the producer asked (task_track_started).
TaskResult started_result(std::string task_id, std::int64_t pid, std::string_view hostname);
// celery.exceptions.TaskRevokedError(reason): an expired task is not run,
// and get() raises this instead of waiting forever.
TaskResult revoked_result(std::string task_id, std::string_view reason = kRevokedExpired);

// rpc:// body, byte for byte as Python's RPCBackend writes it.
std::string rpc_result_body(const TaskResult& result);
// The rpc:// message: body, JSON/utf-8, correlation_id (the task's, or its
// id when empty), not persistent (Celery's result_persistent default),
// priority 0. Publish it to the default exchange "" with routing key =
// the task's reply_to; nothing is sent when reply_to is empty.
Message rpc_result_message(const TaskResult& result, std::string_view correlation_id);

// redis:// key and value, as Python's RedisBackend writes them. date_done is
// datetime.utcnow().isoformat() of ready states (naive UTC), null otherwise.
std::string redis_result_key(std::string_view task_id);
std::string redis_result_value(const TaskResult& result, std::chrono::system_clock::time_point now);

// Reads either document (what `submit --wait` gets back). kPermanent errors.
Result<TaskResult> decode_result(std::string_view json);
// The exception in an exception state's result_json.
Result<TaskException> decode_exception(std::string_view result_json);

}  // namespace gb::celery
