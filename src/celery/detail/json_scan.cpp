#include "celery/detail/json_scan.hpp"

namespace gb::celery::detail {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::size_t skip_space(std::string_view json, std::size_t at) {
  while (at < json.size() && is_space(json[at])) ++at;
  return at;
}

std::size_t string_end(std::string_view json, std::size_t begin) {
  std::size_t at = begin + 1;
  while (at < json.size()) {
    if (json[at] == '\\') {
      at += 2;
    } else if (json[at] == '"') {
      return at + 1;
    } else {
      ++at;
    }
  }
  return json.size();
}

}  // namespace

std::size_t value_end(std::string_view json, std::size_t begin) {
  if (begin >= json.size()) return json.size();
  const char first = json[begin];
  if (first == '"') return string_end(json, begin);
  if (first == '[' || first == '{') {
    std::size_t depth = 0;
    std::size_t at = begin;
    while (at < json.size()) {
      const char c = json[at];
      if (c == '"') {
        at = string_end(json, at);
        continue;
      }
      if (c == '[' || c == '{') ++depth;
      if (c == ']' || c == '}') {
        if (--depth == 0) return at + 1;
      }
      ++at;
    }
    return json.size();
  }
  std::size_t at = begin;
  while (at < json.size() && !is_space(json[at]) && json[at] != ',' && json[at] != ']' && json[at] != '}') ++at;
  return at;
}

std::vector<std::string_view> array_elements(std::string_view json) {
  std::vector<std::string_view> out;
  std::size_t at = skip_space(json, 0) + 1;  // past '['
  while (true) {
    at = skip_space(json, at);
    if (at >= json.size() || json[at] == ']') return out;
    const std::size_t end = value_end(json, at);
    if (end <= at) return out;
    out.push_back(json.substr(at, end - at));
    at = skip_space(json, end);
    if (at < json.size() && json[at] == ',') ++at;
  }
}

std::vector<std::string_view> member_values(std::string_view json) {
  std::vector<std::string_view> out;
  std::size_t at = skip_space(json, 0) + 1;  // past '{'
  while (true) {
    at = skip_space(json, at);
    if (at >= json.size() || json[at] != '"') return out;
    at = skip_space(json, string_end(json, at));
    if (at >= json.size() || json[at] != ':') return out;
    at = skip_space(json, at + 1);
    const std::size_t end = value_end(json, at);
    if (end <= at) return out;
    out.push_back(json.substr(at, end - at));
    at = skip_space(json, end);
    if (at < json.size() && json[at] == ',') ++at;
  }
}

}  // namespace gb::celery::detail
