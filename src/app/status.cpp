#include <fmt/format.h>

#include "app/app.hpp"
#include "app/store_url.hpp"

namespace gb::app {

Status run_status(const std::string& sink_url, const std::string& state_url, const std::optional<std::string>& job_id,
                  std::FILE* out) {
  auto sink = open_existing_state(sink_url, state_url);
  if (!sink.ok()) return std::move(sink).error();
  auto health = (*sink)->api_health();
  if (!health.ok()) return std::move(health).error();
  if (health->has_value()) {
    const sinks::ApiHealth& h = **health;
    fmt::print(out, "api circuit breaker: {} ({}, {})\n", h.breaker_state, h.reason, h.updated_at);
  }
  auto jobs = (*sink)->status(job_id);
  if (!jobs.ok()) return std::move(jobs).error();
  if (jobs->empty()) {
    if (job_id) return invalid_input(fmt::format("no job {} in {}", *job_id, sink_url));
    fmt::print(out, "no jobs in {}\n", sink_url);
    return ok_status();
  }
  for (const auto& js : *jobs) {
    std::uint64_t landed = 0, failed = 0, records = 0, quarantined = 0, bytes = 0;
    for (const auto& c : js.chunks) {
      if (c.state == "landed") {
        ++landed;
        records += c.records;
        quarantined += c.quarantined;
        bytes += c.bytes;
      } else {
        ++failed;
      }
    }
    const std::string expected = js.job.expected_chunks >= 0 ? std::to_string(js.job.expected_chunks) : "?";
    fmt::print(out,
               "job {}  type {}  state {}  chunks {}/{} landed, {} failed  records {}  quarantined {}  {:.1f} MB\n",
               js.job.job_id, js.job.type, js.job.state.empty() ? "-" : js.job.state, landed, expected, failed, records,
               quarantined, static_cast<double>(bytes) / 1e6);
    if (!js.job.error.empty()) fmt::print(out, "  job error: {}\n", js.job.error);
    for (const auto& c : js.chunks) {
      fmt::print(out, "  chunk {:<24} {:<7} records {:>7}  quarantined {:>4}  bytes {:>11}  attempts {}  {}\n",
                 c.chunk_id, c.state, c.records, c.quarantined, c.bytes, c.attempts, c.updated_at);
      if (!c.error.empty()) fmt::print(out, "    error: {}\n", c.error);
    }
  }
  return ok_status();
}

}  // namespace gb::app
