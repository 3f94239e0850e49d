#pragma once
// How long one run (an `export`, later one worker task) keeps trying while
// the API does not answer. Every call of the run shares one Patience: the
// transport reports each call's outcome, and the retry loop and the poller
// ask it, after each transient failure, how long to wait or whether to stop.
#include <chrono>
#include <mutex>
#include <optional>

#include "base/clock.hpp"
#include "base/result.hpp"

namespace gb::resilience {

// Thread-safe. An outage starts with a transient failure (429, 502-504, a
// connection failure, a reset, the breaker refusing) and ends with the next
// call that got an answer; while it lasts, no call succeeded.
//
// before_retry() ends the run (returns an Error) when:
// - the outage has lasted max_outage: "every API call has failed for 5m00s";
// - the server asks (Retry-After, inin-ratelimit-reset: an Error with an
//   HTTP status) for a longer wait than what is left of max_outage: it says
//   what it asked (an open breaker's cool-down is only cut to what is left);
// - an earlier call of the run already ended it (the same Error again).
// That Error is kTransient (running the same command again resumes) and
// carries the server's retry_after, so a worker can hand the wait to the
// broker instead of ending.
class Patience {
 public:
  // Throws std::invalid_argument on max_outage <= 0 (start-up misconfiguration).
  Patience(std::chrono::milliseconds max_outage, const Clock& clock);

  // The outcome of one call, as it completes.
  void succeeded();
  void failed();
  // True while the latest outcome was a failure.
  bool in_outage() const;

  // After the transient failure `error`: how long to wait before the next
  // try (`delay`, the caller's backoff or the server's Retry-After, cut to
  // what is left of max_outage), or the Error that ends the run.
  Result<std::chrono::milliseconds> before_retry(const Error& error, std::chrono::milliseconds delay);

  // The Error that ended the run, once one has.
  std::optional<Error> spent() const;

  // Starts a new run: no outage, not spent. A worker's slice is a run of its
  // own (an outage that outlasts one is the broker's to wait out, through
  // the task's retries), so ExportPipeline::run_slice calls this first.
  void reset();

  std::chrono::milliseconds max_outage() const { return max_outage_; }

 private:
  Error give_up_locked(const Error& last, std::string message);
  // What to name as the failure: the latest answer of this outage (HTTP 503...)
  // rather than the breaker's refusals that followed it.
  const Error& culprit_locked(const Error& latest) const;

  const std::chrono::milliseconds max_outage_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  std::optional<SteadyTime> outage_since_;  // the first failure since the last success
  std::optional<Error> last_answer_;        // the latest failure with an HTTP status in this outage
  std::optional<Error> spent_;
};

// "45s", "4m05s", "2h00m", "3d04h": for messages about waits.
std::string human_duration(std::chrono::milliseconds d);

}  // namespace gb::resilience
