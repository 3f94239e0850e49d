#pragma once
// Waiting for an export job to finish.
#include <chrono>
#include <functional>
#include <string>

#include "api/jobs_api.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "resilience/patience.hpp"
#include "resilience/retry_loop.hpp"

namespace gb::api {

struct PollOptions {
  std::chrono::milliseconds first_interval{1'000};                 // the wait after the first poll; it doubles...
  std::chrono::milliseconds interval{15'000};                      // ...up to this, while queued or running
  std::chrono::milliseconds max_job_wait{std::chrono::hours(24)};  // a job still running then: give up
  resilience::RetryPolicy retry;  // backoff of failed status requests (max_attempts unused: patience bounds them)
};

// Told after every successful status request (for progress bars and logs).
// `polls` counts them from 1; percent_complete is informational only.
using PollCallback = std::function<void(const JobSnapshot& snapshot, int polls)>;

// Polls one job until a terminal state. Only the job's state drives control:
// - running (queued, processing, QUEUED, PENDING): wait, ask again. The
//   waits start at first_interval and double up to interval, so a short job
//   is seen done within seconds and a long one costs about as many status
//   calls as the fixed interval would;
// - succeeded (completed, FULFILLED): returns that snapshot at once;
// - failed (failed, cancelled, FAILED, CANCELLED, EXPIRED): returns at once a
//   kPermanent Error "job J ended STATE: <the API's errorMessage>".
// A failed status request takes the backoff path (resilience::delay_after:
// backoff with jitter, or the server's Retry-After), not the interval, for
// as long as `patience` allows (then its Error ends the poll); a permanent
// one ends the poll at once. A job still queued or running max_job_wait
// after the first request ends the poll with a kPermanent Error naming its
// last state. `api`, `patience`, `clock` and `sleeper` must outlive the
// poller; poll() is thread-safe if they are.
class JobPoller {
 public:
  JobPoller(JobsApi& api, PollOptions options, resilience::Patience& patience, const Clock& clock, Sleeper& sleeper)
      : api_(api), options_(options), patience_(patience), clock_(clock), sleeper_(sleeper) {}

  Result<JobSnapshot> poll(const ExportType& type, const std::string& job_id, const PollCallback& on_poll = {});

 private:
  JobsApi& api_;
  PollOptions options_;
  resilience::Patience& patience_;
  const Clock& clock_;
  Sleeper& sleeper_;
};

}  // namespace gb::api
