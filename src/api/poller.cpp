#include "api/poller.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "base/log.hpp"

namespace gb::api {
namespace {

std::chrono::milliseconds as_ms(Duration d) {
  return std::chrono::ceil<std::chrono::milliseconds>(d);
}

}  // namespace

Result<JobSnapshot> JobPoller::poll(const ExportType& type, const std::string& job_id, const PollCallback& on_poll) {
  const SteadyTime started = clock_.now();
  const Duration max_wait = options_.max_job_wait;
  Duration wait = std::min<Duration>(options_.first_interval, options_.interval);
  int failures = 0;  // consecutive failed status requests
  for (int polls = 1;;) {
    auto snapshot = api_.get_job(type, job_id);
    if (!snapshot.ok()) {
      Error error = std::move(snapshot).error();
      if (!error.transient()) {
        error.message = fmt::format("polling job {}: {}", job_id, error.message);
        return error;
      }
      // An outage delays the export rather than failing it, for as long as
      // the run's patience lasts (the breaker keeps the load low meanwhile).
      auto delay = patience_.before_retry(error, resilience::delay_after(options_.retry, error, ++failures));
      if (!delay.ok()) {
        Error ended = std::move(delay).error();
        ended.message = fmt::format("polling job {}: {}", job_id, ended.message);
        return ended;
      }
      log::warn("job status request failed; retrying")
          .field("job_id", job_id)
          .field("attempt", failures)
          .field("delay_ms", static_cast<std::int64_t>(delay->count()))
          .field("error", error.describe())
          .emit();
      sleeper_.sleep_for(*delay);
      continue;
    }
    failures = 0;
    if (on_poll) on_poll(*snapshot, polls);

    switch (snapshot->phase) {
      case JobPhase::kSucceeded: return snapshot;
      case JobPhase::kFailed: {
        std::string message = fmt::format("job {} ended {}", job_id, snapshot->state);
        if (!snapshot->error_message.empty()) message += ": " + snapshot->error_message;
        return permanent_error(std::move(message));
      }
      case JobPhase::kRunning: break;
    }

    const Duration elapsed = clock_.now() - started;
    if (elapsed >= max_wait) {
      std::string message = fmt::format("job {} is still {} after {} ({} polls), the --max-job-wait", job_id,
                                        snapshot->state, resilience::human_duration(as_ms(elapsed)), polls);
      if (snapshot->percent_complete >= 0)
        message += fmt::format("; last percentComplete {}", snapshot->percent_complete);
      return permanent_error(std::move(message));
    }
    // The last wait is shortened so the final poll happens at the deadline, not after it.
    sleeper_.sleep_for(std::min<Duration>(wait, max_wait - elapsed));
    wait = std::min<Duration>(wait * 2, options_.interval);
    ++polls;
  }
}

}  // namespace gb::api
