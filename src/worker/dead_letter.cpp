#include "worker/dead_letter.hpp"

#include <simdjson.h>

#include "base/json.hpp"
#include "worker/detail/base64.hpp"
#include "worker/detail/field_json.hpp"
#include "worker/detail/iso_time.hpp"

namespace gb::worker {
namespace {

constexpr std::size_t kMaxDocument = std::size_t{4} << 20;

void key(std::string& out, std::string_view name) {
  if (out.back() != '{') out.push_back(',');
  append_json_string(out, name);
  out.push_back(':');
}

void put(std::string& out, std::string_view name, std::string_view value) {
  key(out, name);
  // Strings from the network may be any bytes: JSON wants UTF-8.
  append_json_string(out, detail::is_utf8(value) ? value : std::string_view("(not UTF-8)"));
}

void put(std::string& out, std::string_view name, std::int64_t value) {
  key(out, name);
  out += std::to_string(value);
}

// Raw JSON from a decoded task goes in as it is, if it is JSON.
void put_raw(std::string& out, std::string_view name, const std::optional<std::string>& json) {
  key(out, name);
  if (!json) {
    out += "null";
    return;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element parsed;
  if (detail::is_utf8(*json) && parser.parse(simdjson::padded_string(*json)).get(parsed) == simdjson::SUCCESS) {
    out += *json;
  } else {
    append_json_string(out, detail::is_utf8(*json) ? std::string_view(*json) : std::string_view("(not UTF-8)"));
  }
}

void put_message(std::string& out, const Message& m) {
  key(out, "message");
  out.push_back('{');
  const bool cut = m.body.size() > kMaxStoredBody;
  put(out, "body_base64", detail::base64_encode(std::string_view(m.body).substr(0, kMaxStoredBody)));
  key(out, "body_truncated");
  out += cut ? "true" : "false";
  put(out, "content_type", m.content_type);
  put(out, "content_encoding", m.content_encoding);
  put(out, "correlation_id", m.correlation_id);
  put(out, "reply_to", m.reply_to);
  put(out, "message_id", m.message_id);
  key(out, "priority");
  out += m.priority ? std::to_string(*m.priority) : "null";
  key(out, "persistent");
  out += m.persistent ? "true" : "false";
  key(out, "headers");
  detail::append_field_table(out, m.headers);
  out.push_back('}');
}

// Readers: a missing optional member leaves the default.
using simdjson::dom::element;
using simdjson::dom::object;

bool get(object o, std::string_view name, std::string& out) {
  std::string_view v;
  if (o[name].get_string().get(v) != simdjson::SUCCESS) return false;
  out = std::string(v);
  return true;
}

void get_int(object o, std::string_view name, std::int64_t& out) {
  std::int64_t v = 0;
  if (o[name].get_int64().get(v) == simdjson::SUCCESS) out = v;
}

void get_time(object o, std::string_view name, WallTime& out) {
  std::string text;
  if (!get(o, name, text)) return;
  if (auto t = detail::parse_utc_ms(text)) out = *t;
}

Result<Message> read_message(object o) {
  Message m;
  std::string encoded;
  if (!get(o, "body_base64", encoded)) return invalid_input("dead letter: message without body_base64");
  auto body = detail::base64_decode(encoded);
  if (!body) return invalid_input("dead letter: message body is not base64");
  m.body = std::move(*body);
  get(o, "content_type", m.content_type);
  get(o, "content_encoding", m.content_encoding);
  get(o, "correlation_id", m.correlation_id);
  get(o, "reply_to", m.reply_to);
  get(o, "message_id", m.message_id);
  std::int64_t priority = -1;
  get_int(o, "priority", priority);
  if (priority >= 0 && priority <= 255) m.priority = static_cast<std::uint8_t>(priority);
  bool persistent = true;
  if (o["persistent"].get_bool().get(persistent) == simdjson::SUCCESS) m.persistent = persistent;
  element headers;
  if (o["headers"].get(headers) == simdjson::SUCCESS) {
    if (auto read = detail::field_table_from_json(headers, m.headers); !read) return std::move(read).error();
  }
  return m;
}

void set_header(FieldTable& headers, std::string_view name, FieldValue value) {
  for (auto& [k, v] : headers) {
    if (k == name) {
      v = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::string(name), std::move(value));
}

}  // namespace

std::string dead_letter_queue(std::string_view work_queue) {
  return std::string(work_queue) + ".dlq";
}

std::string to_json(const DeadLetter& letter) {
  std::string out = "{";
  put(out, "version", 1);
  put(out, "task_id", letter.task_id);
  put(out, "task_name", letter.task_name);
  put_raw(out, "args", letter.args_json);
  put_raw(out, "kwargs", letter.kwargs_json);
  put(out, "job_id", letter.job_id);
  put(out, "job_type", letter.job_type);
  put(out, "reason", letter.reason);
  put(out, "error_kind", letter.error_kind);
  put(out, "http_status", letter.http_status);
  put(out, "correlation_id", letter.correlation_id);
  put(out, "retries", letter.retries);
  put(out, "first_seen", detail::format_utc_ms(letter.first_seen));
  put(out, "last_seen", detail::format_utc_ms(letter.last_seen));
  key(out, "worker");
  out.push_back('{');
  put(out, "host", letter.worker_host);
  put(out, "pid", letter.worker_pid);
  out.push_back('}');
  put(out, "queue", letter.queue);
  put_message(out, letter.original);
  out.push_back('}');
  return out;
}

Result<DeadLetter> parse_dead_letter(std::string_view json) {
  if (json.size() > kMaxDocument) return invalid_input("dead letter: document too large");
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(json);
  object doc;
  if (parser.parse(padded).get_object().get(doc) != simdjson::SUCCESS) {
    return invalid_input("dead letter: not a JSON object");
  }
  std::int64_t version = 0;
  get_int(doc, "version", version);
  if (version != 1) return invalid_input("dead letter: unknown version " + std::to_string(version));
  DeadLetter letter;
  if (!get(doc, "task_id", letter.task_id) || !get(doc, "reason", letter.reason) || !get(doc, "queue", letter.queue)) {
    return invalid_input("dead letter: task_id, reason or queue missing");
  }
  get(doc, "task_name", letter.task_name);
  element args;
  if (doc["args"].get(args) == simdjson::SUCCESS && !args.is_null()) letter.args_json = simdjson::minify(args);
  element kwargs;
  if (doc["kwargs"].get(kwargs) == simdjson::SUCCESS && !kwargs.is_null()) {
    letter.kwargs_json = simdjson::minify(kwargs);
  }
  get(doc, "job_id", letter.job_id);
  get(doc, "job_type", letter.job_type);
  get(doc, "error_kind", letter.error_kind);
  std::int64_t number = 0;
  get_int(doc, "http_status", number);
  letter.http_status = static_cast<int>(number);
  number = 0;
  get_int(doc, "retries", number);
  letter.retries = static_cast<int>(number);
  get(doc, "correlation_id", letter.correlation_id);
  get_time(doc, "first_seen", letter.first_seen);
  get_time(doc, "last_seen", letter.last_seen);
  object worker;
  if (doc["worker"].get_object().get(worker) == simdjson::SUCCESS) {
    get(worker, "host", letter.worker_host);
    get_int(worker, "pid", letter.worker_pid);
  }
  object message;
  if (doc["message"].get_object().get(message) != simdjson::SUCCESS) return invalid_input("dead letter: no message");
  auto original = read_message(message);
  if (!original) return std::move(original).error();
  letter.original = std::move(*original);
  bool cut = false;
  if (message["body_truncated"].get_bool().get(cut) == simdjson::SUCCESS) letter.body_truncated = cut;
  return letter;
}

Message dead_letter_message(const DeadLetter& letter) {
  Message m;
  m.body = to_json(letter);
  m.content_type = "application/json";
  m.content_encoding = "utf-8";
  m.message_id = letter.task_id;
  m.persistent = true;
  return m;
}

Result<Message> replay_message(const DeadLetter& letter) {
  if (letter.body_truncated) return invalid_input("dead letter " + letter.task_id + ": its body was cut short");
  Message m = letter.original;
  const FieldValue* task = find_field(m.headers, "task");
  if (task == nullptr || task->as_string() == nullptr) {
    return invalid_input("dead letter " + letter.task_id + ": not a Celery protocol 2 message");
  }
  strip_dead_letter_headers(m.headers);
  std::erase_if(m.headers, [](const auto& entry) { return entry.first == kFirstSeenHeader; });
  set_header(m.headers, "retries", FieldValue(0));
  set_header(m.headers, "eta", FieldValue());
  set_header(m.headers, "expires", FieldValue());
  m.expiration.clear();
  m.persistent = true;
  return m;
}

}  // namespace gb::worker
