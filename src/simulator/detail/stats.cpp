#include "simulator/detail/stats.hpp"

#include <fmt/format.h>

#include <iterator>

#include "base/json.hpp"
#include "simulator/detail/replies.hpp"

namespace gb::simulator::detail {

void RequestStats::count(const std::string& route, int status) {
  std::lock_guard lock(mutex_);
  ++counts_[route][status];
  ++total_;
}

void RequestStats::append_json(std::string& out) const {
  std::lock_guard lock(mutex_);
  fmt::format_to(std::back_inserter(out), "\"requests\":{{\"total\":{},\"byRoute\":{{", total_);
  bool first = true;
  for (const auto& [route, by_status] : counts_) {
    if (!first) out += ',';
    first = false;
    append_json_string(out, route);
    out += ":{";
    bool first_status = true;
    for (const auto& [status, n] : by_status) {
      if (!first_status) out += ',';
      first_status = false;
      fmt::format_to(std::back_inserter(out), "\"{}\":{}", status, n);
    }
    out += '}';
  }
  out += "}}";
}

std::string stats_json(const RequestStats& requests, const FaultScheduler& faults, JobStore& jobs, SteadyTime now) {
  std::string out = "{";
  requests.append_json(out);
  out += ",\"faults\":{";
  for (std::size_t k = 0; k < static_cast<std::size_t>(FaultKind::kCount); ++k) {
    if (k) out += ',';
    const auto kind = static_cast<FaultKind>(k);
    fmt::format_to(std::back_inserter(out), "\"{}\":{}", to_string(kind), faults.fired(kind));
  }
  out += "},\"jobs\":[";
  bool first = true;
  for (const auto& job : jobs.all()) {
    const JobSummaryFigures figures = jobs.summary(*job);
    if (!first) out += ',';
    first = false;
    out += '{';
    json_field(out, "jobId", job->data.job_id);
    out += ',';
    json_field(out, "type", job->type);
    out += ',';
    json_field(out, "state", jobs.state_name(*job, now, nullptr));
    fmt::format_to(std::back_inserter(out),
                   ",\"records\":{},\"chunks\":{},\"checksum\":\"{}\",\"flawed\":{{\"malformed\":{},"
                   "\"invalidUtf8\":{},\"nulEscape\":{}}}}}",
                   job->data.records, job->chunk_order.size(), figures.checksum, figures.flawed[0], figures.flawed[1],
                   figures.flawed[2]);
  }
  out += "]}";
  return out;
}

}  // namespace gb::simulator::detail
