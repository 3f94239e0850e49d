// ExportPipeline::run_slice: one bounded step of an export, for the worker.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>

#include "base/log.hpp"
#include "pipeline/job_resolver.hpp"
#include "pipeline/pipeline.hpp"

namespace gb::pipeline {
namespace {

using Ms = std::chrono::milliseconds;

// "2026-12-01T23:02:43.123Z" (SQLite's strftime('%Y-%m-%dT%H:%M:%fZ')) as a
// time point; nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> parse_utc(const std::string& text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0;
  double second = 0;
  char zulu = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%lf%c", &year, &month, &day, &hour, &minute, &second, &zulu) !=
          7 ||
      zulu != 'Z' || month < 1 || month > 12 || day < 1 || day > 31 || second < 0 || second >= 61) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  const std::time_t whole = ::timegm(&tm);
  if (whole == static_cast<std::time_t>(-1)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(whole) +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::duration<double>(second));
}

}  // namespace

Result<JobTotals> job_totals(sinks::StateStore& state, const std::string& job_id) {
  auto status = state.status(job_id);
  if (!status.ok()) return std::move(status).error();
  JobTotals totals;
  for (const auto& job : *status) {
    for (const auto& chunk : job.chunks) {
      if (chunk.state != "landed") continue;
      ++totals.chunks;
      totals.records += chunk.records;
      totals.quarantined += chunk.quarantined;
      totals.bytes += chunk.bytes;
    }
  }
  return totals;
}

const char* to_string(SliceKind kind) {
  switch (kind) {
    case SliceKind::kFinished: return "finished";
    case SliceKind::kJobRunning: return "job_running";
    case SliceKind::kMoreToLand: return "more_to_land";
  }
  return "finished";
}

Ms next_poll_delay(Ms running_for, Ms first, Ms interval) {
  interval = std::max(interval, Ms(1));
  Ms wait = std::clamp(first, Ms(1), interval);
  Ms waited{0};
  while (wait < interval && running_for >= waited + wait) {
    waited += wait;
    wait = std::min(wait * 2, interval);
  }
  return wait;
}

