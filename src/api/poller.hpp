#pragma once
// Waiting for an export job to finish.
#include <chrono>
#include <functional>
#include <string>

#include "api/jobs_api.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "resilience/retry_loop.hpp"

namespace gb::api {

struct PollOptions {
  std::chrono::milliseconds interval{15'000};                      // while queued or running
  std::chrono::milliseconds max_duration{std::chrono::hours(24)};  // then give up with a diagnostic
  resilience::RetryPolicy retry;  // backoff of failed status requests (max_attempts unused: the deadline bounds them)
};

// Told after every successful status request (for progress bars and logs).
// `polls` counts them from 1; percent_complete is informational only.
using PollCallback = std::function<void(const JobSnapshot& snapshot, int polls)>;

// Polls one job until a terminal state. Only the job's state drives control:
// - running (queued, processing, QUEUED, PENDING): wait `interval`, ask again;
// - succeeded (completed, FULFILLED): returns that snapshot at once;
// - failed (failed, cancelled, FAILED, CANCELLED, EXPIRED): returns at once a
//   kPermanent Error "job J ended STATE: <the API's errorMessage>".
// A failed status request takes the backoff path (resilience::delay_after:
// backoff with jitter, or the server's Retry-After), not the interval; a
// transient failure is retried until max_duration has passed (then it ends
// the poll with that error), a permanent one ends the poll at once.
// When max_duration has passed since the first request, the poll ends with a
// kPermanent Error naming the last state seen. `api`, `clock` and `sleeper`
// must outlive the poller; poll() is thread-safe if they are.
class JobPoller {
 public:
  JobPoller(JobsApi& api, PollOptions options, const Clock& clock, Sleeper& sleeper)
      : api_(api), options_(options), clock_(clock), sleeper_(sleeper) {}

  Result<JobSnapshot> poll(const ExportType& type, const std::string& job_id, const PollCallback& on_poll = {});

 private:
  JobsApi& api_;
  PollOptions options_;
  const Clock& clock_;
  Sleeper& sleeper_;
};

}  // namespace gb::api
