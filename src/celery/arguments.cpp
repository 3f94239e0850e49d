#include "celery/arguments.hpp"

#include <simdjson.h>

#include "celery/detail/json_scan.hpp"
#include "celery/detail/text.hpp"

namespace gb::celery {
namespace {

// Parameter names are ours; keyword names come from the producer.
std::string shown(std::string_view name) {
  bool plain = !name.empty() && name.size() <= 64;
  for (const char c : name) {
    plain = plain && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_');
  }
  return plain ? std::string(name) : detail::quote_for_error(name);
}

Error bad(std::string message) {
  return permanent_error(std::move(message));
}

Result<simdjson::dom::element> parse_json(simdjson::dom::parser& parser, std::string_view json, std::string_view what) {
  simdjson::dom::element root;
  if (auto error = parser.parse(json.data(), json.size()).get(root); error) {
    return bad(std::string(what) + " is not valid JSON: " + simdjson::error_message(error));
  }
  return root;
}

}  // namespace

Result<TaskArguments> TaskArguments::parse(std::string_view args_json, std::string_view kwargs_json) {
  auto describe = [](simdjson::dom::element e, std::string raw) {
    Value v;
    v.raw = std::move(raw);
    if (e.is_string()) {
      v.kind = Kind::kString;
      v.text = std::string(e.get_string().value_unsafe());
    } else if (e.is_object()) {
      v.kind = Kind::kObject;
    } else if (e.is_null()) {
      v.kind = Kind::kNull;
    }
    return v;
  };
  TaskArguments out;
  simdjson::dom::parser parser;
  {
    auto root = parse_json(parser, args_json, "args");
    if (!root.ok()) return std::move(root).error();
    simdjson::dom::array array;
    if (root->get_array().get(array)) return bad("args must be a JSON array");
    const auto raw = detail::array_elements(args_json);
    if (raw.size() != array.size()) return bad("args could not be split into its elements");
    std::size_t i = 0;
    for (auto element : array) out.positional_.push_back(describe(element, std::string(raw[i++])));
  }
  {
    auto root = parse_json(parser, kwargs_json, "kwargs");
    if (!root.ok()) return std::move(root).error();
    simdjson::dom::object object;
    if (root->get_object().get(object)) return bad("kwargs must be a JSON object");
    const auto raw = detail::member_values(kwargs_json);
    if (raw.size() != object.size()) return bad("kwargs could not be split into its members");
    std::size_t i = 0;
    for (auto [key, value] : object) {
      for (const auto& [name, ignored] : out.keywords_) {
        if (name == key) return bad("argument " + shown(key) + " given twice in kwargs");
      }
      out.keywords_.emplace_back(std::string(key), describe(value, std::string(raw[i++])));
    }
  }
  return out;
}

Status TaskArguments::check_signature(std::span<const Parameter> parameters) const {
  if (positional_.size() > parameters.size()) {
    return bad("takes " + std::to_string(parameters.size()) + " arguments but " + std::to_string(positional_.size()) +
               " were given");
  }
  for (const auto& [name, value] : keywords_) {
    const Parameter* match = nullptr;
    for (const auto& p : parameters) {
      if (p.name == name) match = &p;
    }
    if (match == nullptr) return bad("unexpected argument " + shown(name));
    if (match->position < positional_.size()) {
      return bad(std::string(match->name) + " given both by position and by name");
    }
  }
  return ok_status();
}

const TaskArguments::Value* TaskArguments::lookup(const Parameter& parameter) const {
  if (parameter.position < positional_.size()) return &positional_[parameter.position];
  for (const auto& [name, value] : keywords_) {
    if (name == parameter.name) return &value;
  }
  return nullptr;
}

std::optional<std::string_view> TaskArguments::find(const Parameter& parameter) const {
  const Value* v = lookup(parameter);
  if (v == nullptr) return std::nullopt;
  return std::string_view(v->raw);
}

Result<std::string> TaskArguments::string(const Parameter& parameter) const {
  const Value* v = lookup(parameter);
  if (v == nullptr) return bad("missing argument " + std::string(parameter.name));
  if (v->kind != Kind::kString) return bad(std::string(parameter.name) + " must be a string");
  return v->text;
}

Result<std::optional<std::string>> TaskArguments::optional_string(const Parameter& parameter) const {
  const Value* v = lookup(parameter);
  if (v == nullptr || v->kind == Kind::kNull) return std::optional<std::string>();
  if (v->kind != Kind::kString) return bad(std::string(parameter.name) + " must be a string or null");
  return std::optional<std::string>(v->text);
}

Result<std::string> TaskArguments::json_object(const Parameter& parameter) const {
  const Value* v = lookup(parameter);
  if (v == nullptr) return bad("missing argument " + std::string(parameter.name));
  if (v->kind == Kind::kObject) return v->raw;
  const std::string why = std::string(parameter.name) + " must be a JSON object or a string holding one";
  if (v->kind != Kind::kString) return bad(why);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(v->text.data(), v->text.size()).get(root); error) {
    return bad(why + " (" + simdjson::error_message(error) + ")");
  }
  if (!root.is_object()) return bad(why);
  return v->text;
}

}  // namespace gb::celery