Result<SliceOutcome> ExportPipeline::run_slice(const ExportRequest& request, const SliceLimits& limits) {
  const std::string type = request.type.to_string();
  const CallLimits call{limits.deadline, limits.cancel};
  auto cancelled = [&](const ExportOutcome& o) {
    return interrupted_error(
        fmt::format("job {}: cancelled; {} chunk(s) landed in this slice, the rest resumes from "
                    "the ledger",
                    o.job_id.empty() ? "(not resolved)" : o.job_id, o.chunks_landed));
  };
  patience_.reset();  // each slice is a run of its own (Patience::reset says why)
  auto resolved = JobResolver(units_).resolve(request, call);
  if (!resolved.ok()) return stopping(call) ? cancelled({}) : std::move(resolved).error();

  SliceOutcome slice;
  ExportOutcome& outcome = slice.outcome;
  outcome.job_id = resolved->job_id;
  outcome.created = resolved->created;
  slice.first_seen_at = resolved->first_seen_at;

  // Landed by an earlier slice (a redelivered or repeated task): the ledger
  // says so, the API need not be asked (the job may have expired there).
  if (resolved->stored.state == "landed") {
    auto totals = job_totals(state_, outcome.job_id);
    if (!totals.ok()) return std::move(totals).error();
    slice.totals = *totals;
    outcome.final_state = "landed";
    outcome.chunks_skipped = totals->chunks;
    const std::int64_t expected = std::max<std::int64_t>(0, resolved->stored.expected_chunks);
    outcome.chunks_total = std::max<std::uint64_t>(totals->chunks, static_cast<std::uint64_t>(expected));
    slice.kind = SliceKind::kFinished;
    slice.job_state = "landed";
    return slice;
  }

  // One poll: a running job is the broker's to wait for, not this slice's.
  resilience::RetryBounds bounds;
  bounds.clock = &clock_;
  bounds.limits = call;
  auto snapshot = resilience::retry(
      settings_.retry, patience_, sleeper_, bounds,
      [&](int) { return api_.get_job(request.type, outcome.job_id, call); },
      [&](const Error& e, int attempt, Ms delay) {
        log::warn("job status request failed, retrying")
            .field("job_id", outcome.job_id)
            .field("attempt", attempt)
            .field("status", e.http_status)
            .field("error", e.describe())
            .field("retry_in_ms", static_cast<std::int64_t>(delay.count()))
            .emit();
      });
  if (!snapshot.ok()) {
    if (stopping(call)) return cancelled(outcome);
    Error e = std::move(snapshot).error();
    e.message = fmt::format("polling job {}: {}", outcome.job_id, e.message);
    return e;
  }
  slice.job_state = snapshot->state;
  outcome.final_state = snapshot->state;
  if (snapshot->state != resolved->stored.state) {
    log::info("job state").field("job_id", outcome.job_id).field("state", snapshot->state).emit();
    sinks::JobInfo job{outcome.job_id,
                       type,
                       snapshot->state,
                       snapshot->error_message,
                       snapshot->chunks.empty() ? -1 : static_cast<std::int64_t>(snapshot->chunks.size()),
                       ""};
    if (auto s = state_.upsert_job(job); !s.ok()) return std::move(s).error();
  }
  switch (snapshot->phase) {
    case api::JobPhase::kFailed: {
      std::string why = fmt::format("job {} ended {}", outcome.job_id, snapshot->state);
      if (!snapshot->error_message.empty()) why += ": " + snapshot->error_message;
      return permanent_error(why + "; nothing to export");
    }
    case api::JobPhase::kRunning: {
      const auto now = settings_.wall_clock ? settings_.wall_clock() : std::chrono::system_clock::now();
      const auto first_seen = parse_utc(resolved->first_seen_at).value_or(now);
      const Ms running_for = std::max(Ms(0), std::chrono::floor<Ms>(now - first_seen));
      if (running_for >= settings_.max_job_wait) {
        std::string message = fmt::format("job {} is still {} after {}, the --max-job-wait", outcome.job_id,
                                          snapshot->state, resilience::human_duration(running_for));
        if (snapshot->percent_complete >= 0)
          message += fmt::format("; last percentComplete {}", snapshot->percent_complete);
        return permanent_error(std::move(message));
      }
      slice.kind = SliceKind::kJobRunning;
      slice.next_poll = next_poll_delay(running_for, settings_.first_poll_interval, settings_.poll_interval);
      return slice;
    }
    case api::JobPhase::kSucceeded: break;
  }

  const auto started = clock_.now();
  if (request.type.paged()) {
    if (auto s = land_pages(request, outcome, call); !s.ok()) return std::move(s).error();
  } else {
    land_bulk(request, *snapshot, outcome, call);
  }
  outcome.landing_seconds = std::chrono::duration<double>(clock_.now() - started).count();
  log::info("slice landed")
      .field("job_id", outcome.job_id)
      .field("chunks", outcome.chunks_total)
      .field("chunks_landed", outcome.chunks_landed)
      .field("chunks_skipped", outcome.chunks_skipped)
      .field("chunks_failed", outcome.chunks_failed)
      .field("records", outcome.records)
      .field("deadline_reached", outcome.deadline_reached ? "yes" : "no")
      .field("duration_s", outcome.landing_seconds)
      .emit();
  if (outcome.interrupted) return cancelled(outcome);
  if (auto ended = patience_.spent()) {
    ended->message = fmt::format("job {}: {} of {} chunks landed, then {}", outcome.job_id,
                                 outcome.chunks_landed + outcome.chunks_skipped, outcome.chunks_total, ended->message);
    return *ended;
  }
  if (outcome.chunks_failed > 0) {
    Error e = make_error(outcome.failures_transient ? ErrorKind::kTransient : ErrorKind::kPermanent,
                         fmt::format("job {}: {} of {} chunks could not be landed (first: {})", outcome.job_id,
                                     outcome.chunks_failed, outcome.chunks_total, outcome.first_failure));
    return e;
  }
  if (outcome.deadline_reached) {
    slice.kind = SliceKind::kMoreToLand;
    return slice;
  }
  if (auto s = finish_job(outcome.job_id, type, outcome.chunks_total); !s.ok()) return std::move(s).error();
  auto totals = job_totals(state_, outcome.job_id);
  if (!totals.ok()) return std::move(totals).error();
  slice.totals = *totals;
  slice.kind = SliceKind::kFinished;
  return slice;
}

}  // namespace gb::pipeline
