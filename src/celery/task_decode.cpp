// decode_task: a broker message to a TaskRequest, or the one-line reason why
// not (which goes to the dead letters with the message).
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <string>
#include <string_view>
#include <utility>

#include "base/ids.hpp"
#include "celery/detail/json_scan.hpp"
#include "celery/detail/text.hpp"
#include "celery/task_message.hpp"

namespace gb::celery {
namespace {

using detail::quote_for_error;

// Headers protocol 2 defines; every other header is kept in extra_headers.
constexpr std::array<std::string_view, 16> kKnownHeaders = {
    "lang",    "task",      "id",      "shadow",    "eta",      "expires",    "group",  "group_index",
    "retries", "timelimit", "root_id", "parent_id", "argsrepr", "kwargsrepr", "origin", "ignore_result"};

Error bad(std::string message) {
  return permanent_error(std::move(message));
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

Status check_content(const Message& message) {
  if (message.body.size() > kMaxBodyBytes) {
    return bad("message body is " + std::to_string(message.body.size()) + " bytes, over the limit of " +
               std::to_string(kMaxBodyBytes));
  }
  const std::string_view media = trim(std::string_view(message.content_type).substr(0, message.content_type.find(';')));
  if (media.empty()) return bad("message has no content type; send JSON (application/json)");
  if (lower(media) != "application/json") {
    return bad("content type " + quote_for_error(message.content_type) + " is not supported; send JSON");
  }
  const std::string encoding = lower(message.content_encoding);
  if (!encoding.empty() && encoding != "utf-8" && encoding != "utf8") {
    return bad("content encoding " + quote_for_error(message.content_encoding) + " is not supported; send UTF-8 JSON");
  }
  if (const FieldValue* compression = find_field(message.headers, "compression"); compression != nullptr) {
    const std::string* name = compression->as_string();
    return bad("compressed messages (" + (name != nullptr ? quote_for_error(*name) : std::string("?")) +
               ") are not supported; send JSON uncompressed");
  }
  return ok_status();
}

Status check_id(std::string_view what, const std::string& id, bool required) {
  if (id.empty() && !required) return ok_status();
  if (id.empty()) return bad(std::string(what) + " is missing");
  if (!is_valid_task_id(id)) {
    return bad(std::string(what) + " " + quote_for_error(id) + " is not a valid id (1-255 visible ASCII characters)");
  }
  return ok_status();
}

Status check_name(const std::string& name) {
  if (name.empty()) return bad("task name is missing");
  if (name.size() > kMaxTaskNameBytes || !detail::is_visible_ascii(name)) {
    return bad("task name " + quote_for_error(name) + " is not a valid name (1-255 visible ASCII characters)");
  }
  return ok_status();
}

Status check_property(std::string_view what, const std::string& value) {
  if (value.size() > 255 || !(value.empty() || detail::is_visible_ascii(value))) {
    return bad(std::string(what) + " " + quote_for_error(value) +
               " is not valid (at most 255 visible ASCII characters)");
  }
  return ok_status();
}

// A typed field read from headers (v2) or from the body's object (v1): both
// become this small variant first so that one set of checks serves both.
struct Field {
  enum class Type { kMissing, kNull, kBool, kInt, kDouble, kString, kOther } type = Type::kMissing;
  bool b = false;
  std::int64_t i = 0;
  double d = 0;
  std::string s;
  std::optional<double> pair[2];  // timelimit, when it is a [a, b] of numbers or nulls
  bool is_pair = false;
};

Field from_header(const FieldValue* value) {
  Field f;
  if (value == nullptr) return f;
  if (value->is_void()) {
    f.type = Field::Type::kNull;
  } else if (const bool* b = value->as_bool()) {
    f.type = Field::Type::kBool;
    f.b = *b;
  } else if (const std::int64_t* i = value->as_int()) {
    f.type = Field::Type::kInt;
    f.i = *i;
  } else if (const double* d = value->as_double()) {
    f.type = Field::Type::kDouble;
    f.d = *d;
  } else if (const std::string* s = value->as_string()) {
    f.type = Field::Type::kString;
    f.s = *s;
  } else {
    f.type = Field::Type::kOther;
    if (const FieldArray* a = value->as_array(); a != nullptr && a->size() == 2) {
      f.is_pair = true;
      for (std::size_t k = 0; k < 2; ++k) {
        const FieldValue& item = (*a)[k];
        if (const std::int64_t* i = item.as_int()) {
          f.pair[k] = static_cast<double>(*i);
        } else if (const double* d = item.as_double()) {
          f.pair[k] = *d;
        } else if (!item.is_void()) {
          f.is_pair = false;
        }
      }
    }
  }
  return f;
}

Field from_json(simdjson::dom::object object, std::string_view key) {
  Field f;
  simdjson::dom::element e;
  if (object.at_key(key).get(e)) return f;
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::NULL_VALUE: f.type = Field::Type::kNull; break;
    case element_type::BOOL:
      f.type = Field::Type::kBool;
      f.b = e.get_bool().value_unsafe();
      break;
    case element_type::INT64:
      f.type = Field::Type::kInt;
      f.i = e.get_int64().value_unsafe();
      break;
    case element_type::DOUBLE:
      f.type = Field::Type::kDouble;
      f.d = e.get_double().value_unsafe();
      break;
    case element_type::STRING:
      f.type = Field::Type::kString;
      f.s = std::string(e.get_string().value_unsafe());
      break;
    case element_type::ARRAY: {
      f.type = Field::Type::kOther;
      const simdjson::dom::array a = e.get_array().value_unsafe();
      if (a.size() != 2) break;
      f.is_pair = true;
      std::size_t k = 0;
      for (auto item : a) {
        if (item.is_int64()) {
          f.pair[k] = static_cast<double>(item.get_int64().value_unsafe());
        } else if (item.is_double()) {
          f.pair[k] = item.get_double().value_unsafe();
        } else if (!item.is_null()) {
          f.is_pair = false;
        }
        ++k;
      }
      break;
    }
    default: f.type = Field::Type::kOther;
  }
  return f;
}

// A string or None (void/null/missing). `max` bounds it.
Status read_text(std::string_view what, const Field& f, std::size_t max, std::string& out) {
  if (f.type == Field::Type::kMissing || f.type == Field::Type::kNull) return ok_status();
  if (f.type != Field::Type::kString) return bad(std::string(what) + " must be a string or null");
  if (f.s.size() > max) {
    return bad(std::string(what) + " is " + std::to_string(f.s.size()) + " bytes, over the limit of " +
               std::to_string(max));
  }
  out = f.s;
  return ok_status();
}

Status read_time(std::string_view what, const Field& f, std::optional<IsoTime>& out) {
  if (f.type == Field::Type::kMissing || f.type == Field::Type::kNull) return ok_status();
  if (f.type != Field::Type::kString) return bad(std::string(what) + " must be an ISO 8601 string or null");
  auto parsed = parse_iso_time(f.s);
  if (!parsed.ok()) return bad(std::string(what) + ": " + parsed.error().message);
  out = *parsed;
  return ok_status();
}

Status read_retries(const Field& f, std::int64_t& out) {
  if (f.type == Field::Type::kMissing || f.type == Field::Type::kNull) return ok_status();
  if (f.type != Field::Type::kInt) return bad("retries must be an integer");
  if (f.i < 0 || f.i > kMaxRetries) return bad("retries " + std::to_string(f.i) + " is out of range");
  out = f.i;
  return ok_status();
}

Status read_timelimit(const Field& f, TaskRequest& task) {
  if (f.type == Field::Type::kMissing || f.type == Field::Type::kNull) return ok_status();
  if (!f.is_pair) return bad("timelimit must be [hard, soft], each a number of seconds or null");
  for (const auto& limit : f.pair) {
    if (limit && (!std::isfinite(*limit) || *limit < 0)) return bad("timelimit must hold non-negative numbers");
  }
  task.time_limit = f.pair[0];
  task.soft_time_limit = f.pair[1];
  return ok_status();
}

Status read_group_index(const Field& f, std::optional<std::int64_t>& out) {
  if (f.type == Field::Type::kMissing || f.type == Field::Type::kNull) return ok_status();
  if (f.type != Field::Type::kInt) return bad("group_index must be an integer or null");
  out = f.i;
  return ok_status();
}

Status read_bool(std::string_view what, const Field& f, bool& out) {
  if (f.type == Field::Type::kMissing || f.type == Field::Type::kNull) return ok_status();
  if (f.type != Field::Type::kBool) return bad(std::string(what) + " must be true or false");
  out = f.b;
  return ok_status();
}

// The checks both protocols share, once the fields are read.
Status check_task(const TaskRequest& task) {
  if (auto s = check_name(task.task); !s.ok()) return s;
  if (auto s = check_id("task id", task.id, true); !s.ok()) return s;
  if (auto s = check_id("root_id", task.root_id, false); !s.ok()) return s;
  if (auto s = check_id("parent_id", task.parent_id, false); !s.ok()) return s;
  if (auto s = check_id("group", task.group, false); !s.ok()) return s;
  if (auto s = check_property("correlation_id", task.correlation_id); !s.ok()) return s;
  return check_property("reply_to", task.reply_to);
}

#define GB_TRY(expr)                                              \
  do {                                                            \
    if (auto s_ = (expr); !s_.ok()) return std::move(s_).error(); \
  } while (false)

// The fields both protocols carry (v2 in headers, v1 in the body's object;
// Celery's worker reads v1 the same way, strategy.py hybrid_to_proto2).
template <class FieldOf>
Status read_fields(const FieldOf& field, TaskRequest& task) {
  GB_TRY(read_text("task", field("task"), kMaxHeaderTextBytes, task.task));
  GB_TRY(read_text("id", field("id"), kMaxHeaderTextBytes, task.id));
  GB_TRY(read_retries(field("retries"), task.retries));
  GB_TRY(read_time("eta", field("eta"), task.eta));
  GB_TRY(read_time("expires", field("expires"), task.expires));
  GB_TRY(read_timelimit(field("timelimit"), task));
  GB_TRY(read_text("root_id", field("root_id"), kMaxHeaderTextBytes, task.root_id));
  GB_TRY(read_text("parent_id", field("parent_id"), kMaxHeaderTextBytes, task.parent_id));
  GB_TRY(read_text("group", field("group"), kMaxHeaderTextBytes, task.group));
  GB_TRY(read_group_index(field("group_index"), task.group_index));
  GB_TRY(read_text("shadow", field("shadow"), kMaxHeaderTextBytes, task.shadow));
  GB_TRY(read_text("origin", field("origin"), kMaxHeaderTextBytes, task.origin));
  GB_TRY(read_bool("ignore_result", field("ignore_result"), task.ignore_result));
  GB_TRY(read_text("argsrepr", field("argsrepr"), kMaxHeaderTextBytes, task.argsrepr));
  GB_TRY(read_text("kwargsrepr", field("kwargsrepr"), kMaxHeaderTextBytes, task.kwargsrepr));
  return ok_status();
}

Result<simdjson::dom::element> parse_body(simdjson::dom::parser& parser, const std::string& body) {
  simdjson::dom::element root;
  if (auto error = parser.parse(body).get(root); error) {
    if (error == simdjson::UTF8_ERROR) return bad("message body is not valid UTF-8");
    return bad(std::string("message body is not valid JSON: ") + simdjson::error_message(error));
  }
  return root;
}

Result<TaskRequest> decode_v2(const Message& message) {
  TaskRequest task;
  task.protocol = Protocol::kV2;
  const FieldTable& h = message.headers;
  auto field = [&](std::string_view key) { return from_header(find_field(h, key)); };
  GB_TRY(read_fields(field, task));
  for (const auto& [key, value] : h) {
    if (std::find(kKnownHeaders.begin(), kKnownHeaders.end(), key) != kKnownHeaders.end()) continue;
    if (task.extra_headers.size() == kMaxExtraHeaders) {
      return bad("message has more than " + std::to_string(kMaxExtraHeaders) + " headers Celery does not define");
    }
    task.extra_headers.emplace_back(key, value);
  }

  simdjson::dom::parser parser;
  auto root = parse_body(parser, message.body);
  if (!root.ok()) return std::move(root).error();
  simdjson::dom::array body;
  if (root->get_array().get(body) || body.size() != 3) {
    return bad("message body must be the JSON array [args, kwargs, embed] (protocol 2)");
  }
  auto it = body.begin();
  if (!(*it).is_array()) return bad("args (the body's first element) must be a JSON array");
  ++it;
  if (!(*it).is_object()) return bad("kwargs (the body's second element) must be a JSON object");
  ++it;
  if (!(*it).is_object() && !(*it).is_null()) return bad("embed (the body's third element) must be a JSON object");
  const auto raw = detail::array_elements(message.body);
  if (raw.size() != 3) return bad("message body could not be split into [args, kwargs, embed]");
  task.args_json = std::string(raw[0]);
  task.kwargs_json = std::string(raw[1]);
  task.embed_json = std::string(raw[2]);
  return task;
}

Result<TaskRequest> decode_v1(const Message& message) {
  TaskRequest task;
  task.protocol = Protocol::kV1;
  simdjson::dom::parser parser;
  auto root = parse_body(parser, message.body);
  if (!root.ok()) return std::move(root).error();
  simdjson::dom::object body;
  if (root->get_object().get(body)) {
    return bad("message has no task header and its body is not a JSON object (neither protocol 2 nor 1)");
  }
  auto field = [&](std::string_view key) { return from_json(body, key); };
  GB_TRY(read_fields(field, task));
  if (task.group.empty()) GB_TRY(read_text("taskset", field("taskset"), kMaxHeaderTextBytes, task.group));
  for (const auto& entry : message.headers) {
    if (task.extra_headers.size() == kMaxExtraHeaders) {
      return bad("message has more than " + std::to_string(kMaxExtraHeaders) + " headers");
    }
    task.extra_headers.push_back(entry);
  }

  // Raw text of each member, matched to the DOM's keys by position.
  const auto raw = detail::member_values(message.body);
  if (raw.size() != body.size()) return bad("message body could not be split into its members");
  std::string_view callbacks = "null";
  std::string_view errbacks = "null";
  std::string_view chord = "null";
  bool have_args = false;
  bool have_kwargs = false;
  std::size_t index = 0;
  for (auto [key, value] : body) {
    const std::string_view text = raw[index++];
    if (key == "args" && !have_args) {
      if (!value.is_array()) return bad("args must be a JSON array");
      task.args_json = std::string(text);
      have_args = true;
    } else if (key == "kwargs" && !have_kwargs) {
      if (!value.is_object()) return bad("kwargs must be a JSON object");
      task.kwargs_json = std::string(text);
      have_kwargs = true;
    } else if (key == "callbacks") {
      callbacks = text;
    } else if (key == "errbacks") {
      errbacks = text;
    } else if (key == "chord") {
      chord = text;
    }
  }
  task.embed_json = "{\"callbacks\": " + std::string(callbacks) + ", \"errbacks\": " + std::string(errbacks) +
                    ", \"chain\": null, \"chord\": " + std::string(chord) + "}";
  return task;
}

#undef GB_TRY

}  // namespace

Result<TaskRequest> decode_task(const Message& message) {
  if (auto s = check_content(message); !s.ok()) return std::move(s).error();
  const bool v2 = find_field(message.headers, "task") != nullptr;
  auto task = v2 ? decode_v2(message) : decode_v1(message);
  if (!task.ok()) return task;
  task->correlation_id = message.correlation_id;
  task->reply_to = message.reply_to;
  task->priority = message.priority.value_or(0);
  if (auto s = check_task(*task); !s.ok()) return std::move(s).error();
  return task;
}

}  // namespace gb::celery
