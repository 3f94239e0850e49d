#include "worker/detail/result_json.hpp"

#include <fmt/format.h>

#include <cmath>

#include "base/json.hpp"
#include "worker/detail/field_json.hpp"

namespace gb::worker::detail {

std::string summary_json(const SliceResult& r) {
  std::string out = "{\"job_id\":";
  append_json_string(out, r.job_id);
  out += ",\"job_type\":";
  append_json_string(out, r.job_type);
  out += ",\"state\":";
  append_json_string(out, r.state);
  const double duration = std::isfinite(r.duration_s) ? r.duration_s : 0.0;
  out += fmt::format(",\"chunks\":{},\"records\":{},\"quarantined\":{},\"duration_s\":{:.3f}}}", r.chunks, r.records,
                     r.quarantined, duration);
  return out;
}

std::string exception_json(std::string_view exc_type, std::string_view exc_module, std::string_view message) {
  std::string out = "{\"exc_type\":";
  append_json_string(out, exc_type);
  out += ",\"exc_message\":[";
  // Python's json refuses bytes that are not UTF-8: the whole result would be lost.
  append_json_string(out, is_utf8(message) ? message : std::string_view("(the reason is not UTF-8)"));
  out += "],\"exc_module\":";
  append_json_string(out, exc_module);
  out.push_back('}');
  return out;
}

std::string started_json(std::int64_t pid, std::string_view hostname) {
  std::string out = fmt::format("{{\"pid\":{},\"hostname\":", pid);
  append_json_string(out, is_utf8(hostname) ? hostname : std::string_view("?"));
  out.push_back('}');
  return out;
}

}  // namespace gb::worker::detail
