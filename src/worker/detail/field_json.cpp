#include "worker/detail/field_json.hpp"

#include <fmt/format.h>

#include <cmath>

#include "base/json.hpp"
#include "worker/detail/base64.hpp"

namespace gb::worker::detail {
namespace {

constexpr int kMaxDepth = 32;

void append_value(std::string& out, const FieldValue& value);

void append_table(std::string& out, const FieldTable& table) {
  out.push_back('{');
  bool first = true;
  for (const auto& [key, value] : table) {
    if (!first) out.push_back(',');
    first = false;
    append_json_string(out, is_utf8(key) ? std::string_view(key) : std::string_view("?"));
    out.push_back(':');
    append_value(out, value);
  }
  out.push_back('}');
}

void append_value(std::string& out, const FieldValue& value) {
  if (value.is_void()) {
    out += "null";
  } else if (const bool* b = value.as_bool()) {
    out += *b ? "true" : "false";
  } else if (const std::int64_t* i = value.as_int()) {
    out += std::to_string(*i);
  } else if (const double* d = value.as_double()) {
    if (!std::isfinite(*d)) {
      out += "null";
      return;
    }
    std::string text = fmt::format("{}", *d);
    if (text.find_first_of(".eE") == std::string::npos) text += ".0";
    out += text;
  } else if (const std::string* s = value.as_string()) {
    if (is_utf8(*s)) {
      append_json_string(out, *s);
    } else {
      out += "{\"$bytes\":";
      append_json_string(out, base64_encode(*s));
      out.push_back('}');
    }
  } else if (const FieldArray* a = value.as_array()) {
    out.push_back('[');
    for (std::size_t k = 0; k < a->size(); ++k) {
      if (k > 0) out.push_back(',');
      append_value(out, (*a)[k]);
    }
    out.push_back(']');
  } else if (const FieldTable* t = value.as_table()) {
    append_table(out, *t);
  }
}

// Out-parameters rather than Result<FieldValue>: GCC 12 sees a variant of a
// recursive variant as maybe-uninitialized when it is moved through Result.
Status from_json(simdjson::dom::element e, int depth, FieldValue& out);

Status table_from_json(simdjson::dom::object object, int depth, FieldTable& table) {
  for (auto field : object) {
    FieldValue value;
    if (auto read = from_json(field.value, depth + 1, value); !read) return read;
    table.emplace_back(std::string(field.key), std::move(value));
  }
  return ok_status();
}

Status from_json(simdjson::dom::element e, int depth, FieldValue& out) {
  if (depth > kMaxDepth) return invalid_input("header values nest too deeply");
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::NULL_VALUE: out.value = std::monostate{}; return ok_status();
    case element_type::BOOL: out.value = e.get_bool().value_unsafe(); return ok_status();
    case element_type::INT64: out.value = e.get_int64().value_unsafe(); return ok_status();
    case element_type::UINT64: out.value = static_cast<double>(e.get_uint64().value_unsafe()); return ok_status();
    case element_type::DOUBLE: out.value = e.get_double().value_unsafe(); return ok_status();
    case element_type::STRING: out.value = std::string(e.get_string().value_unsafe()); return ok_status();
    case element_type::ARRAY: {
      FieldArray array;
      const simdjson::dom::array items = e.get_array().value_unsafe();  // a copy: the result is a temporary
      for (auto item : items) {
        FieldValue value;
        if (auto read = from_json(item, depth + 1, value); !read) return read;
        array.push_back(std::move(value));
      }
      out.value = std::move(array);
      return ok_status();
    }
    case element_type::OBJECT: {
      auto object = e.get_object().value_unsafe();
      if (object.size() == 1) {
        std::string_view encoded;
        if (object["$bytes"].get_string().get(encoded) == simdjson::SUCCESS) {
          auto bytes = base64_decode(encoded);
          if (!bytes) return invalid_input("a $bytes header value is not base64");
          out.value = std::move(*bytes);
          return ok_status();
        }
      }
      FieldTable table;
      if (auto read = table_from_json(object, depth, table); !read) return read;
      out.value = std::move(table);
      return ok_status();
    }
  }
  return invalid_input("unknown JSON value");
}

}  // namespace

bool is_utf8(std::string_view text) {
  return simdjson::validate_utf8(text.data(), text.size());
}

void append_field_value(std::string& out, const FieldValue& value) {
  append_value(out, value);
}

void append_field_table(std::string& out, const FieldTable& table) {
  append_table(out, table);
}

Status field_value_from_json(simdjson::dom::element element, FieldValue& out) {
  return from_json(element, 0, out);
}

Status field_table_from_json(simdjson::dom::element element, FieldTable& out) {
  simdjson::dom::object object;
  if (element.get_object().get(object) != simdjson::SUCCESS) return invalid_input("headers are not a JSON object");
  out.clear();
  return table_from_json(object, 0, out);
}

}  // namespace gb::worker::detail
