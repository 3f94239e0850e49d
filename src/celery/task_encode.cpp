// encode_task: a TaskRequest as the protocol-2 message Python's producer
// would publish (celery/app/amqp.py, as_task_v2 and send_task_message).
#include <cmath>

#include "celery/detail/saferepr.hpp"
#include "celery/task_message.hpp"

namespace gb::celery {
namespace {

FieldValue text_or_void(const std::string& text) {
  return text.empty() ? FieldValue{} : FieldValue{text};
}

// Python sends the number it was given; ours come from settings in whole
// seconds most of the time, which Python would have sent as ints.
FieldValue limit_value(const std::optional<double>& limit) {
  if (!limit) return FieldValue{};
  const double value = *limit;
  if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 9.0e15) {
    return FieldValue{static_cast<std::int64_t>(value)};
  }
  return FieldValue{value};
}

FieldValue time_or_void(const std::optional<IsoTime>& time) {
  return time ? FieldValue{format_iso_time(*time)} : FieldValue{};
}

std::string repr_of(const std::string& given, const std::string& json) {
  if (!given.empty()) return given;
  auto repr = detail::saferepr_json(json);
  return repr.ok() ? std::move(repr).value() : json;
}

}  // namespace

Message encode_task(const TaskRequest& task) {
  Message m;
  m.content_type = "application/json";
  m.content_encoding = "utf-8";
  m.correlation_id = task.correlation_id.empty() ? task.id : task.correlation_id;
  m.reply_to = task.reply_to;
  m.priority = task.priority;
  m.persistent = true;
  m.body.reserve(task.args_json.size() + task.kwargs_json.size() + task.embed_json.size() + 6);
  m.body += '[';
  m.body += task.args_json;
  m.body += ", ";
  m.body += task.kwargs_json;
  m.body += ", ";
  m.body += task.embed_json;
  m.body += ']';

  FieldTable& h = m.headers;
  h.reserve(16 + task.extra_headers.size());
  h.emplace_back("lang", "py");
  h.emplace_back("task", task.task);
  h.emplace_back("id", task.id);
  h.emplace_back("shadow", text_or_void(task.shadow));
  h.emplace_back("eta", time_or_void(task.eta));
  h.emplace_back("expires", time_or_void(task.expires));
  h.emplace_back("group", text_or_void(task.group));
  h.emplace_back("group_index", task.group_index ? FieldValue{*task.group_index} : FieldValue{});
  h.emplace_back("retries", FieldValue{task.retries});
  h.emplace_back("timelimit", FieldArray{limit_value(task.time_limit), limit_value(task.soft_time_limit)});
  h.emplace_back("root_id", task.root_id.empty() ? task.id : task.root_id);
  h.emplace_back("parent_id", text_or_void(task.parent_id));
  h.emplace_back("argsrepr", repr_of(task.argsrepr, task.args_json));
  h.emplace_back("kwargsrepr", repr_of(task.kwargsrepr, task.kwargs_json));
  h.emplace_back("origin", text_or_void(task.origin));
  h.emplace_back("ignore_result", task.ignore_result);
  for (const auto& entry : task.extra_headers) h.push_back(entry);
  return m;
}

}  // namespace gb::celery
