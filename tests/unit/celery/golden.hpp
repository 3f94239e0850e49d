#pragma once
// The fixtures make_golden.py recorded from Python Celery 5.2 (data/*.json),
// read back into gb::Message and plain fields.
#include <simdjson.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/message.hpp"

namespace gb::celery::testing {

struct GoldenTask {
  std::string name;
  int protocol = 2;
  Message message;
};

struct GoldenResult {
  std::string name;
  std::string backend;  // "rpc" or "redis"
  std::string task_id;
  std::string state;
  std::string body;
  // rpc
  std::string routing_key;
  Message message;  // properties only
  // redis
  std::string key;
  std::string date_done;
};

inline std::string read_data_file(const std::string& name) {
  std::ifstream in(std::string(GB_SOURCE_DIR) + "/tests/unit/celery/data/" + name, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read fixture " + name);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// A header value as make_golden.py wrote it: null = void, lists = arrays,
// [[k, v], ...] is never used for values (Celery's headers hold no tables).
inline FieldValue field_from_json(simdjson::dom::element e) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::NULL_VALUE: return FieldValue{};
    case element_type::BOOL: return FieldValue{bool(e)};
    case element_type::INT64: return FieldValue{std::int64_t(e)};
    case element_type::UINT64: return FieldValue{static_cast<std::int64_t>(std::uint64_t(e))};
    case element_type::DOUBLE: return FieldValue{double(e)};
    case element_type::STRING: return FieldValue{std::string(std::string_view(e))};
    case element_type::ARRAY: {
      FieldArray out;
      for (auto item : simdjson::dom::array(e)) out.push_back(field_from_json(item));
      return FieldValue{std::move(out)};
    }
    case element_type::OBJECT: break;
  }
  throw std::runtime_error("unexpected header value in fixture");
}

inline std::string text_or_empty(simdjson::dom::element object, const char* key) {
  std::string_view s;
  if (object[key].get_string().get(s)) return {};
  return std::string(s);
}

inline void read_properties(simdjson::dom::element props, Message& m) {
  m.correlation_id = text_or_empty(props, "correlation_id");
  m.reply_to = text_or_empty(props, "reply_to");
  m.content_type = text_or_empty(props, "content_type");
  m.content_encoding = text_or_empty(props, "content_encoding");
  std::int64_t mode = 2;
  if (!props["delivery_mode"].get_int64().get(mode)) m.persistent = mode == 2;
  std::int64_t priority = 0;
  if (!props["priority"].get_int64().get(priority)) m.priority = static_cast<std::uint8_t>(priority);
}

inline std::vector<GoldenTask> golden_tasks() {
  static simdjson::dom::parser parser;
  const std::string text = read_data_file("tasks.json");
  std::vector<GoldenTask> out;
  for (auto c : parser.parse(text).get_array()) {
    GoldenTask t;
    t.name = text_or_empty(c, "name");
    t.protocol = static_cast<int>(std::int64_t(c["protocol"]));
    for (auto pair : c["headers"].get_array()) {
      auto kv = simdjson::dom::array(pair);
      t.message.headers.emplace_back(std::string(std::string_view(kv.at(0))), field_from_json(kv.at(1)));
    }
    read_properties(c["properties"], t.message);
    t.message.body = text_or_empty(c, "body");
    out.push_back(std::move(t));
  }
  return out;
}

inline std::vector<GoldenResult> golden_results() {
  static simdjson::dom::parser parser;
  const std::string text = read_data_file("results.json");
  std::vector<GoldenResult> out;
  for (auto c : parser.parse(text).get_array()) {
    GoldenResult r;
    r.name = text_or_empty(c, "name");
    r.backend = text_or_empty(c, "backend");
    r.task_id = text_or_empty(c, "task_id");
    r.state = text_or_empty(c, "state");
    r.body = text_or_empty(c, "body");
    r.routing_key = text_or_empty(c, "routing_key");
    r.key = text_or_empty(c, "key");
    r.date_done = text_or_empty(c, "date_done");
    simdjson::dom::element props;
    if (!c["properties"].get(props)) read_properties(props, r.message);
    out.push_back(std::move(r));
  }
  return out;
}

inline const GoldenTask& find_task(const std::vector<GoldenTask>& tasks, const std::string& name) {
  for (const auto& t : tasks) {
    if (t.name == name) return t;
  }
  throw std::runtime_error("no golden task " + name);
}

}  // namespace gb::celery::testing
