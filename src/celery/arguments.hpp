#pragma once
// A task's arguments as Python would bind them to its signature: a
// parameter is filled by position or by keyword (process_bulk_job_task(
// "id", "users") and process_bulk_job_task(job_id="id", job_type="users")
// are the same call).
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "celery/task_message.hpp"

namespace gb::celery {

// One parameter of a task's signature: where it sits and what it is called.
struct Parameter {
  std::size_t position = 0;
  std::string_view name;
};

// args and kwargs of one task, parsed once. Errors are kPermanent (bad
// arguments never get better) with one-line reasons naming the parameter:
// "missing argument job_id", "job_id must be a string", "unexpected argument x".
class TaskArguments {
 public:
  // kwargs naming one parameter twice are refused (Python's json would keep
  // the last, which hides a producer's bug).
  static Result<TaskArguments> parse(std::string_view args_json, std::string_view kwargs_json);
  static Result<TaskArguments> of(const TaskRequest& task) { return parse(task.args_json, task.kwargs_json); }

  std::size_t positional_count() const { return positional_.size(); }
  std::size_t keyword_count() const { return keywords_.size(); }

  // Python's TypeErrors, as one line: more positionals than parameters
  // ("takes 2 arguments but 3 were given"), a keyword that names no
  // parameter ("unexpected argument x"), a parameter given both ways
  // ("job_id given both by position and by name").
  Status check_signature(std::span<const Parameter> parameters) const;

  // The parameter's raw JSON, by position, else by keyword; nullopt when
  // given neither way.
  std::optional<std::string_view> find(const Parameter& parameter) const;

  // A string parameter that must be given (a JSON string, not null).
  Result<std::string> string(const Parameter& parameter) const;
  // A string parameter that may be missing or null (nullopt then).
  Result<std::optional<std::string>> optional_string(const Parameter& parameter) const;
  // A JSON object, given as an object or as a string holding one (Python
  // producers send json.dumps(query) as often as the dict): the object's JSON
  // text. "query must be a JSON object or a string holding one".
  Result<std::string> json_object(const Parameter& parameter) const;

 private:
  enum class Kind { kString, kObject, kNull, kOther };
  struct Value {
    std::string raw;  // the JSON text as sent
    Kind kind = Kind::kOther;
    std::string text;  // the decoded string, for kString
  };

  const Value* lookup(const Parameter& parameter) const;

  std::vector<Value> positional_;
  std::vector<std::pair<std::string, Value>> keywords_;
};

}  // namespace gb::celery
