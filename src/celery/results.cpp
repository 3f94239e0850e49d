#include "celery/results.hpp"

#include <simdjson.h>

#include <array>
#include <utility>

#include "celery/detail/json_scan.hpp"
#include "celery/iso_time.hpp"
#include "celery/python_json.hpp"

namespace gb::celery {
namespace {

constexpr std::array<std::pair<TaskState, std::string_view>, 7> kStates = {{
    {TaskState::kPending, "PENDING"},
    {TaskState::kReceived, "RECEIVED"},
    {TaskState::kStarted, "STARTED"},
    {TaskState::kSuccess, "SUCCESS"},
    {TaskState::kFailure, "FAILURE"},
    {TaskState::kRetry, "RETRY"},
    {TaskState::kRevoked, "REVOKED"},
}};

void append_member(std::string& out, std::string_view key, std::string_view raw_value) {
  if (out.size() > 1) out += ", ";
  append_python_json_string(out, key);
  out += ": ";
  out += raw_value;
}

std::string string_or_null(const std::optional<std::string>& text) {
  return text ? python_json_string(*text) : "null";
}

TaskResult exception_result(std::string task_id, TaskState state, const TaskException& exception,
                            std::optional<std::string> traceback) {
  TaskResult r;
  r.task_id = std::move(task_id);
  r.state = state;
  r.result_json = exception_json(exception);
  r.traceback = std::move(traceback);
  return r;
}

Error bad(std::string message) {
  return permanent_error(std::move(message));
}

}  // namespace

std::string_view to_string(TaskState state) {
  for (const auto& [s, name] : kStates) {
    if (s == state) return name;
  }
  return "PENDING";
}

std::optional<TaskState> parse_state(std::string_view text) {
  for (const auto& [s, name] : kStates) {
    if (name == text) return s;
  }
  return std::nullopt;
}

bool is_ready(TaskState state) {
  return state == TaskState::kSuccess || state == TaskState::kFailure || state == TaskState::kRevoked;
}

bool is_exception_state(TaskState state) {
  return state == TaskState::kRetry || state == TaskState::kFailure || state == TaskState::kRevoked;
}

std::string TaskException::describe() const {
  std::string out = module == "builtins" || module.empty() ? type : module + "." + type;
  if (!message.empty()) out += ": " + message;
  return out;
}

std::string exception_json(const TaskException& exception) {
  std::string out = "{";
  append_member(out, "exc_type", python_json_string(exception.type));
  append_member(out, "exc_message", "[" + python_json_string(exception.message) + "]");
  append_member(out, "exc_module", python_json_string(exception.module));
  out += '}';
  return out;
}

TaskResult success_result(std::string task_id, std::string value_json) {
  TaskResult r;
  r.task_id = std::move(task_id);
  r.state = TaskState::kSuccess;
  r.result_json = std::move(value_json);
  return r;
}

TaskResult failure_result(std::string task_id, const TaskException& exception, std::optional<std::string> traceback) {
  return exception_result(std::move(task_id), TaskState::kFailure, exception, std::move(traceback));
}

TaskResult retry_result(std::string task_id, const TaskException& cause, std::optional<std::string> traceback) {
  return exception_result(std::move(task_id), TaskState::kRetry, cause, std::move(traceback));
}

TaskResult started_result(std::string task_id, std::int64_t pid, std::string_view hostname) {
  TaskResult r;
  r.task_id = std::move(task_id);
  r.state = TaskState::kStarted;
  r.result_json = "{\"pid\": " + std::to_string(pid) + ", \"hostname\": " + python_json_string(hostname) + "}";
  return r;
}

TaskResult revoked_result(std::string task_id, std::string_view reason) {
  TaskException e;
  e.type = "TaskRevokedError";
  e.module = "celery.exceptions";
  e.message = std::string(reason);
  return exception_result(std::move(task_id), TaskState::kRevoked, e, std::nullopt);
}

std::string rpc_result_body(const TaskResult& result) {
  std::string out = "{";
  append_member(out, "task_id", python_json_string(result.task_id));
  append_member(out, "status", python_json_string(to_string(result.state)));
  append_member(out, "result", result.result_json);
  append_member(out, "traceback", string_or_null(result.traceback));
  append_member(out, "children", result.children_json);
  out += '}';
  return out;
}

Message rpc_result_message(const TaskResult& result, std::string_view correlation_id) {
  Message m;
  m.body = rpc_result_body(result);
  m.content_type = "application/json";
  m.content_encoding = "utf-8";
  m.correlation_id = correlation_id.empty() ? result.task_id : std::string(correlation_id);
  m.priority = 0;
  m.persistent = false;
  return m;
}

std::string redis_result_key(std::string_view task_id) {
  return "celery-task-meta-" + std::string(task_id);
}

std::string redis_result_value(const TaskResult& result, std::chrono::system_clock::time_point now) {
  std::string out = "{";
  append_member(out, "status", python_json_string(to_string(result.state)));
  append_member(out, "result", result.result_json);
  append_member(out, "traceback", string_or_null(result.traceback));
  append_member(out, "children", result.children_json);
  append_member(out, "date_done",
                is_ready(result.state)
                    ? python_json_string(format_iso_time(IsoTime{result.date_done.value_or(now), {}}))
                    : std::string("null"));
  if (!result.group_id.empty()) append_member(out, "group_id", python_json_string(result.group_id));
  if (!result.parent_id.empty()) append_member(out, "parent_id", python_json_string(result.parent_id));
  append_member(out, "task_id", python_json_string(result.task_id));
  out += '}';
  return out;
}

Result<TaskResult> decode_result(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(json.data(), json.size()).get(root); error) {
    return bad(std::string("result is not valid JSON: ") + simdjson::error_message(error));
  }
  simdjson::dom::object object;
  if (root.get_object().get(object)) return bad("result is not a JSON object");
  const auto raw = detail::member_values(json);
  if (raw.size() != object.size()) return bad("result could not be split into its members");
  TaskResult r;
  bool have_status = false;
  std::size_t index = 0;
  for (auto [key, value] : object) {
    const std::string_view text = raw[index++];
    std::string_view s;
    const bool is_string = !value.get_string().get(s);
    if (key == "status") {
      const auto state = is_string ? parse_state(s) : std::nullopt;
      if (!state) return bad("result has an unknown status");
      r.state = *state;
      have_status = true;
    } else if (key == "task_id" && is_string) {
      r.task_id = std::string(s);
    } else if (key == "result") {
      r.result_json = std::string(text);
    } else if (key == "traceback" && is_string) {
      r.traceback = std::string(s);
    } else if (key == "children") {
      r.children_json = std::string(text);
    } else if (key == "parent_id" && is_string) {
      r.parent_id = std::string(s);
    } else if (key == "group_id" && is_string) {
      r.group_id = std::string(s);
    } else if (key == "date_done" && is_string) {
      auto when = parse_iso_time(s);
      if (!when.ok()) return bad("result's date_done: " + when.error().message);
      r.date_done = when->at;
    }
  }
  if (!have_status) return bad("result has no status");
  return r;
}

Result<TaskException> decode_exception(std::string_view result_json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(result_json.data(), result_json.size()).get(root); error) {
    return bad(std::string("exception is not valid JSON: ") + simdjson::error_message(error));
  }
  TaskException e;
  std::string_view type;
  if (root["exc_type"].get_string().get(type)) return bad("exception has no exc_type");
  e.type = std::string(type);
  std::string_view module;
  e.module = root["exc_module"].get_string().get(module) ? std::string() : std::string(module);
  simdjson::dom::element message;
  if (!root["exc_message"].get(message)) {
    // Python's exc.args: one string (ours, and most exceptions), a bare
    // string (older workers), or anything else, shown as JSON.
    std::string_view text;
    simdjson::dom::array args;
    const bool one_string = !message.get_array().get(args) && args.size() == 1 && !args.at(0).get_string().get(text);
    if (one_string || !message.get_string().get(text)) {
      e.message = std::string(text);
    } else {
      e.message = simdjson::minify(message);
    }
  }
  return e;
}

}  // namespace gb::celery
