#include "api/poller.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "base/log.hpp"

namespace gb::api {
namespace {

std::string human(Duration d) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

}  // namespace

Result<JobSnapshot> JobPoller::poll(const ExportType& type, const std::string& job_id, const PollCallback& on_poll) {
  const SteadyTime started = clock_.now();
  const Duration max_duration = options_.max_duration;
  int failures = 0;  // consecutive failed status requests
  for (int polls = 1;;) {
    auto snapshot = api_.get_job(type, job_id);
    if (!snapshot.ok()) {
      Error error = std::move(snapshot).error();
      const Duration elapsed = clock_.now() - started;
      if (!error.transient() || elapsed >= max_duration) {
        error.message = fmt::format("polling job {}: {}", job_id, error.message);
        if (error.transient()) error.message += fmt::format(" (still failing after {})", human(elapsed));
        return error;
      }
      // An outage delays the export rather than failing it: back off (the
      // breaker keeps the load low meanwhile) until the poll's deadline.
      const auto delay = resilience::delay_after(options_.retry, error, ++failures);
      log::warn("job status request failed; retrying")
          .field("job_id", job_id)
          .field("attempt", failures)
          .field("delay_ms", static_cast<std::int64_t>(delay.count()))
          .field("error", error.describe())
          .emit();
      sleeper_.sleep_for(std::min<Duration>(delay, max_duration - elapsed));
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
    if (elapsed >= max_duration) {
      std::string message = fmt::format("job {} is still {} after polling for {} ({} polls), the maximum poll duration",
                                        job_id, snapshot->state, human(elapsed), polls);
      if (snapshot->percent_complete >= 0)
        message += fmt::format("; last percentComplete {}", snapshot->percent_complete);
      return permanent_error(std::move(message));
    }
    // The last wait is shortened so the final poll happens at the deadline, not after it.
    sleeper_.sleep_for(std::min<Duration>(options_.interval, max_duration - elapsed));
    ++polls;
  }
}

}  // namespace gb::api
